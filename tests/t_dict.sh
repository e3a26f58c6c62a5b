#!/usr/bin/env bash
# t_dict.sh BUILD_DIR - when `fatpack build` stores a dictionary
# (docs/FORMAT.md 4.3, bundler/dict.c): for small pages that share their
# boilerplate, not for the same bytes under a name of a compressed type,
# and not for small files whose contents do not compress; and which frames
# use it: those of files from 64 bytes to 128 KiB, whatever their type.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

# dict_size DIR: the dictionary frame's size of DIR's files packed with
# a do-nothing program
dict_size() {
	local app
	app=$T/$(basename "$1").app
	"$FATPACK" build -q "$T/prog.c" -a "$1" -o "$app" 2>"$T/build.err" ||
		{ cat "$T/build.err" >&2; return 1; }
	"$FATPACK" info --json "$app" | jq .dictionary_size
}

printf 'int main(void) { return 0; }\n' >"$T/prog.c"
similar_pages "$T/html" html
similar_pages "$T/png" png
mkdir -p "$T/random"
for ((i = 0; i < 200; i++)); do
	head -c 3000 /dev/urandom >"$T/random/r$i.dat"
done

# frame.c: asset argv[1]'s stored frame on stdout, as a program that
# serves frames as they are (fatpack_frame_at) would send it
cat >"$T/frame.c" <<'EOF'
#include <fatpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct fatpack_entry e;
	struct fatpack_frame f;
	char *buf;
	int rc;

	if (argc != 2)
		return 2;
	if ((rc = fatpack_stat(argv[1], &e)) != 0 ||
	    (rc = fatpack_frame_at(e.index, &f)) != 0) {
		fprintf(stderr, "frame: %s\n", fatpack_strerror(rc));
		return 1;
	}
	if ((buf = malloc(f.length + 1)) == NULL)
		return 1;
	rc = pread(f.fd, buf, f.length, (off_t)f.offset) != (ssize_t)f.length;
	if (rc == 0)
		fwrite(buf, 1, f.length, stdout);
	free(buf);
	return rc;
}
EOF

size=$(dict_size "$T/html")
check "pages that share their boilerplate get a dictionary" test "$size" -gt 0
check_eq "the same pages named as PNG images get none" 0 "$(dict_size "$T/png")"
check_eq "small files that do not compress get none" 0 "$(dict_size "$T/random")"

# cpu_ms CMD...: the user CPU time CMD took, in milliseconds
cpu_ms() {
	local TIMEFORMAT=%3U t
	t=$({ time "$@" >/dev/null 2>"$T/cpu.err"; } 2>&1) ||
		{ cat "$T/cpu.err" >&2; return 1; }
	echo $((10#${t/./}))
}

# Above level 5 a file is probed at level 5 first, and one compressed
# already keeps that frame (bundler/pack.c). With the dictionary too: zstd
# compresses at the level a dictionary was made for, so a probe with the
# build's level-19 dictionary was a level-19 compression of every such
# file of the dictionary's sizes (5x the time of the build without it).
mkdir -p "$T/mixed"
cp "$T"/html/*.html "$T/mixed/"
for ((i = 0; i < 200; i++)); do
	head -c 120000 /dev/urandom >"$T/mixed/r$i.png"
done
with=$(cpu_ms "$FATPACK" build -q -l 19 -j 1 "$T/prog.c" -a "$T/mixed" \
	-o "$T/mixed.app")
without=$(cpu_ms "$FATPACK" build -q -l 19 -j 1 --no-dictionary \
	"$T/prog.c" -a "$T/mixed" -o "$T/mixed-nodict.app")
printf "# level 19, CPU ms: %s with the dictionary, %s without\n" "$with" "$without"
check_eq "the mixed tree has a dictionary" true \
	"$("$FATPACK" info --json "$T/mixed.app" | jq '.dictionary_size > 0')"
check "level 19: files compressed already are probed at level 5 with the dictionary too" \
	test "${with:-999999}" -lt $((2 * ${without:-0} + 500))

# A client has no dictionary: fatpack_frame_at refuses a frame made with
# it, and gives one made without it (--no-dictionary), which plain zstd
# decodes.
if fp_build "$T/frame" "$T/frame.c" "$T/html"; then
	check_fails "fatpack_frame_at refuses a frame that needs the dictionary" \
		"^frame: the frame needs the payload's zstd dictionary" \
		"$T/frame" p5.html
fi
if "$FATPACK" build -q --no-dictionary "$T/frame.c" -a "$T/html" \
	-o "$T/frame-nodict" 2>"$T/build.err"; then
	"$T/frame-nodict" p5.html >"$T/p5.zst" 2>"$T/frame.err"
	check_eq "without the dictionary the frame is plain zstd" \
		"$(cat "$T/html/p5.html")" "$(zstd -dc <"$T/p5.zst" 2>&1)"
else
	not_ok "build with --no-dictionary" "$(cat "$T/build.err")"
fi

# The size range of the files whose frames use the dictionary (bundler/dict.c,
# in_dict_range): 64 bytes to 128 KiB, ends included, whatever the type.
# frames.c prints, for each path, "dict" when fatpack_frame_at refuses its
# frame for needing the dictionary, else whether the frame header names a
# dictionary anyway (the Dictionary_ID_flag, RFC 8878 3.1.1.1.1), which it
# must not.
cat >"$T/frames.c" <<'EOF2'
#include <fatpack.h>
#include <stdio.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	for (int k = 1; k < argc; k++) {
		struct fatpack_entry e;
		struct fatpack_frame f;
		unsigned char h[5];

		int r;

		if (fatpack_stat(argv[k], &e) != 0)
			return 1;
		if ((r = fatpack_frame_at(e.index, &f)) == FATPACK_EDICT) {
			printf("%s dict\n", argv[k]);
			continue;
		}
		if (r != 0 ||
		    pread(f.fd, h, sizeof(h), (off_t)f.offset) != sizeof(h))
			return 1;
		printf("%s %s\n", argv[k], (h[4] & 3) != 0 ?
		    "dictionary frame handed out" : "plain");
	}
	return 0;
}
EOF2
# 1,000 pages that share a long navigation, so that the dictionary pays
# with the two 128 KiB files among them
mkdir -p "$T/edges"
nav=$(seq 40 | sed 's|.*|<li><a href="/docs/s&.html">Section &</a></li>|' |
	tr -d '\n')
for ((i = 0; i < 1000; i++)); do
	{
		printf '<html><head><title>Page %d</title></head><body>' "$i"
		printf '<nav><ul>%s</ul></nav><p>%d</p></body></html>\n' "$nav" "$i"
	} >"$T/edges/p$i.html"
done
# sized FILE BYTES: that many bytes of the pages, unlike any other file's
sized() {
	{ echo "$1"; cat "$T"/edges/p*.html; } | head -c "$2" >"$T/edges/$1"
}
sized e63.txt 63
sized e64.txt 64
sized e64.png 64
sized e128k.txt 131072
sized e128k1.txt 131073
check "build the range's ends with a dictionary" "$FATPACK" build -q \
	"$T/frames.c" -a "$T/edges" -o "$T/edges.app"
check_eq "frames with the dictionary: 64 bytes to 128 KiB, by size only" \
	"e63.txt plain
e64.txt dict
e64.png dict
e128k.txt dict
e128k1.txt plain
p7.html dict" \
	"$("$T/edges.app" e63.txt e64.txt e64.png e128k.txt e128k1.txt p7.html)"
done_testing
