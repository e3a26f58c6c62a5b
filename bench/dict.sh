#!/usr/bin/env bash
# dict.sh BUILD_DIR - what the payload's zstd dictionary (docs/FORMAT.md
# 4.3) buys and costs, on two trees: the doc tree of bench/doctree.sh
# (mostly PNG by bytes) and its HTML pages alone, copied to a scratch
# folder (small pages that share their head and navigation). For each,
# `fatpack build` at the default level and at --level 19, with the
# dictionary and with --no-dictionary: every build runs once per round, in
# turn, ROUNDS rounds (default 3), median time; payload bytes and ratios.
# Then, for the --serve decision (docs/SERVER.md), the HTML pages one zstd
# frame each: bytes without a dictionary (what a zstd client gets today),
# with the payload's dictionary (what a dcz client would get: 40 bytes
# more each), and decoded (identity); and zstd's own speeds on the median
# page, for what a server would spend per response to decode or re-compress
# a frame that needs a dictionary the client lacks; and, with wrk, what the
# server does today with the median page: the stored frame to a zstd
# client, the decoded bytes to others. Prints Markdown.
#
#   ROUNDS=3 DOCTREE=<bench/doctree.sh's folder> WRK_RUNS=3 WRK_DURATION=5s \
#   bench/dict.sh build
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-3}
tree=$(bash "$top/bench/doctree.sh" ${DOCTREE:+"$DOCTREE"})
need zstd jq

# copies, never links: the shared tree stays as it is
mkdir "$work/html"
(cd "$tree" && find . -name '*.html' -print0 | tar --null -cf - -T -) |
	tar -C "$work/html" -xf -
printf 'int main(void) { return 0; }\n' >"$work/prog.c"
"$fatpack" cc -o "$work/prog" "$work/prog.c"

# the dictionary's gains are a few per cent: three decimals
ratio3() { ratio "$1" "$2" 3; }

declare -A src=([doc]=$tree [html]=$work/html)
declare -A opts=([d3]="" [n3]="--no-dictionary" [d19]="--level 19"
	[n19]="--no-dictionary --level 19")
builds=(d3 n3 d19 n19)
# build TREE B: one build, its artifact kept as $work/TREE.B
build() {
	# shellcheck disable=SC2086 # opts are words
	"$fatpack" build -q ${opts[$2]} "$work/prog" -a "${src[$1]}" \
		-o "$work/$1.$2"
}

say "timing $ROUNDS rounds"
for _ in $(seq "$ROUNDS"); do
	for tr in doc html; do
		for b in "${builds[@]}"; do
			time_ns build "$tr" "$b" >>"$work/t.$tr.$b"
		done
	done
done

payload() { "$fatpack" info --json "$1" | jq .payload_size; }
dsize() { "$fatpack" info --json "$1" | jq .dictionary_size; }

cat <<EOF
### The dictionary (issue 9 part 2): does it pay

\`bench/dict.sh\`, $(date -u +%Y-%m-%d), $(machine), load
average $(load_avg) at the end: the machine was shared with
other engineers' builds and tests while this ran, so times compare within a
row pair, not with other runs. Median of $ROUNDS rounds, every build once per
round in turn. The doc tree: $(find "$tree" -type f | wc -l) files, $(du -sb "$tree" | cut -f1) bytes; its
HTML pages alone: $(find "$work/html" -type f | wc -l) files, $(du -sb "$work/html" | cut -f1) bytes.

| tree | level | dictionary | time, with / without | payload bytes, with / without | bytes ratio | time ratio |
|---|---:|---:|---:|---:|---:|---:|
EOF
for tr in doc html; do
	for lv in 3 19; do
		w=$work/$tr.d$lv n=$work/$tr.n$lv
		tw=$(ns_to_s "$(median "$work/t.$tr.d$lv")")
		tn=$(ns_to_s "$(median "$work/t.$tr.n$lv")")
		echo "| $tr | $lv | $(dsize "$w") B | $tw s / $tn s | $(payload "$w") / $(payload "$n") | $(ratio3 "$(payload "$w")" "$(payload "$n")") | $(ratio3 "$tw" "$tn") |"
	done
done

# The serving side: the HTML pages one frame each, as a --serve build would
# store them, with and without the dictionary the default build trained.
app=$work/html.d3
off=$("$fatpack" info --json "$app" | jq .payload_offset)
# od and dd, not tail | head: pipefail would take tail's SIGPIPE for a
# failure
size=$(od -An -tu4 -j $((off + 4)) -N 4 "$app" | tr -d ' ')
dd if="$app" of="$work/dict" bs=1 skip=$((off + 8)) count="$size" status=none
plain=0 withd=0 ident=0 n=0
while IFS= read -r -d '' f; do
	plain=$((plain + $(zstd -3 -c -q "$f" | wc -c)))
	withd=$((withd + $(zstd -3 -c -q -D "$work/dict" "$f" | wc -c) + 40))
	ident=$((ident + $(stat -c %s "$f")))
	n=$((n + 1))
done < <(find "$work/html" -type f -print0)
page=$(find "$work/html" -type f -printf '%s %p\n' | sort -n |
	awk '{ v[NR] = $2 } END { print v[int((NR + 1) / 2)] }')
# zstd -b: compression and decompression speed of one page, in MB/s
speeds() {
	zstd -b3 -i2 "$@" "$page" 2>&1 | tr '\r' '\n' | grep -E 'MB/s.*MB/s' |
		tail -n 1 | sed -E 's/.*[^0-9.]([0-9.]+) MB\/s[^0-9]+([0-9.]+) MB\/s.*/\1 \2/'
}
read -r c_plain d_plain <<<"$(speeds)"
read -r c_dict d_dict <<<"$(speeds -D "$work/dict")"
psize=$(stat -c %s "$page")
us() { awk -v b="$psize" -v s="$1" 'BEGIN { printf "%.0f", b / (s * 1e6) * 1e6 }'; }
cat <<EOF

The $n HTML pages one zstd frame each at level 3, as a \`--serve\` build stores
them, and what a client would be sent:

| frames | bytes | ratio to plain zstd |
|---|---:|---:|
| plain zstd (a zstd client today) | $plain | 1 |
| with the default build's dictionary, $(stat -c %s "$work/dict") B, plus dcz's 40-byte header (a dcz client) | $withd | $(ratio3 "$withd" "$plain") |
| identity (a client without the dictionary, frames decoded) | $ident | $(ratio3 "$ident" "$plain") |

A dcz client first fetches the dictionary itself ($(stat -c %s "$work/dict") bytes, once): at
$(((plain - withd) / n)) bytes saved per page on average, it pays for itself after about
$(($(stat -c %s "$work/dict") * n / (plain - withd))) pages.

The median page ($psize bytes), zstd -b3 on this machine (loaded, as above): compression
$c_plain MB/s without the dictionary, $c_dict MB/s with it; decompression
$d_plain MB/s without, $d_dict MB/s with. Per response, re-compressing a
page without the dictionary for a zstd client would cost about
$(us "$c_plain") µs of CPU, decoding it for identity about $(us "$d_dict") µs (then
$(ratio3 "$ident" "$plain")x the bytes), where sending the stored frame costs neither.
EOF

# What the server does today with the median page of a --serve build of the
# pages (no dictionary): the stored frame to a zstd client, the decoded
# bytes from its identity cache to any other; wrk -t1 -c50, the two
# alternating, WRK_RUNS runs of WRK_DURATION each, median.
if command -v wrk >/dev/null; then
	"$fatpack" build -q --serve "$work/html" -o "$work/site"
	port=$(free_port)
	"$work/site" --listen "127.0.0.1:$port" --workers "$(nproc)" \
		--no-access-log 2>"$work/site.log" &
	site_pid=$!
	trap 'kill "$site_pid" 2>/dev/null; rm -rf "$work"' EXIT
	sleep 1
	url=http://127.0.0.1:$port/${page#"$work/html/"}
	rate() {
		wrk -t1 -c50 -d"${WRK_DURATION:-5s}" "$@" "$url" |
			awk '/^Requests\/sec:/ { print $2 }'
	}
	for _ in $(seq "${WRK_RUNS:-3}"); do
		rate -H 'Accept-Encoding: zstd' >>"$work/r.zstd"
		rate >>"$work/r.identity"
	done
	rz=$(median "$work/r.zstd")
	ri=$(median "$work/r.identity")
	cat <<EOF2

Served by a \`--serve\` build of the pages (no dictionary), the median page
with wrk -t1 -c50 (loaded machine, median of ${WRK_RUNS:-3} runs of ${WRK_DURATION:-5s}, alternating):
the stored zstd frame $rz requests/s, the decoded bytes from the identity
cache $ri requests/s ($(ratio3 "$ri" "$rz")x).
EOF2
fi
