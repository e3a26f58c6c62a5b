#!/usr/bin/env bash
# run.sh BUILD_DIR - runs every bench/*.sh (`make bench`) and writes the
# Markdown each prints, with a description of the machine, to docs/BENCH.md.
# A benchmark that fails is noted there and makes the exit status 1.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

out=$top/docs/BENCH.md
tmp=$work/BENCH.md
failed=0
debian=$(cat /etc/debian_version 2>/dev/null || echo unknown)

{
	cat <<EOF2
# Benchmarks

Measured by \`make bench\` (bench/run.sh), which rewrites this file. Numbers from
one machine, to compare fatpack with what a user would use instead; rerun them
on yours.

Machine: $(machine), $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo) RAM,
Linux $(uname -r), Debian $debian, $("$fatpack" --version | head -n 1).
Date: $(date -u +%Y-%m-%d).

EOF2
	for b in "$top"/bench/*.sh; do
		case $(basename "$b") in
		run.sh | lib.sh | doctree.sh) continue ;;   # not benchmarks
		esac
		echo "bench: $(basename "$b")" >&2
		if bash "$b" "$build" >"$tmp.part"; then
			# a section of its own, even when the script prints no heading
			head -n 1 "$tmp.part" | grep -q '^#' ||
				printf '## %s\n\n' "$(basename "$b")"
			cat "$tmp.part"
			echo
		else
			printf '## %s\n\nFailed on this machine: see its output.\n\n' "$(basename "$b")"
			failed=1
		fi
	done
} >"$tmp"
cp "$tmp" "$out"
echo "bench: wrote $out" >&2
exit "$failed"
