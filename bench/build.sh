#!/usr/bin/env bash
# build.sh BUILD_DIR - packing a real documentation tree (bench/doctree.sh):
# `fatpack build` at its default level and at --level 19 against what a user
# would use instead: `tar | zstd -3 -T0`, `tar | zstd -19 -T0`, mksquashfs
# with zstd (its default level and level 19) and makeself. Every command
# runs once per round, in turn, so that load from anything else on the
# machine falls on all alike; ROUNDS rounds (default 3), median of each.
# The program is linked once beforehand, so only packing is timed.
# BEFORE=DIR, another build folder (e.g. one of main), adds its default
# build to the same rounds, to compare a change with what it replaces.
# ONLY="NAME ...", a subset of the commands (names as in the script), for a
# quicker look at a few rows.
# Prints a Markdown section on stdout.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-3}
# DOCTREE: where the tree is (or goes), as bench/doctree.sh takes it
tree=$(bash "$top/bench/doctree.sh" ${DOCTREE:+"$DOCTREE"})
need mksquashfs makeself zstd jq

# Each command writes $work/out.NAME; sizes are of that file (for fatpack,
# the payload and trailer, not the program).
c_fp3() { "$fatpack" build -q "$work/prog" -a "$tree" -o "$work/out.fp3"; }
c_fp19() { "$fatpack" build -q --level 19 "$work/prog" -a "$tree" -o "$work/out.fp19"; }
c_fp3nd() { "$fatpack" build -q --no-dictionary "$work/prog" -a "$tree" -o "$work/out.fp3nd"; }
c_fp19nd() { "$fatpack" build -q --no-dictionary --level 19 "$work/prog" -a "$tree" -o "$work/out.fp19nd"; }
c_zst3() { tar -C "$tree" -cf - . | zstd -3 -T0 -q -f -o "$work/out.zst3"; }
c_zst19() { tar -C "$tree" -cf - . | zstd -19 -T0 -q -f -o "$work/out.zst19"; }
c_sq() { mksquashfs "$tree" "$work/out.sq" -comp zstd -noappend -quiet; }
c_sq19() { mksquashfs "$tree" "$work/out.sq19" -comp zstd -Xcompression-level 19 -noappend -quiet; }
c_mks() { makeself --quiet --nox11 "$tree" "$work/out.mks" bench true; }
c_before() { "$BEFORE/bin/fatpack" build -q "$work/prog" -a "$tree" -o "$work/out.before"; }

names=(fp3 fp3nd fp19 fp19nd zst3 zst19 sq sq19 mks)
[ -n "${BEFORE:-}" ] && names=(before "${names[@]}")
# ONLY="fp3 zst3 ...": those commands alone (the table then has only them)
[ -n "${ONLY:-}" ] && read -r -a names <<<"$ONLY"
# shellcheck disable=SC2016 # Markdown code spans, not commands
declare -A label=(
	[fp3]='`fatpack build PROGRAM -a DIR`'
	[fp19]='`fatpack build --level 19 PROGRAM -a DIR`'
	[fp3nd]='`fatpack build --no-dictionary PROGRAM -a DIR`'
	[fp19nd]='`fatpack build --no-dictionary --level 19 PROGRAM -a DIR`'
	[zst3]='`tar -cf - DIR \| zstd -3 -T0`'
	[zst19]='`tar -cf - DIR \| zstd -19 -T0`'
	[sq]='`mksquashfs DIR IMG -comp zstd`'
	[sq19]='`mksquashfs DIR IMG -comp zstd -Xcompression-level 19`'
	[mks]='`makeself DIR RUN.sh` (gzip)'
	[before]='`fatpack build PROGRAM -a DIR`, BEFORE'
)

printf 'int main(void) { return 0; }\n' >"$work/prog.c"
"$fatpack" cc -o "$work/prog" "$work/prog.c"
bytes=$(du -sb "$tree" | cut -f1)
files=$(find "$tree" -type f | wc -l)

say "timing $ROUNDS rounds"
load0=$(load_avg)
for _ in $(seq "$ROUNDS"); do
	for n in "${names[@]}"; do
		time_ns "c_$n" >>"$work/t_$n"
	done
done

size_of() {
	case $1 in
	fp* | before) echo $(("$("$fatpack" info --json "$work/out.$1" | jq .payload_size)" + 96)) ;;
	*) stat -c %s "$work/out.$1" ;;
	esac
}
declare -A t s
for n in "${names[@]}"; do
	t[$n]=$(ns_to_s "$(median "$work/t_$n")")
	s[$n]=$(size_of "$n")
done

cat <<EOF2
## Build

Debian's gnucash-docs (bench/doctree.sh): $files files, $bytes bytes (HTML
pages, PNG screenshots repeated across languages, XML). Median of $ROUNDS
rounds in which every command runs once, in turn; warm page cache, all
cores; load average when the rounds began: $load0 (on a loaded machine
the times are comparable with each other, not with another run).

| command | time | output bytes | time / tar\|zstd -3 | bytes / tar\|zstd -3 |
|---|---:|---:|---:|---:|
EOF2
for n in "${names[@]}"; do
	echo "| ${label[$n]} | ${t[$n]} s | ${s[$n]} | $(ratio "${t[$n]}" "${t[zst3]}") | $(ratio "${s[$n]}" "${s[zst3]}") |"
done
# the summary needs every row
[ -n "${ONLY:-}" ] && exit 0
cat <<EOF2

Goals (issue 9): the default build at most tar|zstd -3's bytes
(**$(ratio "${s[fp3]}" "${s[zst3]}")x**) and at least 0.8x its speed (its time is
**$(ratio "${t[fp3]}" "${t[zst3]}")x** tar|zstd -3's); \`--level 19\` at most 0.95x
mksquashfs's image (**$(ratio "${s[fp19]}" "${s[sq]}")x**) in no more time than
mksquashfs at level 19 (**$(ratio "${t[fp19]}" "${t[sq19]}")x** its time).
fatpack stores each content once (the tree repeats its screenshots), one
zstd frame per file and an index: random access to every asset. Its small
files (64 bytes to 128 KiB) are compressed with a dictionary trained on a
sample of them (docs/FORMAT.md 4.3): with it the default build writes
**$(ratio "${s[fp3]}" "${s[fp3nd]}")x** the bytes of \`--no-dictionary\` in
**$(ratio "${t[fp3]}" "${t[fp3nd]}")x** its time, and \`--level 19\`
**$(ratio "${s[fp19]}" "${s[fp19nd]}")x** the bytes in **$(ratio "${t[fp19]}" "${t[fp19nd]}")x** the time. It also
hashes every file and the stream (SHA-256) and syncs its output to disk
before renaming it into place; tar+zstd does neither.
EOF2
