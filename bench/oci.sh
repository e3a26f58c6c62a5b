#!/usr/bin/env bash
# oci.sh BUILD_DIR - what `fatpack oci` costs: for the example site and the
# documentation tree of bench/doctree.sh, each built with --serve, the
# artifact's size, the image's, what gzip -n -6 would save on the layer
# (why the layer is an uncompressed tar, docs/OCI.md), and the time of
# `fatpack oci` beside `fatpack verify`, which it runs first: alternating
# rounds, medians, the ratio. DOCTREE names an unpacked tree (default: what
# bench/doctree.sh prints). Prints a Markdown section on stdout.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

rounds=5
doctree=${DOCTREE:-$(bash "$top/bench/doctree.sh")}
export SOURCE_DATE_EPOCH=1700000000

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
		time_ns "$fatpack" verify "$app" >>"$work/v"
		time_ns "$fatpack" oci "$app" -o "$work/$name.tar" >>"$work/o"
	done
	v=$(ns_to_s "$(median "$work/v")" 3)
	o=$(ns_to_s "$(median "$work/o")" 3)
	printf '| %s | %s | %s | %s | %s (%s) | %s | %s | %s |\n' "$name" "$size" \
		"$image" "$layer" "$gz" \
		"$(awk -v a="$layer" -v b="$gz" 'BEGIN { printf "%+.1f%%", 100 * (b - a) / a }')" \
		"$v" "$o" "$(ratio "$o" "$v")"
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
