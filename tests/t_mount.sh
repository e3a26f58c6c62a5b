#!/usr/bin/env bash
# t_mount.sh BUILD_DIR - the assets as read-only files (docs/MOUNT.md):
# tests/unit/mount_probe.c makes the C library's file calls on the mount
# (stat, opendir/readdir/scandir, open + mmap of a 4 MB asset, fcntl locks,
# '..' that leaves and comes back, ENOENT/ENOTDIR/EISDIR/EROFS, eight
# threads) bundled, at a chosen mount, in an empty root without /proc, and
# unbundled with the override folder; then the override's rules and the
# build's checks of --mount and --override.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

probe_src=$TOP/tests/unit/mount_probe.c
plain=$T/probe.plain
fat=$T/probe

# run_probe LABEL CMD...: the probe's own ok/not ok lines, labelled, and a
# failure when it crashed or printed nothing.
run_probe() {
	local label=$1 rc=0
	shift
	"$@" >"$T/probe.out" 2>"$T/probe.err" || rc=$?
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "$label: ${line#ok - }" ;;
		"not ok - "*) not_ok "$label: ${line#not ok - }" ;;
		"#"*) printf '%s\n' "$line" ;;
		esac
	done <"$T/probe.out"
	if crashed "$rc" "$T/probe.err" || ! grep -q '^ok - ' "$T/probe.out"; then
		not_ok "$label: the probe ran (exit $rc)" "$(cat "$T/probe.err")"
	fi
}

if ! "$FATPACK" cc -O1 -Wall -Wextra -Werror -pthread "$probe_src" -o "$plain" \
	2>"$T/cc.err"; then
	not_ok "fatpack cc mount_probe.c" "$(cat "$T/cc.err")"
	done_testing
fi
ok "fatpack cc mount_probe.c"
check "mount_probe gen" "$plain" gen "$T/assets"
check "build with the default mount" "$FATPACK" build "$plain" -a "$T/assets" -o "$fat"

PROBE_SCRATCH=$T run_probe "bundled, /fatpack" "$fat" check /fatpack

# A mount whose parent is a real folder with files of its own: they stay.
mkdir -p "$T/real/m"
echo shadowed >"$T/real/m/a.txt"
echo beside >"$T/real/beside.txt"
check "build --mount $T/real/m" "$FATPACK" build "$plain" -a "$T/assets" \
	--mount "$T/real/m" -o "$T/probe.m"
run_probe "--mount over a real folder" "$T/probe.m" check "$T/real/m"
check_eq "a file beside the mount is read as it is" beside \
	"$("$T/probe.m" cat "$T/real/beside.txt" 2>&1)"
check_eq "the real folder under the mount is hidden, not changed" \
	"hello shadowed" "$("$T/probe.m" cat "$T/real/m/a.txt" 2>&1) $(cat "$T/real/m/a.txt")"

# In the jail (issue 10's --jail: Landlock, seccomp): the assets need no
# file system access, so every check holds there too.
check "build --jail" "$FATPACK" build "$plain" -a "$T/assets" --jail -o "$T/probe.jail"
run_probe "jailed" "$T/probe.jail" check /fatpack

# The same checks with nothing but the binary: no /proc, no libc, no /fatpack.
if is_static_build; then
	mkdir -p "$T/root"
	cp "$fat" "$T/root/probe"
	if unshare -r true 2>/dev/null; then
		run_probe "empty root" unshare -r chroot "$T/root" /probe check /fatpack
	else
		not_ok "unshare -r works here (needed for the empty-root run)"
	fi
fi

# The probe's eight threads under ThreadSanitizer: the runtime compiled with
# it (for glibc, as tests/t_threads.sh does), linked with fatpack cc's wraps.
if ! is_san_build; then
	mapfile -t rt < <(runtime_sources)
	mapfile -t wraps < <("$FATPACK" cc --print-config | grep -o -- '-Wl,--wrap=[a-z_]*')
	if clang -std=c11 -D_GNU_SOURCE -O1 -g -fsanitize=thread -pthread \
		-I"$TOP/include" -iquote "$TOP/stub" "$probe_src" "${rt[@]}" "${wraps[@]}" \
		-lzstd -o "$T/probe-tsan" 2>"$T/tsan.err" &&
		"$FATPACK" build --allow-dynamic --no-strip "$T/probe-tsan" -a "$T/assets" \
			-o "$T/probe-tsan.fat" 2>>"$T/tsan.err"; then
		TSAN_OPTIONS=halt_on_error=1:exitcode=66 run_probe "ThreadSanitizer" \
			"$T/probe-tsan.fat" check /fatpack
		if grep -q 'ThreadSanitizer' "$T/probe.err"; then
			not_ok "ThreadSanitizer: no data race in the mount" \
				"$(grep -A 12 'WARNING: ThreadSanitizer' "$T/probe.err")"
		else
			ok "ThreadSanitizer: no data race in the mount"
		fi
	else
		not_ok "ThreadSanitizer build of mount_probe" "$(cat "$T/tsan.err")"
	fi
fi

# --- the override folder --------------------------------------------------

# A program not bundled reads the folder through the mount (dev mode).
FATPACK_ASSETS=$T/assets run_probe "not bundled, FATPACK_ASSETS" "$plain" check /fatpack
check_eq "not bundled: FATPACK_MOUNT moves the mount" hello \
	"$(FATPACK_MOUNT=/data FATPACK_ASSETS=$T/assets "$plain" cat /data/a.txt 2>&1)"
check_fails "not bundled, no FATPACK_ASSETS: no files" "No such file" \
	"$plain" cat /fatpack/a.txt

mkdir -p "$T/over/sub"
echo over >"$T/over/a.txt"
echo added >"$T/over/sub/new.txt"
check_eq "bundled: a file of the folder comes first" over \
	"$(FATPACK_ASSETS=$T/over "$fat" cat /fatpack/a.txt 2>&1)"
check_eq "bundled: the assets answer for what the folder lacks" world \
	"$(FATPACK_ASSETS=$T/over "$fat" cat /fatpack/sub/b.txt 2>&1)"
check_eq "bundled: a relative FATPACK_ASSETS is the current folder's" added \
	"$(cd "$T" && FATPACK_ASSETS=over "$fat" cat /fatpack/sub/new.txt 2>&1)"
check_output "--fatpack-info shows the folder in use" \
	"assets override +in use: FATPACK_ASSETS=$T/over" \
	env FATPACK_ASSETS="$T/over" "$fat" --fatpack-info
check_eq "fatpack info and --fatpack-info say the same" \
	"$(FATPACK_ASSETS=$T/over "$FATPACK" info "$fat" | tail -n +2)" \
	"$(FATPACK_ASSETS=$T/over "$fat" --fatpack-info | tail -n +2)"
check_output "info --json: override and override_state" \
	"\"override\": \"$T/over\"" env FATPACK_ASSETS="$T/over" "$FATPACK" info --json "$fat"

check "build --override off" "$FATPACK" build "$plain" -a "$T/assets" \
	--override off -o "$T/probe.off"
check_eq "--override off: FATPACK_ASSETS is ignored" hello \
	"$(FATPACK_ASSETS=$T/over "$T/probe.off" cat /fatpack/a.txt 2>&1)"
check_output "--override off shows in info" "assets override +off" \
	env FATPACK_ASSETS="$T/over" "$T/probe.off" --fatpack-info

# Set-id: the kernel says AT_SECURE, and the folder is never used. Run as
# nobody a copy owned by root with the set-user-ID bit.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	mkdir -p "$T/suid" && chmod 755 "$T" "$T/suid" "$T/over" "$T/over/sub"
	chmod 644 "$T/over/a.txt"
	cp "$fat" "$T/suid/probe" && chmod 4755 "$T/suid/probe"
	out=$(cd / && FATPACK_ASSETS=$T/over setpriv --reuid=65534 --regid=65534 \
		--clear-groups "$T/suid/probe" cat /fatpack/a.txt 2>&1)
	check_eq "set-id: FATPACK_ASSETS is ignored" hello "$out"
	check_output "set-id: info says why" "ignored: a set-id program" \
		env FATPACK_ASSETS="$T/over" setpriv --reuid=65534 --regid=65534 \
		--clear-groups "$T/suid/probe" --fatpack-info
else
	not_ok "the set-id check needs root and setpriv"
fi

# --- the build's checks ---------------------------------------------------

check_output "info shows the mount" "^  mount +/fatpack$" "$FATPACK" info "$fat"
check "build --mount none" "$FATPACK" build "$plain" -a "$T/assets" \
	--mount none -o "$T/probe.none"
check_fails "--mount none: no files at /fatpack" "No such file" \
	"$T/probe.none" cat /fatpack/a.txt
if "$FATPACK" info "$T/probe.none" | grep -q 'mount'; then
	not_ok "--mount none: no mount metadata" "$("$FATPACK" info "$T/probe.none")"
else
	ok "--mount none: no mount metadata"
fi
check_fails "--mount relative" "--mount 'data': mount path is not absolute" \
	"$FATPACK" build "$plain" --mount data -o "$T/x"
check_fails "--mount /" "--mount '/': mount path is the root folder" \
	"$FATPACK" build "$plain" --mount / -o "$T/x"
check_fails "--mount with .." "--mount '/a/../b': '.' or '..' in path" \
	"$FATPACK" build "$plain" --mount /a/../b -o "$T/x"
check_fails "--mount with a trailing slash" "path ends with '/'" \
	"$FATPACK" build "$plain" --mount /data/ -o "$T/x"
check_fails "--override maybe" "--override 'maybe': mount.override is not on or off" \
	"$FATPACK" build "$plain" --override maybe -o "$T/x"
check_fails "--mount with --serve" "--mount and --override go with a program" \
	"$FATPACK" build --serve "$T/assets" --mount /x -o "$T/x"
mkdir -p "$T/ini"
printf '[build]\nprogram = %s\nmount = data\n' "$plain" >"$T/ini/fatpack.ini"
check_fails "fatpack.ini: mount = data" "fatpack.ini:3: .*mount path is not absolute" \
	sh -c "cd '$T/ini' && '$FATPACK' build"
printf '[build]\nprogram = %s\nmount = /srv/app\noverride = off\n[assets]\ndir = %s\n' \
	"$plain" "$T/assets" >"$T/ini/fatpack.ini"
check "fatpack.ini: mount and override" sh -c "cd '$T/ini' && '$FATPACK' build -o '$T/probe.ini'"
check_eq "fatpack.ini: the mount is used" hello "$("$T/probe.ini" cat /srv/app/a.txt 2>&1)"
check_output "fatpack.ini: override off" "^  mount.override +off$" "$FATPACK" info "$T/probe.ini"
if [ ! -e "$T/x" ]; then ok "nothing written by the refused builds"; else
	not_ok "nothing written by the refused builds"; fi

done_testing
