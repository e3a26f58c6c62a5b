#!/usr/bin/env bash
# build.sh BUILD_DIR - packing speed and size: `fatpack build` against
# `tar -cf - DIR | zstd -3 -T0` on the same 200 MB mixed tree (text, random
# binary data, 20,000 small files), in the same run: 5 alternating rounds,
# median of each.
# The program is linked once beforehand, so only packing is timed.
# Prints a Markdown section on stdout.
set -euo pipefail

build=$(cd "${1:?usage: bench/build.sh BUILD_DIR}" && pwd)
fatpack=$build/bin/fatpack
work=$(mktemp -d "${TMPDIR:-/tmp}/fatpack-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
tree=$work/tree
ROUNDS=5

# 60 MB of C headers (text), 80 MB of random bytes, 20,000 files of ~3 KB.
make_tree() {
	local i
	mkdir -p "$tree/text" "$tree/bin" "$tree/small"
	# head closes the pipe early: the SIGPIPE of the writers is expected
	(find /usr/include -type f -name '*.h' -print0 | xargs -0 cat 2>/dev/null || true) |
		head -c 60000000 >"$tree/text/headers.txt"
	split -b 5000000 -d "$tree/text/headers.txt" "$tree/text/part-"
	rm "$tree/text/headers.txt"
	for i in 1 2 3 4; do
		head -c 20000000 /dev/urandom >"$tree/bin/blob$i.bin"
	done
	cat "$tree"/text/part-* >"$work/small.src"
	split -b 3000 -a 5 -d "$work/small.src" "$tree/small/f-"
	rm "$work/small.src"
}

# time_ns CMD...: wall time of one run, in nanoseconds.
time_ns() {
	local t0
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1
	echo $(($(date +%s%N) - t0))
}

# median FILE: the median of the numbers in FILE, in seconds.
median() {
	sort -n "$1" | awk '{ v[NR] = $1 } END { printf "%.3f", v[int((NR + 1) / 2)] / 1e9 }'
}

with_tar() { tar -C "$tree" -cf - . | zstd -3 -T0 -q -f -o "$work/tree.tar.zst"; }
with_fatpack() { "$fatpack" build -q "$work/prog" -a "$tree" -o "$work/app"; }

echo "build: making the tree" >&2
make_tree
printf 'int main(void) { return 0; }\n' >"$work/prog.c"
"$fatpack" cc -o "$work/prog" "$work/prog.c"
bytes=$(du -sb "$tree" | cut -f1)
files=$(find "$tree" -type f | wc -l)

# The two commands take turns, so that load from anything else running on
# the machine falls on both alike rather than on whichever ran second.
echo "build: timing" >&2
for _ in $(seq "$ROUNDS"); do
	time_ns with_tar >>"$work/t_tar"
	time_ns with_fatpack >>"$work/t_fp"
done
t_tar=$(median "$work/t_tar")
t_fp=$(median "$work/t_fp")
s_tar=$(stat -c %s "$work/tree.tar.zst")
s_fp=$(("$("$fatpack" info --json "$work/app" | jq .payload_size)" + 96))

cat <<EOF2
## Build: packing a 200 MB tree

$files files, $bytes bytes (text from /usr/include, random binary data,
small files). Median of $ROUNDS alternating runs each, warm page cache, zstd
level 3, all cores.

| command | time | output |
|---|---:|---:|
| \`tar -cf - DIR \| zstd -3 -T0\` | ${t_tar} s | $s_tar B |
| \`fatpack build PROGRAM -a DIR\` | ${t_fp} s | $s_fp B (payload and trailer) |

fatpack takes **$(awk -v a="$t_fp" -v b="$t_tar" 'BEGIN { printf "%.2f", a / b }')x** the time of tar+zstd
and writes **$(awk -v a="$s_fp" -v b="$s_tar" 'BEGIN { printf "%.3f", a / b }')x** its bytes.
fatpack writes one zstd frame per file plus an index, which costs some ratio on
small files; it buys random access to each asset. fatpack also hashes every
file and the stream (SHA-256) and syncs its output to disk before renaming it
into place; tar+zstd does neither.

EOF2
