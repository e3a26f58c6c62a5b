#!/usr/bin/env bash
# t_selfinstall.sh BUILD_DIR - what every artifact carries to install itself
# on a host without fatpack: --fatpack-install (atomic copy, the `current`
# flip, --keep N pruning with `fatpack prune`'s code), --fatpack-rollback,
# --fatpack-releases, the lock between concurrent installs, SIGKILL at
# random moments of an install, and --fatpack-unit's units, which
# `systemd-analyze verify` must accept without a word.
. "$(dirname "$0")/lib.sh"

cat >"$T/app.c" <<'EOF2'
#include <unistd.h>
int main(int argc, char **argv) { (void)argv; if (argc > 1) for (;;) pause(); return 0; }
EOF2
mkdir -p "$T/site" "$T/bigsite"
echo hi >"$T/site/index.html"
echo big >"$T/bigsite/index.html"
head -c 24M /dev/urandom >"$T/bigsite/blob"     # incompressible: a slow copy

for i in 1 2 3 4 5; do
	"$FATPACK" build "$T/app.c" -a "$T/site" --name app --app-version "1.$i" \
		--revision "r$i" -o "$T/app-$i" >"$T/.out" 2>"$T/.err" ||
		{ not_ok "build app 1.$i" "$(cat "$T/.err")"; done_testing; }
done

left() {
	(cd "$1" && ls -A | sort | tr '\n' ' ')
}

# --- two versions, the flip, the list, rollback ---------------------------
D=$T/srv
mkdir "$D"
check "install 1.1" "$T/app-1" --fatpack-install "$D"
check_eq "current points at 1.1" "releases/app-1.1-r1" "$(readlink "$D/current")"
check_grep "install says what it installed" "^installed $D/releases/app-1.1-r1\$" "$T/.out"
check "the installed release verifies" "$D/current" --fatpack-verify
if cmp -s "$T/app-1" "$D/releases/app-1.1-r1" && [ -x "$D/releases/app-1.1-r1" ]; then
	ok "the release is a byte copy of the artifact, executable"
else
	not_ok "the release is a byte copy of the artifact, executable"
fi
check "install 1.2" "$T/app-2" --fatpack-install "$D"
check_eq "current flips to 1.2" "releases/app-1.2-r2" "$(readlink "$D/current")"
check_output "--fatpack-releases marks current" '^\* app-1\.2-r2  1\.2  [0-9]+ seconds? old$' \
	"$T/app-1" --fatpack-releases "$D"
check_grep "--fatpack-releases lists the older one after it" \
	'^  app-1\.1-r1  1\.1  [0-9]+ seconds? old$' "$T/.out"
check_eq "--fatpack-releases: newest first" "app-1.2-r2 app-1.1-r1 " \
	"$(awk '{ print $(NF - 4) }' "$T/.out" | tr '\n' ' ')"
check "rollback" "$T/app-2" --fatpack-rollback "$D"
check_eq "rollback flips current back to 1.1" "releases/app-1.1-r1" "$(readlink "$D/current")"
check_fails "no rollback past the first release" \
	"$D/current: no release installed before app-1.1-r1" \
	"$T/app-2" --fatpack-rollback "$D"
check_eq "a refused rollback leaves current" "releases/app-1.1-r1" "$(readlink "$D/current")"
check "reinstall 1.2" "$T/app-2" --fatpack-install "$D"
check_eq "install after a rollback makes the new one current" "releases/app-1.2-r2" \
	"$(readlink "$D/current")"
check_eq "no temporary file is left" "current releases " "$(left "$D")"

mkdir "$T/um"
(umask 077 && "$T/app-1" --fatpack-install "$T/um" >/dev/null 2>&1)
check_eq "releases/ and the release are 0755 under umask 077 (for DynamicUser=)" "755 755" \
	"$(stat -c %a "$T/um/releases" "$T/um/releases/app-1.1-r1" | tr '\n' ' ' | sed 's/ $//')"

# a release named by the payload's hash when there is no revision (built
# outside any git work tree, so git gives none either)
(cd "$T" && "$FATPACK" build "$T/app.c" -a "$T/site" --name hashed -o "$T/hashed") \
	>/dev/null 2>&1
hash=$("$T/hashed" --fatpack-info | awk '$1 == "payload_sha256" { print substr($2, 1, 12) }')
mkdir "$T/srv-hash"
check "install a build without version or revision" "$T/hashed" --fatpack-install "$T/srv-hash"
if [ -n "$hash" ] && [ "$(readlink "$T/srv-hash/current")" = "releases/hashed-$hash" ]; then
	ok "without version and revision: NAME-HASH12"
else
	not_ok "without version and revision: NAME-HASH12" "$(readlink "$T/srv-hash/current") (hash $hash)"
fi

# --- --keep N: the same result as fatpack prune --keep N -----------------
# D2 and D3 hold the same four releases (aged apart), a text file and an
# ELF that is not a fat binary. D2: install 1.5 with --keep 2. D3: install
# 1.5, then `fatpack prune --older-than 0s --keep 2`.
D2=$T/keep2 D3=$T/keep3
mkdir "$D2"
for i in 1 2 3 4; do
	"$T/app-$i" --fatpack-install "$D2" >/dev/null 2>&1
	touch -d "$((5 - i)) hours ago" "$D2/releases/app-1.$i-r$i"
done
echo 'notes' >"$D2/releases/README"
cp /bin/true "$D2/releases/true-elf"
touch -d '2 days ago' "$D2/releases/README" "$D2/releases/true-elf"
cp -a "$D2" "$D3"
check "install 1.5 --keep 2" "$T/app-5" --fatpack-install "$D2" --keep 2
check_grep "--keep prints what it removed" "^removed $D2/releases/app-1.1-r1 \(4 hours old\)\$" "$T/.out"
check_grep "--keep prints what it kept" "^kept $D2/releases/app-1.5-r5 \(current\)\$" "$T/.out"
check_eq "--keep 2 keeps current and the newest other, and every non-fat file" \
	"README app-1.4-r4 app-1.5-r5 true-elf " "$(left "$D2/releases")"
"$T/app-5" --fatpack-install "$D3" >/dev/null 2>&1
check "fatpack prune on the same tree" "$FATPACK" prune "$D3/releases" --older-than 0s --keep 2
check_eq "fatpack prune --keep 2 leaves the same releases" \
	"$(left "$D2/releases")" "$(left "$D3/releases")"

# --- a running release survives pruning -----------------------------------
D4=$T/running
mkdir "$D4"
"$T/app-1" --fatpack-install "$D4" >/dev/null 2>&1
"$D4/current" sleep &
pid=$!
for _ in $(seq 50); do      # until the exec has happened
	[ "$(readlink "/proc/$pid/exe")" = "$D4/releases/app-1.1-r1" ] && break
	sleep 0.1
done
"$T/app-2" --fatpack-install "$D4" >/dev/null 2>&1
check "install 1.3 --keep 1 while 1.1 runs" "$T/app-3" --fatpack-install "$D4" --keep 1
check_grep "the running release is kept, and why" \
	"^kept $D4/releases/app-1.1-r1 \(running, pid $pid\)\$" "$T/.out"
check_eq "the running release survives, the idle one goes" \
	"app-1.1-r1 app-1.3-r3 " "$(left "$D4/releases")"
kill "$pid"; wait "$pid" 2>/dev/null
check "install 1.4 --keep 1 once it stopped" "$T/app-4" --fatpack-install "$D4" --keep 1
check_eq "then it is removed" "app-1.4-r4 " "$(left "$D4/releases")"

# --- concurrent installs ----------------------------------------------------
D5=$T/concurrent
mkdir "$D5"
for round in 1 2 3; do
	pids=()
	for i in 1 2 3 4; do
		"$T/app-$i" --fatpack-install "$D5" --keep 2 >"$T/c$i.out" 2>"$T/c$i.err" &
		pids+=($!)
	done
	rcs=""
	for p in "${pids[@]}"; do
		rc=0; wait "$p" || rc=$?
		rcs="$rcs$rc"
	done
	check_eq "round $round: four concurrent installs all succeed" "0000" "$rcs"
	newest=$(cd "$D5/releases" && ls -t | head -n 1)
	check_eq "round $round: current is the last install" "releases/$newest" "$(readlink "$D5/current")"
	check_eq "round $round: two releases, no temporary file" "2 0" \
		"$(ls -A "$D5/releases" | wc -l) $(ls -A "$D5" "$D5/releases" | grep -c '^\.')"
	bad=0
	for f in "$D5"/releases/*; do
		"$f" --fatpack-verify >/dev/null 2>&1 || bad=$((bad + 1))
	done
	check_eq "round $round: every release is complete" 0 "$bad"
done

# --- SIGKILL at random moments ----------------------------------------------
# An install of a 24 MB artifact is killed after a random delay from 0 to
# 1.5 times the time a whole install takes; after each kill `current` must
# name a complete release (--fatpack-verify checks every byte).
"$FATPACK" build --serve "$T/bigsite" --name big --app-version 2.0 -o "$T/big-a" >/dev/null 2>&1
"$FATPACK" build --serve "$T/bigsite" --name big --app-version 2.1 -o "$T/big-b" >/dev/null 2>&1
D6=$T/killed
mkdir "$D6"
"$T/big-a" --fatpack-install "$D6" >/dev/null 2>&1
t0=$(date +%s%N)
"$T/big-b" --fatpack-install "$D6" --keep 2 >/dev/null 2>&1
ms=$((($(date +%s%N) - t0) / 1000000 + 1))
runs=20 killed=0 broken=0
for n in $(seq "$runs"); do
	# either version: half the time a reinstall of the name current points at
	if [ $((RANDOM % 2)) -eq 0 ]; then art=$T/big-a; else art=$T/big-b; fi
	"$art" --fatpack-install "$D6" --keep 2 >/dev/null 2>&1 &
	p=$!
	sleep "$(awk -v r="$RANDOM" -v ms="$ms" 'BEGIN { printf "%.3f", r / 32768 * ms * 1.5 / 1000 }')"
	kill -KILL "$p" 2>/dev/null
	rc=0; wait "$p" 2>/dev/null || rc=$?
	[ "$rc" -eq 137 ] && killed=$((killed + 1))
	if ! "$D6/current" --fatpack-verify >/dev/null 2>&1; then
		broken=$((broken + 1))
		echo "# run $n: current -> $(readlink "$D6/current") does not verify"
	fi
done
check_eq "after $runs installs killed at random (${ms} ms each), current is always complete" 0 "$broken"
if [ "$killed" -gt 0 ]; then
	ok "$killed of $runs installs were killed before they finished"
else
	not_ok "some installs were killed before they finished" "none of $runs"
fi
check "an install after the kills" "$T/big-a" --fatpack-install "$D6" --keep 2
check_eq "it leaves no temporary file behind" "" \
	"$(ls -A "$D6" "$D6/releases" | grep '^\.' | tr '\n' ' ')"

# --- bad inputs ------------------------------------------------------------
check_fails "install: missing folder" "$T/nonexistent: No such file or directory" \
	"$T/app-1" --fatpack-install "$T/nonexistent"
touch "$T/afile"
check_fails "install: not a folder" "$T/afile: Not a directory" \
	"$T/app-1" --fatpack-install "$T/afile"
mkdir "$T/ro"
if [ "$(id -u)" -eq 0 ]; then   # root writes anywhere: a read-only mount
	check_fails "install: folder not writable" "$T/ro: not writable: Read-only file system" \
		unshare -m sh -c 'mount -o bind,ro "$1" "$1" && exec "$2" --fatpack-install "$1"' \
		sh "$T/ro" "$T/app-1"
else
	chmod 555 "$T/ro"
	check_fails "install: folder not writable" "$T/ro: not writable: Permission denied" \
		"$T/app-1" --fatpack-install "$T/ro"
fi
check_fails "--keep 0" "--keep takes a count of 1 or more, not 0" \
	"$T/app-1" --fatpack-install "$D" --keep 0
check_fails "--keep garbage" "--keep takes a count of 1 or more, not 2x" \
	"$T/app-1" --fatpack-install "$D" --keep 2x
check_fails "--keep without a count" "missing count after --keep" \
	"$T/app-1" --fatpack-install "$D" --keep
check_fails "install without a folder" "missing folder after --fatpack-install" \
	"$T/app-1" --fatpack-install
check_fails "install: two folders" "unexpected argument x" \
	"$T/app-1" --fatpack-install "$D" x
check_fails "install: unknown option" "unknown option --force" \
	"$T/app-1" --fatpack-install "$D" --force
rc=0; "$T/app-1" --fatpack-install "$D" --keep 0 2>/dev/null || rc=$?
check_eq "usage errors exit 2" 2 "$rc"
mkdir -p "$T/plain/releases" && echo x >"$T/plain/current"
check_fails "install: current is not a symlink" "$T/plain/current: exists and is not a symlink" \
	"$T/app-1" --fatpack-install "$T/plain"
check_eq "... and nothing was installed" "" "$(left "$T/plain/releases")"
check_fails "rollback: no current" "$T/plain2/current: No such file or directory" \
	sh -c 'mkdir -p "$1/releases" && exec "$2" --fatpack-rollback "$1"' sh "$T/plain2" "$T/app-1"
check_fails "releases: missing folder" "$T/nonexistent: No such file or directory" \
	"$T/app-1" --fatpack-releases "$T/nonexistent"
check_fails "rollback without a folder" "missing folder after --fatpack-rollback" \
	"$T/app-1" --fatpack-rollback

"$T/app-1" --fatpack-help >"$T/help.out"
for f in 'install DIR \[--keep N\]' 'rollback DIR' 'releases DIR' 'unit \[--socket\] \[DIR\]'; do
	check_grep "--fatpack-help lists --fatpack-${f//\\/}" "--fatpack-$f " "$T/help.out"
done

# --- the units ---------------------------------------------------------------
P=$(free_port)
"$FATPACK" build --serve "$T/site" --name site --app-version 3.0 --listen "127.0.0.1:$P" \
	-o "$T/site-3" >/dev/null 2>&1
D7=$T/siteinst
mkdir "$D7" "$T/units"
"$T/site-3" --fatpack-install "$D7" >/dev/null 2>&1
check "unit for an installed artifact" "$T/site-3" --fatpack-unit "$D7"
cp "$T/.out" "$T/units/site.service"
check "socket unit" "$T/site-3" --fatpack-unit --socket
cp "$T/.out" "$T/units/site.socket"
for line in "ExecStart=$D7/current" 'Type=notify' 'DynamicUser=yes' \
	'ProtectSystem=strict' 'PrivateTmp=yes' 'NoNewPrivileges=yes' \
	'MemoryDenyWriteExecute=yes' 'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' \
	'Description=site 3.0'; do
	check_grep "service unit: $line" "^$line\$" "$T/units/site.service"
done
check_grep "service unit: @system-service and the jail's calls" \
	'^SystemCallFilter=@system-service seccomp landlock_' "$T/units/site.service"
check_grep "socket unit listens where the server would" "^ListenStream=127.0.0.1:$P\$" \
	"$T/units/site.socket"
verify_units() {
	local rc=0
	(cd "$T/units" && systemd-analyze verify "$@") >"$T/.out" 2>"$T/.err" || rc=$?
	[ "$rc" -eq 0 ] && [ ! -s "$T/.err" ]
}
if verify_units site.service site.socket; then
	ok "systemd-analyze verify accepts the service and socket units, without a warning"
else
	not_ok "systemd-analyze verify accepts the service and socket units" "$(cat "$T/.err")"
fi
"$T/app-1" --fatpack-unit >"$T/units/app.service"
check_grep "a unit without DIR runs the artifact itself" "^ExecStart=$T/app-1\$" "$T/units/app.service"
if verify_units app.service; then
	ok "systemd-analyze verify accepts a program's unit"
else
	not_ok "systemd-analyze verify accepts a program's unit" "$(cat "$T/.err")"
fi
sed 's/^Type=notify$/Type=bogus/' "$T/units/app.service" >"$T/units/broken.service"
if ! verify_units broken.service; then
	ok "systemd-analyze verify complains about a broken unit (the check can fail)"
else
	not_ok "systemd-analyze verify complains about a broken unit"
fi
check_fails "unit: missing folder" "$T/nonexistent: No such file or directory" \
	"$T/app-1" --fatpack-unit "$T/nonexistent"
mkdir "$T/with space"
check_fails "unit: a path systemd would split" "cannot go into ExecStart=" \
	"$T/app-1" --fatpack-unit "$T/with space"
check_fails "unit: unknown option" "unknown option --bogus" \
	"$T/app-1" --fatpack-unit --bogus
"$FATPACK" build --serve "$T/site" --name anyport --listen 127.0.0.1:0 -o "$T/anyport" \
	>/dev/null 2>&1
check_fails "socket unit of a server on port 0" "port 0" \
	"$T/anyport" --fatpack-unit --socket

done_testing
