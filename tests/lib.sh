# shellcheck shell=bash
# lib.sh - helpers for the end-to-end tests (tests/t_*.sh).
#
# A test script is run as `bash tests/t_NAME.sh BUILD_DIR` and starts with
#     . "$(dirname "$0")/lib.sh"
# It reports each check as one line "ok - NAME" or "not ok - NAME", with detail
# lines starting with "#", and ends with `done_testing`, whose exit status says
# whether every check passed. tests/run.sh counts the lines.

set -u

BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd) || exit 2
FATPACK=$BUILD/bin/fatpack
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/fatpack-test.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
export BUILD FATPACK TOP T
export LC_ALL=C.UTF-8
FAILED=0

ok() {
	printf 'ok - %s\n' "$1"
}

# not_ok NAME [DETAIL]: DETAIL may hold several lines; at most 10 are shown.
not_ok() {
	printf 'not ok - %s\n' "$1"
	FAILED=$((FAILED + 1))
	if [ $# -gt 1 ] && [ -n "$2" ]; then
		printf '%s\n' "$2" | head -n 10 | sed 's/^/#   /'
	fi
	return 0
}

# check NAME CMD...: ok when CMD exits 0.
check() {
	local name=$1 rc=0
	shift
	"$@" >"$T/.out" 2>"$T/.err" || rc=$?
	if [ "$rc" -eq 0 ]; then
		ok "$name"
	else
		not_ok "$name" "exit $rc: $*
$(cat "$T/.err")"
	fi
}

# crashed STATUS ERRFILE: true when the status or stderr shows a crash.
crashed() {
	[ "$1" -ge 128 ] || grep -Eq 'Sanitizer|runtime error' "$2"
}

# check_fails NAME REGEX CMD...: ok when CMD exits non-zero without crashing
# and its stderr matches the extended REGEX. This is how every bad-input path
# is tested: a clear error, a non-zero exit, never a crash.
check_fails() {
	local name=$1 re=$2 rc=0
	shift 2
	"$@" >"$T/.out" 2>"$T/.err" || rc=$?
	if [ "$rc" -eq 0 ]; then
		not_ok "$name" "succeeded: $*"
	elif crashed "$rc" "$T/.err"; then
		not_ok "$name" "crashed (exit $rc): $*
$(cat "$T/.err")"
	elif ! grep -Eq -- "$re" "$T/.err"; then
		not_ok "$name" "exit $rc but stderr does not match /$re/: $*
stderr: $(cat "$T/.err")"
	else
		ok "$name"
	fi
}

# check_eq NAME EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1" "expected: $2
actual:   $3"
	fi
}

# check_grep NAME REGEX FILE: ok when a line of FILE matches the extended REGEX.
check_grep() {
	if grep -Eq -- "$2" "$3"; then
		ok "$1"
	else
		not_ok "$1" "no line matches /$2/ in:
$(head -n 20 "$3")"
	fi
}

# check_output NAME REGEX CMD...: ok when CMD exits 0 and a line of its
# stdout matches the extended REGEX.
check_output() {
	local name=$1 re=$2 rc=0
	shift 2
	"$@" >"$T/.out" 2>"$T/.err" || rc=$?
	if [ "$rc" -ne 0 ]; then
		not_ok "$name" "exit $rc: $*
$(cat "$T/.err")"
	else
		check_grep "$name" "$re" "$T/.out"
	fi
}

# A TCP port that was free a moment ago on 127.0.0.1.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# True when the build under test is the sanitizer build.
is_san_build() {
	case $BUILD in
	*/build-san) return 0 ;;
	esac
	"$FATPACK" --version 2>/dev/null | grep -q sanitizer
}

# True when fat binaries are static musl executables.
is_static_build() {
	"$FATPACK" --version 2>/dev/null | grep -q 'musl static'
}

# fp_build OUT SOURCE.c ASSETDIR...: a fat binary of one C file; says why on failure.
fp_build() {
	local out=$1 src=$2 a args=()
	shift 2
	for a in "$@"; do
		args+=(-a "$a")
	done
	if ! "$FATPACK" build "$src" "${args[@]}" -o "$out" >"$T/.out" 2>"$T/.err"; then
		not_ok "build $(basename "$out")" "$(cat "$T/.err")"
		return 1
	fi
}

# asset_printer OUT.c ASSET: the source of a program that writes its asset
# ASSET to stdout, or exits 1 when it has none.
asset_printer() {
	cat >"$1" <<CEOF
#include <stdio.h>

#include <fatpack.h>

int
main(void)
{
	const void *p;
	size_t n;

	if (fatpack_get("$2", &p, &n) != 0)
		return 1;
	fwrite(p, 1, n, stdout);
	return 0;
}
CEOF
}

# similar_pages DIR EXT: 200 small pages named *.EXT that share their head
# and navigation, as a site's do: what the payload's dictionary is for.
similar_pages() {
	local i
	mkdir -p "$1" || return 1
	for ((i = 0; i < 200; i++)); do
		{
			printf '<html><head><title>Page %d</title><link rel="stylesheet" ' "$i"
			printf 'href="site.css"></head><body><nav>Home | Docs | FAQ</nav>\n'
			seq "$i" $((i + 60)) | sed 's/.*/<p>Paragraph &.<\/p>/'
			printf '</body></html>\n'
		} >"$1/p$i.$2"
	done
}

# tar_stream APP: the decoded tar stream of APP's payload, read with the
# standard tools as docs/FORMAT.md 4.3 says: the dictionary, when there is
# one, cut out of its frame into $T/APP-NAME.dict for zstd -D.
tar_stream() {
	local off size dict
	dict=$T/$(basename "$1").dict
	off=$("$FATPACK" info --json "$1" | jq .payload_offset) || return 1
	if [ "$("$FATPACK" info --json "$1" | jq .dictionary_size)" = 0 ]; then
		tail -c +$((off + 1)) "$1" | zstd -dc
		return
	fi
	size=$(tail -c +$((off + 5)) "$1" | head -c 4 | od -An -tu4 | tr -d ' ')
	tail -c +$((off + 9)) "$1" | head -c "$size" >"$dict"
	tail -c +$((off + 1)) "$1" | zstd -D "$dict" -dc
}

# Ends a test script: exit status 1 when any check failed.
done_testing() {
	[ "$FAILED" -eq 0 ]
	exit
}

# runtime_sources: the runtime library's sources (stub/format, inspect,
# deploy, runtime), one per line, as a plain link pulls them from
# libfatpack.a: without the signature check that only --require-signature
# links (require.c and sigcheck.c, which need libsodium). For the
# ThreadSanitizer builds of t_threads and t_mount, which compile the runtime
# from source for glibc.
runtime_sources() {
	local f
	for f in "$TOP"/stub/format/*.c "$TOP"/stub/inspect/*.c \
		"$TOP"/stub/deploy/*.c "$TOP"/stub/runtime/*.c; do
		case $f in
		*/runtime/require.c | */inspect/sigcheck.c) continue ;;
		esac
		echo "$f"
	done
}

# listen_port LOG: the port of the first "listening on" line a server
# listening on 127.0.0.1 wrote to LOG; nothing before it has written one.
listen_port() {
	sed -n 's|^listening on http://127.0.0.1:\([0-9]*\)/$|\1|p' "$1" 2>/dev/null |
		head -n 1
}

# serve_cmd NAME CMD...: runs CMD (a --serve artifact, or a command
# running one) with --listen 127.0.0.1:0, its log in $T/NAME.log, and waits
# for the address it prints; sets PID and PORT.
serve_cmd() {
	local name=$1
	shift
	"$@" --listen 127.0.0.1:0 2>"$T/$name.log" &
	PID=$!
	for _ in $(seq 100); do
		PORT=$(listen_port "$T/$name.log")
		[ -n "$PORT" ] && return 0
		sleep 0.1
	done
	not_ok "start $name" "$(cat "$T/$name.log")"
	kill "$PID" 2>/dev/null
	done_testing
}

# serve_start NAME ARGS...: serve_cmd NAME "$APP" ARGS...
serve_start() {
	local name=$1
	shift
	serve_cmd "$name" "$APP" "$@"
}

# flip_content APP FILE: changes, in place, one byte of APP inside the
# copy of FILE's bytes 50000..50031 (a random file is stored raw, so its
# bytes are found by content, without parsing the format).
flip_content() {
	python3 - "$1" "$2" <<'PY'
import sys
app = bytearray(open(sys.argv[1], "rb").read())
needle = open(sys.argv[2], "rb").read()[50000:50032]
at = app.find(needle)
assert at > 0 and app.find(needle, at + 1) < 0
app[at] ^= 0xFF
open(sys.argv[1], "wb").write(app)
PY
}

# serve_stop NAME: SIGTERM to PID; the exit status must be 0 and the log
# $T/NAME.log clean.
serve_stop() {
	local rc=0
	kill -TERM "$PID" 2>/dev/null
	wait "$PID" || rc=$?
	if [ "$rc" -ne 0 ] || crashed 0 "$T/$1.log"; then
		not_ok "$1 stops cleanly on SIGTERM" "exit $rc
$(grep -A5 -E 'Sanitizer|runtime error' "$T/$1.log")"
	else
		ok "$1 stops cleanly on SIGTERM"
	fi
}
