#!/usr/bin/env bash
# t_determinism.sh BUILD_DIR - the same inputs give the same bytes: two copies
# of one tree, made in a different order with different mtimes on disk, built
# with SOURCE_DATE_EPOCH set and a different number of threads, are identical
# artifacts (copies of a content included, at --level 19 too); changing one
# asset byte or one mode changes the artifact. The same for pages compressed
# with a dictionary; --no-dictionary builds them without it.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

export SOURCE_DATE_EPOCH=1700000000

printf 'int main(void) { return 0; }\n' >"$T/prog.c"

# fill DIR ORDER: the same tree, files created in forward or reverse order.
fill() {
	local dir=$1 i list
	list=$(seq 0 199)
	[ "$2" = reverse ] && list=$(seq 199 -1 0)
	mkdir -p "$dir/docs/deep/er" "$dir/empty"
	for i in $list; do
		printf 'line %d of a text asset\n' $(seq "$i") >"$dir/docs/f$i.txt"
	done
	# 24 MB that compresses: several compression jobs when threads are many
	head -c 18000000 /dev/urandom | base64 >"$dir/data.b64"
	printf '#!/bin/sh\n' >"$dir/run.sh"
	chmod 755 "$dir/run.sh"
	printf 'deep\n' >"$dir/docs/deep/er/x.txt"
	# copies, stored once whatever thread compressed which
	cp "$dir/docs/f150.txt" "$dir/docs/deep/copy.txt"
	printf 'line 1 of a text asset\n' >"$dir/zz-copy.txt"
	# a copy whose later entry a thread can reach first: l.b64 (over
	# 1 MiB) ends a compression job, m.b64 (0.9 MiB, slow to compress)
	# and m1.txt make the next one, n.txt starts the one after
	head -c 1600000 /dev/urandom | base64 >"$dir/l.b64"
	head -c 680000 /dev/urandom | base64 >"$dir/m.b64"
	seq 30000 >"$dir/m1.txt"
	cp "$dir/m1.txt" "$dir/n.txt"
}

fill "$T/one" forward
mkdir -p "$T/two"
fill "$T/two" reverse
for f in data.b64 l.b64 m.b64; do cp "$T/one/$f" "$T/two/$f"; done
# different mtimes, all later than SOURCE_DATE_EPOCH
find "$T/one" -exec touch -h -d '2024-01-02 03:04:05' {} +
find "$T/two" -exec touch -h -d '2025-06-07 08:09:10' {} +
check "the two trees hold the same bytes" diff -r "$T/one" "$T/two"

# build NAME ASSETS JOBS: an artifact named app in its own folder
# shellcheck disable=SC2317 # called through check
build() {
	mkdir -p "$T/$1"
	"$FATPACK" build "$T/prog.c" -a "$2" -j "$3" -o "$T/$1/app"
}

# differs NAME A B: both built, and not the same bytes.
differs() {
	if [ ! -s "$2" ] || [ ! -s "$3" ]; then
		not_ok "$1" "missing artifact"
	elif cmp -s "$2" "$3"; then
		not_ok "$1" "identical"
	else
		ok "$1"
	fi
}

check "build of copy one with -j 1" build b1 "$T/one" 1
check "build of copy two with -j 8" build b2 "$T/two" 8
check "cmp: the artifacts are identical" cmp "$T/b1/app" "$T/b2/app"
check_eq "the copies are hard links to the first" \
	"docs/f150.txt link to docs/deep/copy.txt
n.txt link to m1.txt
zz-copy.txt link to docs/f1.txt" \
	"$(tar_stream "$T/b2/app" | tar -tv |
		sed -E 's/^([^ ]+ +){5}//' | grep ' link to ' | sort)"

printf 'X' | dd of="$T/two/docs/f7.txt" bs=1 seek=3 conv=notrunc 2>/dev/null
check "build with one asset byte changed" build b3 "$T/two" 8
differs "one changed byte changes the artifact" "$T/b2/app" "$T/b3/app"

cp "$T/one/docs/f7.txt" "$T/two/docs/f7.txt"
touch -d '2025-06-07 08:09:10' "$T/two/docs/f7.txt"
check "build with the byte restored" build b4 "$T/two" 4
check "restored: identical again" cmp "$T/b1/app" "$T/b4/app"
chmod 755 "$T/two/docs/f7.txt"
check "build with one mode changed" build b5 "$T/two" 4
differs "one changed mode changes the artifact" "$T/b4/app" "$T/b5/app"

# --level 19: a file compressed already (gzip of random bytes) keeps the
# frame of the probe's level, text gets level 19; the same bytes at any
# number of threads, and standard zstd and tar give the files back.
mkdir -p "$T/l19/docs"
head -c 300000 /dev/urandom | gzip -1 >"$T/l19/docs/random.gz"
seq 40000 >"$T/l19/docs/seq.txt"
cp "$T/l19/docs/seq.txt" "$T/l19/docs/seq-copy.txt"
build19() {
	mkdir -p "$T/$1"
	"$FATPACK" build "$T/prog.c" -a "$T/l19" --level 19 -j "$2" -o "$T/$1/app"
}
check "--level 19 with -j 1" build19 c1 1
check "--level 19 with -j 4" build19 c4 4
check "--level 19: the artifacts are identical" cmp "$T/c1/app" "$T/c4/app"
off=$("$FATPACK" info --json "$T/c4/app" | jq .payload_offset)
mkdir -p "$T/c4/out"
check "--level 19: tar and zstd extract the payload" \
	sh -c "tail -c +$((off + 1)) '$T/c4/app' | zstd -dc | tar -x -C '$T/c4/out'"
check "--level 19: the files come back" diff -r "$T/l19" "$T/c4/out"

# pages DIR ORDER: 200 pages that share 3 KB of text, enough for a
# dictionary that pays (bundler/dict.c), made in forward or reverse order
pages() {
	local i list
	list=$(seq 0 199)
	[ "$2" = reverse ] && list=$(seq 199 -1 0)
	mkdir -p "$1"
	for i in $list; do
		{
			printf '<html><head><title>Page %d</title></head><body><nav>\n' "$i"
			head -c 3000 "$TOP/docs/FORMAT.md"
			printf '</nav>\n'
			seq "$i" $((i + 40)) | sed 's/.*/<p>Paragraph &.<\/p>/'
		} >"$1/p$i.html"
	done
	# a copy with a name of a compressed type, first in path order: its
	# frame is the same whichever copy a thread compresses first
	cp "$1/p5.html" "$1/a-copy.png"
}
pages "$T/pages-one" forward
pages "$T/pages-two" reverse
touch -d '2025-06-07 08:09:10' "$T/pages-two"/*
check "build of the pages, made forward, with -j 1" build b7 "$T/pages-one" 1
check "build of the pages, made in reverse, with -j 8" build b8 "$T/pages-two" 8
check "cmp: the pages' artifacts are identical" cmp "$T/b7/app" "$T/b8/app"
check "the pages are compressed with a dictionary" \
	test "$("$FATPACK" info --json "$T/b8/app" | jq .dictionary_size)" -gt 0

mkdir -p "$T/b6"
check "build with --no-dictionary" "$FATPACK" build --no-dictionary \
	"$T/prog.c" -a "$T/pages-two" -o "$T/b6/app"
check_eq "--no-dictionary: no dictionary" 0 \
	"$("$FATPACK" info --json "$T/b6/app" | jq .dictionary_size)"
off=$("$FATPACK" info --json "$T/b6/app" | jq .payload_offset)
check_eq "--no-dictionary: zstd -dc without -D reads the payload" \
	"$("$FATPACK" ls "$T/b6/app" | grep -c .)" \
	"$(tail -c +$((off + 1)) "$T/b6/app" | zstd -dc | tar -t | grep -c .)"

done_testing
