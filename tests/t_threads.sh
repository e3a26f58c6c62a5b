#!/usr/bin/env bash
# t_threads.sh BUILD_DIR - builds tests/unit/test_threads.c as a fat binary
# (it hammers the runtime's lazy decoding from many threads) and runs it; then,
# when valgrind is installed and the build is not the sanitizer one, runs a
# glibc build of the same program under helgrind. A static musl binary cannot
# be checked by helgrind: it cannot intercept the locks of a static libc.
#
# The program writes its own assets (`test_threads gen DIR`: each asset's bytes
# follow from its name), so it is first linked with `fatpack cc` to generate
# them, then built with them. It may declare extra sources in its first lines,
# like the unit tests: /* test-sources: stub/sha256.c */
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

src=$TOP/tests/unit/test_threads.c
[ -e "$src" ] || { not_ok "tests/unit/test_threads.c exists"; done_testing; }
extra=$(head -n 10 "$src" | sed -n 's/.*test-sources:[[:space:]]*\([^;*]*\).*/\1/p' |
	head -n 1)
extra_paths=()
for s in $extra; do
	extra_paths+=("$TOP/$s")
done

if "$FATPACK" cc "$src" "${extra_paths[@]}" -o "$T/gen" 2>"$T/gen.err" &&
	"$T/gen" gen "$T/assets" 2>>"$T/gen.err"; then
	ok "test_threads gen writes the assets"
else
	not_ok "test_threads gen writes the assets" "$(cat "$T/gen.err")"
	done_testing
fi

# run_program NAME CMD...: passes the program's ok / not ok lines through.
run_program() {
	local name=$1 rc=0
	shift
	"$@" >"$T/prog.out" 2>"$T/prog.err" || rc=$?
	sed -n '/^\(not \)\{0,1\}ok\( \|$\)/p; /^#/p' "$T/prog.out"
	FAILED=$((FAILED + $(grep -c '^not ok' "$T/prog.out")))
	if [ "$rc" -ne 0 ] && ! grep -q '^not ok' "$T/prog.out"; then
		not_ok "$name exited $rc" "$(tail -n 20 "$T/prog.err")"
	elif ! grep -q '^ok' "$T/prog.out"; then
		not_ok "$name reported no check" "$(tail -n 20 "$T/prog.err")"
	fi
}

if "$FATPACK" build "$src" "${extra_paths[@]}" -a "$T/assets" -o "$T/threads" \
	2>"$T/build.err"; then
	ok "build test_threads"
	run_program test_threads timeout 300 "$T/threads"
else
	not_ok "build test_threads" "$(cat "$T/build.err")"
fi

if is_san_build; then
	done_testing
fi
if ! command -v valgrind >/dev/null; then
	echo "# valgrind is not installed: no helgrind run"
	done_testing
fi

# The runtime and the program for glibc, linked dynamically like the
# sanitizer build, then packed with --allow-dynamic.
rt=(stub/archive.c stub/sha256.c stub/runtime.c stub/entry.c stub/extract.c)
if (cd "$TOP" && gcc -std=c11 -D_GNU_SOURCE -O1 -g -pthread -Iinclude -Istub \
	"$src" "${extra_paths[@]}" "${rt[@]}" -Wl,--wrap=main -lzstd \
	-o "$T/threads-glibc") 2>"$T/cc.err"; then
	ok "glibc build of test_threads for helgrind"
else
	not_ok "glibc build of test_threads for helgrind" "$(cat "$T/cc.err")"
	done_testing
fi
check "pack the glibc build" "$FATPACK" build --allow-dynamic "$T/threads-glibc" \
	-a "$T/assets" -o "$T/threads-helgrind"
run_program "test_threads under helgrind" timeout 1200 valgrind --tool=helgrind \
	--error-exitcode=99 "$T/threads-helgrind"
check_grep "helgrind: no data race" "ERROR SUMMARY: 0 errors" "$T/prog.err"

done_testing
