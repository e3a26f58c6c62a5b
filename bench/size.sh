#!/usr/bin/env bash
# size.sh BUILD_DIR - size of the hello example as `fatpack build` writes it
# (the program is stripped before the payload is appended). Target: < 150 KB.
# Prints a Markdown section on stdout.
set -euo pipefail

build=$(cd "${1:?usage: bench/size.sh BUILD_DIR}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
fatpack=$build/bin/fatpack
work=$(mktemp -d "${TMPDIR:-/tmp}/fatpack-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
target=153600

"$fatpack" build -q "$top/examples/hello/hello.c" -a "$top/examples/hello/assets" \
	-o "$work/hello"
total=$(stat -c %s "$work/hello")
offset=$("$fatpack" info --json "$work/hello" | jq .payload_offset)
verdict="meets the target"
[ "$total" -lt "$target" ] || verdict="**misses the target**"

cat <<EOF2
## Size of the hello example

\`fatpack build examples/hello/hello.c -a examples/hello/assets\` (musl, static,
stripped, 3 assets):

| part | bytes |
|---|---:|
| program + runtime + padding (payload offset) | $offset |
| payload + trailer | $((total - offset)) |
| **total** | **$total** ($(awk -v t="$total" 'BEGIN { printf "%.1f", t / 1024 }') KiB) |

Target < 150 KiB ($target B): $verdict.

EOF2
