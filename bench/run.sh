#!/usr/bin/env bash
# run.sh BUILD_DIR - runs every benchmark (`make bench`) and writes the
# results, with a description of the machine, to docs/BENCH.md.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: bench/run.sh BUILD_DIR}
out=$top/docs/BENCH.md
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

debian=$(cat /etc/debian_version 2>/dev/null || echo unknown)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)

{
	cat <<EOF2
# Benchmarks

Measured by \`make bench\` (bench/run.sh), which rewrites this file. Numbers from
one machine, to compare fatpack with what a user would use instead; rerun them
on yours.

Machine: $(nproc) CPUs ($cpu), $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo) RAM,
Linux $(uname -r), Debian $debian, $("$build/bin/fatpack" --version | head -n 1).
Date: $(date -u +%Y-%m-%d).

EOF2
	for b in size startup build; do
		echo "bench: $b" >&2
		bash "$top/bench/$b.sh" "$build"
	done
} >"$tmp"
cp "$tmp" "$out"
echo "bench: wrote $out" >&2
