#!/usr/bin/env bash
# run.sh BUILD_DIR - run the whole test suite against a build folder
# (build/ or build-san/): every tests/t_*.sh end-to-end script, and every
# tests/unit/test_*.c compiled for the host (with ASan+UBSan for build-san).
#
# Tests print "ok - NAME" / "not ok - NAME" lines. This prints each test file
# with its time, every failing line prefixed by its file, and last the line
# "N passed, N failed". A script that exits non-zero without a "not ok" line,
# or that runs over its time budget, counts as one failure. Exit status 1 when
# anything failed. Full logs are kept in BUILD_DIR/test-logs/.
set -u

BUDGET=${FATPACK_TEST_BUDGET:-900}     # seconds per test file
UNIT_BUDGET=300

build=${1:?usage: tests/run.sh BUILD_DIR}
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$build" && pwd) || exit 2
logs=$build/test-logs
scratch=$(mktemp -d "${TMPDIR:-/tmp}/fatpack-run.XXXXXX") || exit 2
trap 'rm -rf "$scratch"' EXIT
rm -rf "$logs" && mkdir -p "$logs" || exit 2
cd "$top" || exit 2

passed=0
failed=0

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# tally NAME LOG STATUS MS: count the log's lines and report the file.
tally() {
	local name=$1 log=$2 rc=$3 ms=$4 p f extra=""
	p=$(grep -Ec '^ok( |$)' "$log")
	f=$(grep -Ec '^not ok( |$)' "$log")
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		extra="$name killed after its ${BUDGET}s budget"
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		extra="$name exited $rc"
	fi
	[ -n "$extra" ] && f=$((f + 1))
	printf '%-24s %6d.%01ds  %d ok, %d not ok\n' "$name" $((ms / 1000)) \
		$((ms % 1000 / 100)) "$p" "$f"
	# Failing lines with the detail lines that follow them.
	awk -v n="$name" '/^not ok( |$)/ { show = 1; print "    " n ": " $0; next }
		show && /^#/ { print "    " n ": " $0; next } { show = 0 }' "$log"
	if [ -n "$extra" ]; then
		printf '    %s: not ok - %s\n' "$name" "$extra"
		tail -n 5 "$log" | sed "s|^|    $name: #   |"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}

run_script() {
	local t=$1 name log rc=0 t0
	name=$(basename "$t")
	log=$logs/${name%.sh}.log
	t0=$(now_ms)
	timeout -k 10 "$BUDGET" bash "$t" "$build" >"$log" 2>&1 </dev/null || rc=$?
	tally "$name" "$log" "$rc" $(($(now_ms) - t0))
}

# The value of "KEY: ..." declared in the first lines of a unit test, e.g.
#     /* test-sources: stub/format/reader.c stub/format/sha256.c; test-libs: -lzstd */
declared() {
	head -n 10 "$2" | sed -n "s/.*$1:[[:space:]]*\([^;*]*\).*/\1/p" | head -n 1
}

run_unit() {
	local src=$1 name bin log rc=0 t0 cc srcs libs
	local -a flags
	name=$(basename "$src")
	bin=$scratch/${name%.c}
	log=$logs/${name%.c}.log
	t0=$(now_ms)
	flags=(-std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
		-Wmissing-prototypes -Wvla -D_GNU_SOURCE -DFATPACK_VERSION='"test"'
		-Iinclude -iquote stub -iquote bundler -pthread)
	if [ "$(basename "$build")" = build-san ]; then
		cc=clang
		flags+=(-O1 -g '-fsanitize=address,undefined' -fno-sanitize-recover=all
			-fno-omit-frame-pointer)
	else
		cc=gcc
		flags+=(-O2 -g)
	fi
	# shellcheck disable=SC2207 # pkg-config output is a list of words
	flags+=($(pkg-config --cflags libarchive libzstd libelf inih 2>/dev/null))
	srcs=$(declared test-sources "$src")
	libs=$(declared test-libs "$src")
	# shellcheck disable=SC2086 # the declared lists are words
	if ! "$cc" "${flags[@]}" "$src" $srcs -o "$bin" $libs >"$log" 2>&1; then
		echo "not ok - compile $name" >>"$log"
		rc=1
	else
		mkdir -p "$scratch/${name%.c}.d"
		timeout -k 10 "$UNIT_BUDGET" "$bin" "$scratch/${name%.c}.d" \
			>>"$log" 2>&1 </dev/null || rc=$?
	fi
	tally "$name" "$log" "$rc" $(($(now_ms) - t0))
}

if [ ! -x "$build/bin/fatpack" ]; then
	echo "run.sh: $build/bin/fatpack: not built (run make first)" >&2
fi
for t in tests/t_*.sh; do
	[ -e "$t" ] && run_script "$t"
done
for u in tests/unit/test_*.c; do
	[ -e "$u" ] || continue
	# a fat-binary program, built and driven by t_threads.sh
	[ "$(basename "$u")" = test_threads.c ] && continue
	run_unit "$u"
done

echo "logs: $logs"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
