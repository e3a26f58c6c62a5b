#!/usr/bin/env bash
# startup.sh BUILD_DIR - time from exec to the first asset's bytes: a program
# that reads one asset named on its command line, writes it and exits.
# Artifacts: one asset; 20,000 small files; the real documentation tree
# (bench/doctree.sh); and the same two trees in a Go program with embed
# (Debian's golang-go), whose file list is a sorted table used in place.
# Medians of alternating rounds (every program once per round, so a burst of
# load lands on all of them), ratios from the same run. Prints a Markdown
# section on stdout.
#
# DOCTREE_DEST: where bench/doctree.sh unpacks the tree (its default if
# unset). BEFORE_BUILD: another build folder (e.g. main's) whose fatpack
# also builds the two large trees, for a before/after in the same run.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

before=${BEFORE_BUILD:+$(cd "$BEFORE_BUILD" && pwd)}
tree=$(bash "$top/bench/doctree.sh" ${DOCTREE_DEST:+"$DOCTREE_DEST"})
rounds=5
runs=30

cat >"$work/first.c" <<'CEOF'
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <fatpack.h>

int
main(int argc, char **argv)
{
	const void *p;
	size_t n;

	if (argc != 2 || fatpack_get(argv[1], &p, &n) != 0 ||
	    write(1, p, n) != (ssize_t)n)
		return 1;
	return 0;
}
CEOF

# --- the trees --------------------------------------------------------------
mkdir -p "$work/one" "$work/20k"
printf 'first\n' >"$work/one/first.txt"
for d in $(seq -w 0 99); do
	mkdir "$work/20k/d$d"
	for f in $(seq -w 0 199); do
		printf 'file %s of folder %s\n' "$f" "$d" >"$work/20k/d$d/f$f.txt"
	done
done
n20k=$(find "$work/20k" -type f | wc -l)
ndoc=$(find "$tree" -type f | wc -l)
# the asset read: one from the middle of the sorted index
mid20k=d50/f100.txt
middoc=$(cd "$tree" && find . -type f | sed 's|^\./||' | LC_ALL=C sort |
	sed -n "$((ndoc / 2))p")

say "building the fat binaries"
"$fatpack" build -q "$work/first.c" -a "$work/one" -o "$work/fp-one"
"$fatpack" build -q "$work/first.c" -a "$work/20k" -o "$work/fp-20k"
"$fatpack" build -q "$work/first.c" -a "$tree" -o "$work/fp-doc"
# the same without the dictionary: what its first use costs
"$fatpack" build -q --no-dictionary "$work/first.c" -a "$tree" -o "$work/fp-docnd"
if [ -n "$before" ]; then
	"$before/bin/fatpack" build -q "$work/first.c" -a "$work/20k" -o "$work/old-20k"
	"$before/bin/fatpack" build -q "$work/first.c" -a "$tree" -o "$work/old-doc"
fi

# the floor: exec of a static program that does nothing (musl, as fatpack's)
printf 'int main(void) { return 0; }\n' >"$work/nop.c"
musl-gcc -static -Os -s "$work/nop.c" -o "$work/nop"

say "building the Go programs"
go_build() {   # go_build NAME TREE
	local m=$work/go-$1
	mkdir -p "$m"
	# A copy, not hard links: a link changes the shared tree's ctimes,
	# and bench/build.sh's tar then says "file changed as we read it".
	cp -r "$2" "$m/tree"
	printf 'module startup\n\ngo 1.19\n' >"$m/go.mod"
	cat >"$m/main.go" <<'GOEOF'
package main

import (
	"embed"
	"os"
)

//go:embed all:tree
var assets embed.FS

func main() {
	b, err := assets.ReadFile("tree/" + os.Args[1])
	if err != nil {
		os.Exit(1)
	}
	os.Stdout.Write(b)
}
GOEOF
	(cd "$m" && CGO_ENABLED=0 GOCACHE=$work/gocache GOFLAGS=-mod=mod \
		go build -trimpath -o "$work/$1" .) >&2
	rm -rf "$m"
}
go_build go-20k "$work/20k"
go_build go-doc "$tree"

# name, program, asset: each row checked once, then timed
progs=(nop fp-one fp-20k fp-doc fp-docnd go-20k go-doc)
[ -n "$before" ] && progs+=(old-20k old-doc)
asset_of() {
	case $1 in
	nop | *-one) echo first.txt ;;
	*-20k) echo "$mid20k" ;;
	*) echo "$middoc" ;;
	esac
}
for p in "${progs[@]}"; do
	"$work/$p" "$(asset_of "$p")" >/dev/null || die "$p does not read its asset"
done

# median_ms PROG: hyperfine's median of $runs runs, in milliseconds.
median_ms() {
	hyperfine_ms "$runs" 5 "$work/$1 $(asset_of "$1")"
}
# faults PROG: page faults of one run, which the machine's load does not
# move (perf stat's mean of 50 runs, rounded); "-" without perf.
faults() {
	perf stat -x, -e page-faults -r 50 -o "$work/pf.csv" \
		"$work/$1" "$(asset_of "$1")" >/dev/null 2>&1 &&
		awk -F, '/page-faults/ { printf "%.0f", $1; found = 1 }
			END { if (!found) printf "-" }' "$work/pf.csv" || printf -- '-'
}
declare -A pf
for p in "${progs[@]}"; do pf[$p]=$(faults "$p"); done
load0=$(load_avg)
for ((r = 1; r <= rounds; r++)); do
	say "round $r of $rounds"
	for p in "${progs[@]}"; do
		median_ms "$p" >>"$work/$p.ms"
	done
done
declare -A ms
for p in "${progs[@]}"; do ms[$p]=$(median "$work/$p.ms"); done
size() { stat -c %s "$work/$1"; }
# row LABEL ENTRIES PROG: one line of the table.
row() {
	printf '| %s | %s | %s B | %.2f ms | %s | %s |\n' "$1" "$2" "$(size "$3")" \
		"${ms[$3]}" "$(ratio "${ms[$3]}" "${ms[fp-one]}")" "${pf[$3]}"
}

cat <<EOF2
## Start-up

Exec to the first asset's bytes: a program reads one asset named on its
command line (one from the middle of the sorted index), writes it to stdout
and exits; \`hyperfine -N\` ($(hyperfine --version)), warm page cache, the
median of $rounds alternating rounds of the median of $runs runs. Go:
$(go version | cut -d' ' -f3) with \`embed\`, \`CGO_ENABLED=0\`. The real
tree is Debian's gnucash-docs (bench/doctree.sh): $ndoc files. Load
average when the rounds began: $load0; on a loaded machine read the ratios,
which come from the same rounds, more than the times.

| program | entries | artifact | median | vs one asset | page faults |
|---|---:|---:|---:|---:|---:|
$(row "musl static, does nothing (exec's floor)" - nop)
$(row "fatpack, one asset" 1 fp-one)
$(row "fatpack, 20,000 small files" "$n20k" fp-20k)
$(row "fatpack, real doc tree" "$ndoc" fp-doc)
$(row "fatpack, real doc tree, \`--no-dictionary\`" "$ndoc" fp-docnd)
$(row "Go embed, 20,000 small files" "$n20k" go-20k)
$(row "Go embed, real doc tree" "$ndoc" go-doc)
EOF2
if [ -n "$before" ]; then
	cat <<EOF2
$(row "before (\`$(basename "$(dirname "$before")")\`'s fatpack), 20,000 small files" "$n20k" old-20k)
$(row "before, real doc tree" "$ndoc" old-doc)
EOF2
fi
cat <<EOF2

fatpack vs Go embed on the same tree: **$(ratio "${ms[fp-20k]}" "${ms[go-20k]}")x**
for the 20,000 files, **$(ratio "${ms[fp-doc]}" "${ms[go-doc]}")x** for the doc
tree; the dictionary's first use: $(ratio "${ms[fp-doc]}" "${ms[fp-docnd]}")x the
same tree without it. A static program that does nothing takes
$(printf '%.2f' "${ms[nop]}") ms here: the 0.5 ms goal leaves fatpack
$(awk -v a="${ms[nop]}" 'BEGIN { printf "%.2f", 0.5 - a }') ms above exec's own cost. Page faults: perf stat's mean over 50 runs, which the
machine's load does not move. Goals (issue 9): at most 0.5 ms and 1.5x
the one-asset artifact for 20,000 entries and for the real tree; at most
0.4x Go embed's time.
EOF2
