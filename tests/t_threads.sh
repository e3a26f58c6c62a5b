#!/usr/bin/env bash
# t_threads.sh BUILD_DIR - builds tests/unit/test_threads.c as a fat binary
# (it hammers the runtime's lazy decoding from many threads) and runs it; then
# runs a glibc build of the same program under ThreadSanitizer.
#
# The program writes its own assets (`test_threads gen DIR`: each asset's bytes
# follow from its name), so it is first linked with `fatpack cc` to generate
# them, then built with them. It may declare extra sources in its first lines,
# like the unit tests: /* test-sources: stub/format/sha256.c */
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

# A data-race check: the same program and runtime built for glibc with
# ThreadSanitizer, packed with --allow-dynamic. Not helgrind: the runtime
# publishes each decoded asset with C11 acquire/release atomics, which
# helgrind does not model (it reports every read of a published asset as a
# race); ThreadSanitizer does. Sanitizers do not mix, so not in build-san.
if is_san_build; then
	done_testing
fi
mapfile -t rt < <(runtime_sources)
# the linker's --wrap flags, as fatpack cc gives them (main and the mount's)
mapfile -t wraps < <("$FATPACK" cc --print-config | grep -o -- '-Wl,--wrap=[a-z_]*')
if (cd "$TOP" && clang -std=c11 -D_GNU_SOURCE -O1 -g -fsanitize=thread -pthread \
	-Iinclude -iquote stub "$src" "${extra_paths[@]}" "${rt[@]}" "${wraps[@]}" -lzstd \
	-o "$T/threads-tsan") 2>"$T/cc.err"; then
	ok "ThreadSanitizer build of test_threads"
else
	not_ok "ThreadSanitizer build of test_threads" "$(cat "$T/cc.err")"
	done_testing
fi
check "pack the ThreadSanitizer build" "$FATPACK" build --allow-dynamic --no-strip \
	"$T/threads-tsan" -a "$T/assets" -o "$T/threads-tsan.fat"
TSAN_OPTIONS=halt_on_error=1:exitcode=66 run_program "test_threads under ThreadSanitizer" \
	timeout 600 "$T/threads-tsan.fat"
if grep -q 'ThreadSanitizer' "$T/prog.err"; then
	not_ok "ThreadSanitizer: no data race" "$(grep -A 12 'WARNING: ThreadSanitizer' "$T/prog.err")"
else
	ok "ThreadSanitizer: no data race"
fi

done_testing
