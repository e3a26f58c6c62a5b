#!/usr/bin/env bash
# t_jail.sh BUILD_DIR - the jail (`fatpack build --jail[=POLICY]`, docs/CONFIG.md
# "The jail"): tests/unit/jail_probe.c, a fat program, tries what its policy
# forbids and allows and prints what happened; the built-in server is jailed
# by default and serves; /proc/PID/status shows NoNewPrivs and Seccomp; a
# kernel without Landlock or seccomp is simulated with tests/unit/old_kernel.c
# (a seccomp filter of its own makes landlock_create_ruleset or seccomp fail
# with ENOSYS, as on a kernel built without them); bad policies are refused
# at build time with the runtime's rule.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

PROBE_SRC=$TOP/tests/unit/jail_probe.c
# The jail drops root to uid 65534: the test's folders must be reachable.
chmod 755 "$T"
mkdir -p "$T/assets" "$T/rd" "$T/wr"
echo asset >"$T/assets/a.txt"
echo readable >"$T/rd/file"
chmod 777 "$T/wr"
if [ "$(id -u)" -eq 0 ]; then JAIL_UID=65534; else JAIL_UID=$(id -u); fi
# RLIMIT_AS under ASan must leave room for its shadow memory
if is_san_build; then MEM=64T; MEM_BYTES=70368744177664; else MEM=256M; MEM_BYTES=268435456; fi

# probe NAME POLICY: builds the probe with --jail=POLICY as $T/NAME.
probe() {
	"$FATPACK" build "$PROBE_SRC" -a "$T/assets" --jail="$2" -o "$T/$1" \
		>"$T/$1.build" 2>&1 || not_ok "build $1" "$(cat "$T/$1.build")"
}

# line NAME FILE: the result the probe printed for NAME.
line() {
	sed -n "s/^$1 //p" "$2"
}

# expect FILE NAME=RESULT...: each line as expected.
expect() {
	local file=$1 kv bad=""
	shift
	for kv in "$@"; do
		[ "$(line "${kv%%=*}" "$file")" = "${kv#*=}" ] ||
			bad="$bad ${kv%%=*}: wanted ${kv#*=}, got '$(line "${kv%%=*}" "$file")';"
	done
	printf '%s' "$bad"
}

# --- a policy, applied --------------------------------------------------------------
probe strict "read=$T/rd write=$T/wr nofile=64 cpu=100 mem=$MEM"
"$T/strict" "$T/rd/file" "$T/wr" >"$T/strict.out" 2>"$T/strict.err"
check_eq "the jailed program runs to its end" 0 "$?"
for kv in read_etc_passwd=EACCES write_tmp=EACCES exec_true=EPERM \
	socket_inet=EPERM raise_nofile=EPERM ptrace=EPERM unshare_user=EPERM \
	mount_tmpfs=EPERM chroot=EPERM; do
	check_eq "denied: ${kv%%=*} (${kv#*=})" "" "$(expect "$T/strict.out" "$kv")"
done
for kv in socket_unix=ok thread=ok asset=ok assets_mount=ok read_allowed=ok \
	write_allowed=ok unlink_allowed=ok; do
	check_eq "allowed: ${kv%%=*}" "" "$(expect "$T/strict.out" "$kv")"
done
check_eq "rlimits set" "" "$(expect "$T/strict.out" nofile=64 cpu=100 mem=$MEM_BYTES)"
check_eq "no new privileges, seccomp filter mode" "" \
	"$(expect "$T/strict.out" no_new_privs=1 seccomp=2)"
check_eq "root becomes uid 65534" "$JAIL_UID" "$(line uid "$T/strict.out")"
check_eq "nothing said on stderr" "" "$(cat "$T/strict.err")"

# the policy is shown by --fatpack-info, as it is in the metadata
"$T/strict" --fatpack-info >"$T/info.out" 2>&1
check_grep "--fatpack-info shows the policy" \
	"^  jail +read=$T/rd write=$T/wr nofile=64 cpu=100 mem=$MEM$" "$T/info.out"

# --- what the policy opens ----------------------------------------------------------
probe net net
"$T/net" >"$T/net.out" 2>&1
check_eq "net: sockets of any family" "" "$(expect "$T/net.out" socket_inet=ok read_etc_passwd=EACCES)"

# exec with the programs' folder readable: /bin/true replaces the probe
probe exec "exec read=/usr"
rc=0
"$T/exec" >"$T/exec.out" 2>&1 || rc=$?
if [ "$rc" -eq 0 ] && grep -q '^write_tmp EACCES$' "$T/exec.out" &&
	! grep -q '^exec_true' "$T/exec.out"; then
	ok "exec: /bin/true runs in place of the probe"
else
	not_ok "exec: /bin/true runs in place of the probe" "exit $rc: $(cat "$T/exec.out")"
fi

probe off off
"$T/off" >"$T/off.out" 2>&1
check_eq "jail=off: no confinement" "" "$(expect "$T/off.out" read_etc_passwd=ok write_tmp=ok)"
rm -f /tmp/fatpack-jail-probe

if [ "$(id -u)" -eq 0 ]; then
	probe daemon user=daemon
	"$T/daemon" >"$T/daemon.out" 2>&1
	check_eq "user=NAME is resolved before the jail" "$(id -u daemon)" \
		"$(line uid "$T/daemon.out")"
	probe root user=0
	check_fails "user=0 is refused at start" \
		'daemon|root: jail: user=0: the jail does not run as root$' "$T/root"
	check_eq "and main never ran" "" "$(cat "$T/.out")"

	# The user's line, read from /etc/passwd by the runtime itself: a
	# private mount namespace puts a crafted one there. A line longer
	# than the runtime's buffer (512) whose rest looks like the user's,
	# and a malformed line for it, come before its real line.
	long="other:x:5:5:$(printf '%*s' 499 '' | tr ' ' g)"
	{
		echo "root:x:0:0:root:/root:/bin/sh"
		echo "${long}fpjail:x:7777:7777:spoof:/:/bin/sh"
		echo "fpjail:x:12a:5:bad:/:/bin/sh"
		echo "fpjail:x:4321:4322:real:/:/bin/sh"
	} >"$T/passwd"
	# in_passwd PASSWD CMD...: runs CMD with PASSWD as /etc/passwd, or
	# with no /etc at all when PASSWD is "none"
	in_passwd() {
		# shellcheck disable=SC2016 # expanded by the inner shell
		unshare -m sh -c 'if [ "$1" = none ]; then mount -t tmpfs none /etc
			else mount --bind "$1" /etc/passwd; fi && shift && exec "$@"' \
			sh "$@"
	}
	probe fpjail user=fpjail
	in_passwd "$T/passwd" "$T/fpjail" >"$T/fpjail.out" 2>&1
	check_eq "user=NAME: the first well-formed line that starts with it" \
		"" "$(expect "$T/fpjail.out" uid=4321 gid=4322)"
	check_fails "no /etc/passwd: the user is refused at start" \
		'fpjail: jail: user=fpjail: /etc/passwd: No such file or directory$' \
		in_passwd none "$T/fpjail"
fi
probe nosuch user=nosuchuser
check_fails "an unknown user is refused at start" \
	'nosuch: jail: user=nosuchuser: no such user$' "$T/nosuch"
probe missing "read=$T/nonexistent"
check_fails "a read= path that does not exist is refused at start" \
	"missing: jail: $T/nonexistent: No such file or directory$" "$T/missing"

# --- a kernel without Landlock or seccomp ------------------------------------------------
OLD=$T/old_kernel
if gcc -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE "$TOP/tests/unit/old_kernel.c" \
	-o "$OLD" 2>"$T/old.err"; then
	check_fails "no Landlock: refused" 'strict: jail: Landlock: not available in this kernel' \
		"$OLD" landlock "$T/strict"
	check_grep "it says why it stops" \
		'jail: not starting without it \(the policy does not say best-effort\)$' "$T/.err"
	check_eq "and main never ran" "" "$(cat "$T/.out")"
	check_fails "no seccomp: refused" 'strict: jail: seccomp: not available in this kernel' \
		"$OLD" seccomp "$T/strict"
	check_eq "and main never ran" "" "$(cat "$T/.out")"
	probe besteffort best-effort
	"$OLD" landlock "$T/besteffort" >"$T/be.out" 2>"$T/be.err"
	check_eq "best-effort without Landlock: seccomp still applies" "" \
		"$(expect "$T/be.out" read_etc_passwd=ok exec_true=EPERM socket_inet=EPERM)"
	check_grep "best-effort says what is missing" \
		'jail: going on without Landlock \(best-effort\)$' "$T/be.err"
	"$OLD" seccomp "$T/besteffort" >"$T/be2.out" 2>"$T/be2.err"
	check_eq "best-effort without seccomp: Landlock still applies" "" \
		"$(expect "$T/be2.out" read_etc_passwd=EACCES exec_true=EACCES)"
else
	not_ok "compile tests/unit/old_kernel.c" "$(cat "$T/old.err")"
fi

# --- the built-in server: jailed by default ---------------------------------------------
"$FATPACK" build --serve "$TOP/examples/site" -o "$T/site" >"$T/site.build" 2>&1 ||
	not_ok "build the site" "$(cat "$T/site.build")"
"$T/site" --fatpack-info >"$T/site.info"
check_grep "--serve artifacts have jail = on" '^  jail +on$' "$T/site.info"
serve_cmd site "$T/site"
check_eq "the jailed server serves" 200 \
	"$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/")"
check_eq "/proc/PID/status: NoNewPrivs 1, Seccomp 2" "1 2" \
	"$(awk '/^NoNewPrivs:/ { n = $2 } /^Seccomp:/ { s = $2 } END { print n, s }' \
		"/proc/$PID/status")"
check_eq "/proc/PID/status: the server runs as uid $JAIL_UID" "$JAIL_UID" \
	"$(awk '/^Uid:/ { print $2 }' "/proc/$PID/status")"
"$T/site" --fatpack-jail "$PID" >"$T/shown" 2>&1
check_eq "--fatpack-jail PID: the policy, the program, NoNewPrivs, Seccomp" \
	"jail policy: on|process $PID: runs this artifact|NoNewPrivs: 1|Seccomp: 2" \
	"$(grep -E '^jail policy|^process|NoNewPrivs|Seccomp:' "$T/shown" |
		sed 's/^  //; s/\t/ /g; s/  */ /g' | paste -sd'|')"
check_output "--fatpack-jail PID: the limits" "Max open files" "$T/site" --fatpack-jail "$PID"
check_output "--fatpack-jail PID of another program says so" "runs another program" \
	"$T/site" --fatpack-jail "$$"
check_fails "--fatpack-jail: not a number" "not a process number: 12x" \
	"$T/site" --fatpack-jail 12x
check_fails "--fatpack-jail: no such process" "/proc/999999999/status: No such file" \
	"$T/site" --fatpack-jail 999999999
kill -TERM "$PID"
rc=0
wait "$PID" || rc=$?
check_eq "the jailed server stops cleanly" 0 "$rc"

"$FATPACK" build --serve "$TOP/examples/site" --jail=off -o "$T/site-off" \
	>"$T/site-off.build" 2>&1 || not_ok "build --jail=off" "$(cat "$T/site-off.build")"
serve_cmd site-off "$T/site-off"
check_eq "--jail=off: no filter" 0 "$(awk '/^Seccomp:/ { print $2 }' "/proc/$PID/status")"
kill -TERM "$PID"
wait "$PID"

# --- bad policies: refused at build time ------------------------------------------------
bad() {
	check_fails "refused: $1" "--jail '.*': $3" \
		"$FATPACK" build "$PROBE_SRC" --jail="$2" -o "$T/never"
}
bad "an unknown word" "read=/etc netz" "unknown jail word"
bad "a word twice" "net net" "a jail word given twice"
bad "a relative path" "read=etc" "jail path is not absolute"
bad "the root folder" "read=/" "jail path is the root folder"
bad "a .. component" "write=/srv/../etc" "path has a '\.\.' component|\.\."
bad "nofile=0" "nofile=0" "nofile= is not a number in 1\.\.1048576"
bad "mem with a bad unit" "mem=5X" "mem= is not a size such as 512M"
bad "cpu not a number" "cpu=1m" "cpu= is not a number of seconds"
bad "a user name with a slash" "user=a/b" "user= is not a user name or number"
bad "two spaces" "net  exec" "jail words are separated by one space"
bad "an empty policy" "" "empty jail policy"
bad "off with other words" "off net" "unknown jail word"
[ -e "$T/never" ] && not_ok "no output after a refused policy"

# fatpack.ini: jail = in [app], checked by the same rule
mkdir -p "$T/proj" && cp "$PROBE_SRC" "$T/proj/probe.c"
printf '[app]\nname = probe\njail = net exec\n[build]\nsources = probe.c\n' >"$T/proj/fatpack.ini"
if (cd "$T/proj" && "$FATPACK" build -o "$T/ini-probe") >"$T/ini.out" 2>&1; then
	"$T/ini-probe" --fatpack-info >"$T/ini.info"
	check_grep "jail = in fatpack.ini is recorded" '^  jail +net exec$' "$T/ini.info"
else
	not_ok "jail = in fatpack.ini is recorded" "$(cat "$T/ini.out")"
fi
printf '[app]\nname = probe\njail = net bogus\n[build]\nsources = probe.c\n' >"$T/proj/fatpack.ini"
# shellcheck disable=SC2016 # the inner shell's arguments
check_fails "a bad jail = names the file and line" \
	"fatpack\.ini:3: jail 'net bogus': unknown jail word" \
	sh -c 'cd "$1" && "$2" build -o "$3"' sh "$T/proj" "$FATPACK" "$T/never"

done_testing
