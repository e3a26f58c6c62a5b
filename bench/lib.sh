# shellcheck shell=bash
# lib.sh - what the benchmarks (bench/*.sh) share. A benchmark is run as
# `bash bench/NAME.sh BUILD_DIR [ARGS]`, sets its shell options and starts with
#     # shellcheck source=bench/lib.sh
#     . "$(dirname "$0")/lib.sh"
# which sets top (the source tree), build (BUILD_DIR, absolute), fatpack
# (the fatpack under test) and work (a scratch folder, removed on exit; a
# benchmark that sets its own EXIT trap removes it there too). The Markdown
# a benchmark prints goes to stdout (bench/run.sh collects it); progress and
# errors go to stderr, named by the benchmark.

bench=$(basename "$0" .sh)
# shellcheck disable=SC2034 # top and fatpack are for the benchmarks
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) || exit 2
build=$(cd "${1:?usage: bench/$bench.sh BUILD_DIR}" && pwd) || exit 2
# shellcheck disable=SC2034
fatpack=$build/bin/fatpack
work=$(mktemp -d "${TMPDIR:-/tmp}/fatpack-bench.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT

# say MESSAGE...: a progress line on stderr.
say() {
	printf '%s: %s\n' "$bench" "$*" >&2
}

# die MESSAGE...: the benchmark cannot go on: one line on stderr, exit 1.
die() {
	printf '%s.sh: %s\n' "$bench" "$*" >&2
	exit 1
}

# need TOOL...: stops the benchmark when a tool it runs is missing.
need() {
	local tool
	for tool in "$@"; do
		command -v "$tool" >/dev/null ||
			die "$tool missing (scripts/setup.sh --bench)"
	done
}

# time_ns CMD...: wall time of one run of CMD, in nanoseconds; a failed run
# stops the benchmark with its last line of errors.
time_ns() {
	local t0
	t0=$(date +%s%N)
	"$@" >/dev/null 2>"$work/err" ||
		die "$* failed: $(tail -n 1 "$work/err")"
	echo $(($(date +%s%N) - t0))
}

# ns_to_s NS [DECIMALS]: nanoseconds as seconds, with DECIMALS decimals
# (default 2).
ns_to_s() {
	awk -v n="$1" -v d="${2:-2}" 'BEGIN { printf "%." d "f", n / 1e9 }'
}

# median FILE...: the median of the numbers that begin the FILEs' lines; of
# an even count, the lower of the middle two.
median() {
	LC_ALL=C sort -g "$@" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# ratio A B [DECIMALS]: A / B, with DECIMALS decimals (default 2).
ratio() {
	awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN { printf "%." d "f", a / b }'
}

# hyperfine_ms RUNS WARMUP CMD...: hyperfine's median of RUNS runs (after
# WARMUP more) of each command line CMD, in milliseconds, one a line.
hyperfine_ms() {
	local runs=$1 warmup=$2
	shift 2
	hyperfine -N --warmup "$warmup" --runs "$runs" \
		--export-json "$work/h.json" --output=null "$@" >/dev/null 2>&1
	jq -r '.results[] | .median * 1000' "$work/h.json"
}

# machine: "N CPUs (MODEL)", for the note beside the numbers.
machine() {
	printf '%s CPUs (%s)' "$(nproc)" \
		"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
}

# load_avg: the machine's 1, 5 and 15 minute load averages, which say how
# shared it was while the numbers were taken.
load_avg() {
	cut -d' ' -f1-3 /proc/loadavg
}

# free_port: a TCP port that was free a moment ago on 127.0.0.1.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
