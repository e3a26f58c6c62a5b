#!/usr/bin/env bash
# oci.sh BUILD_DIR - what `fatpack oci` costs: for the example site and the
# documentation tree of bench/doctree.sh, each built with --serve, the
# artifact's size, the image's, what gzip -n -6 would save on the layer
# (why the layer is an uncompressed tar, docs/OCI.md), and the time of
# `fatpack oci` beside `fatpack verify`, which it runs first: alternating
# rounds, medians, the ratio. DOCTREE names an unpacked tree (default: what
# bench/doctree.sh prints). Prints a Markdown section on stdout.
set -euo pipefail

build=$(cd "${1:?usage: bench/oci.sh BUILD_DIR}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
fatpack=$build/bin/fatpack
work=$(mktemp -d "${TMPDIR:-/tmp}/fatpack-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
rounds=5
doctree=${DOCTREE:-$(bash "$top/bench/doctree.sh")}
export SOURCE_DATE_EPOCH=1700000000

# seconds CMD...: wall time of one run
seconds() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null 2>&1
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# row NAME SITE: one line of the table
row() {
	local name=$1 app=$work/$1 size image layer gz v o
	"$fatpack" build -q --serve "$2" --name "$name" -o "$app"
	"$fatpack" oci "$app" -o "$work/$name.tar" 2>/dev/null
	size=$(stat -c %s "$app")
	image=$(stat -c %s "$work/$name.tar")
	layer=$(tar -tvf "$work/$name.tar" | awk '{ print $3 }' | sort -n | tail -n 1)
	gz=$(tar -xOf "$work/$name.tar" "$(tar -tf "$work/$name.tar" | tail -n 1)" |
		gzip -n -6 | wc -c)
	: >"$work/v" && : >"$work/o"
	for _ in $(seq "$rounds"); do
		seconds "$fatpack" verify "$app" >>"$work/v"
		seconds "$fatpack" oci "$app" -o "$work/$name.tar" >>"$work/o"
	done
	v=$(median <"$work/v")
	o=$(median <"$work/o")
	printf '| %s | %s | %s | %s | %s (%s) | %s | %s | %s |\n' "$name" "$size" \
		"$image" "$layer" "$gz" \
		"$(awk -v a="$layer" -v b="$gz" 'BEGIN { printf "%+.1f%%", 100 * (b - a) / a }')" \
		"$v" "$o" "$(awk -v a="$v" -v b="$o" 'BEGIN { printf "%.2f", b / a }')"
}

cat <<EOF2
## OCI images (fatpack oci)

\`fatpack build --serve SITE\`, then \`fatpack oci APP -o FILE\`: the artifact
verified, the layer made twice (digest, then archive). Sizes in bytes; the
layer is the uncompressed tar the image holds, gzip is \`gzip -n -6\` of it;
times are medians of $rounds alternating rounds, in seconds.

| site | artifact | image | layer | layer, gzip -6 | verify s | oci s | oci / verify |
|---|---:|---:|---:|---:|---:|---:|---:|
EOF2
row site "$top/examples/site"
row doctree "$doctree"
