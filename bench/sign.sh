#!/usr/bin/env bash
# sign.sh BUILD_DIR [DOCTREE] - the start-up cost of --require-signature
# (docs/SIGNING.md): exec to exit of a program that prints one line, built
# plain and built to check its own signature before main, with a small
# payload (one 6-byte file) and a large one (the real documentation tree of
# bench/doctree.sh, 3,200 files, 173 MB). The check hashes the ELF image
# and the trailer, never the payload, so its cost must not grow with the
# payload. Prints a Markdown section on stdout: medians of 9 alternating
# rounds, each the median of 40 runs (hyperfine -N).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

tree=${2:-$(bash "$top/bench/doctree.sh")}
runs=40
rounds=9

cat >"$work/hello.c" <<'CEOF'
#include <stdio.h>

int
main(void)
{
	puts("hello");
	return 0;
}
CEOF
mkdir "$work/small"
printf 'first\n' >"$work/small/first.txt"
"$fatpack" keygen -o "$work/k" >/dev/null

say building
for size in small large; do
	assets=$work/small
	[ "$size" = large ] && assets=$tree
	"$fatpack" build -q "$work/hello.c" -a "$assets" -o "$work/plain-$size"
	"$fatpack" build -q "$work/hello.c" -a "$assets" -o "$work/req-$size" \
		--sign "$work/k.key" --require-signature
done

# Alternating rounds, so that a burst of load from the other users of the
# machine does not land on one artifact only.
for ((r = 1; r <= rounds; r++)); do
	say "round $r"
	for a in plain-small req-small plain-large req-large; do
		hyperfine_ms "$runs" 5 "$work/$a" >>"$work/$a.txt"
	done
done
ps=$(median "$work/plain-small.txt") rs=$(median "$work/req-small.txt")
pl=$(median "$work/plain-large.txt") rl=$(median "$work/req-large.txt")

cat <<EOF2
## Signature check at start-up (--require-signature)

exec to exit of a program that prints one line; "plain" is built without
a signature, "checked" with \`--sign KEY --require-signature\`, whose
runtime hashes its ELF image and trailer and verifies Ed25519 before
\`main\`. Median of $rounds alternating rounds, each the median of $runs
runs ($(hyperfine --version), warm page cache), on $(machine),
shared with other engineers' builds and tests while it ran: compare
the ratios, not the absolute times.

| payload | plain: size | checked: size | plain | checked | checked / plain |
|---|---:|---:|---:|---:|---:|
| one 6-byte file | $(stat -c %s "$work/plain-small") B | $(stat -c %s "$work/req-small") B | $(printf '%.2f' "$ps") ms | $(printf '%.2f' "$rs") ms | $(ratio "$rs" "$ps") |
| doc tree, $(find "$tree" -type f | wc -l) files | $(stat -c %s "$work/plain-large") B | $(stat -c %s "$work/req-large") B | $(printf '%.2f' "$pl") ms | $(printf '%.2f' "$rl") ms | $(ratio "$rl" "$pl") |

The check's cost (checked minus plain): $(awk -v a="$rs" -v b="$ps" 'BEGIN { printf "%.2f", a - b }') ms with the small
payload, $(awk -v a="$rl" -v b="$pl" 'BEGIN { printf "%.2f", a - b }') ms with the large one. The check hashes the ELF
image (about $(($(stat -c %s "$work/req-small") / 1024)) KB) and the trailer and verifies one Ed25519
signature: it does not read the payload, so it costs the same for both; the
large artifacts' own start-up (opening an index of $(find "$tree" -type f | wc -l) entries, the same
for plain and checked) is slower and noisier than the check itself.

EOF2
