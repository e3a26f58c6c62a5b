#!/usr/bin/env bash
# t_dict.sh BUILD_DIR - when `fatpack build` stores a dictionary
# (docs/FORMAT.md 4.3, bundler/dict.c): for small pages that share their
# boilerplate, not for the same bytes under a name of a compressed type,
# and not for small files whose contents do not compress; and which frames
# use it: those of files from 64 bytes to 128 KiB, whatever their type.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

# pages DIR EXT: 200 pages with the same head and navigation, named *.EXT
pages() {
	mkdir -p "$1" || return 1
	for ((i = 0; i < 200; i++)); do
		{
			printf '<html><head><title>Page %d</title><link rel="stylesheet" ' "$i"
			printf 'href="site.css"></head><body><nav>Home | Docs | FAQ</nav>\n'
			seq "$i" $((i + 60)) | sed 's/.*/<p>Paragraph &.<\/p>/'
			printf '</body></html>\n'
		} >"$1/p$i.$2"
	done
}

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
pages "$T/html" html
pages "$T/png" png
mkdir -p "$T/random"
for ((i = 0; i < 200; i++)); do
	head -c 3000 /dev/urandom >"$T/random/r$i.dat"
done

size=$(dict_size "$T/html")
check "pages that share their boilerplate get a dictionary" test "$size" -gt 0
check_eq "the same pages named as PNG images get none" 0 "$(dict_size "$T/png")"
check_eq "small files that do not compress get none" 0 "$(dict_size "$T/random")"

# The size range of the files whose frames use the dictionary (bundler/dict.c,
# in_dict_range): 64 bytes to 128 KiB, ends included, whatever the type.
# frames.c prints, for each path, whether its frame header names a
# dictionary (the Dictionary_ID_flag, RFC 8878 3.1.1.1.1).
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

		if (fatpack_stat(argv[k], &e) != 0 ||
		    fatpack_frame_at(e.index, &f) != 0 ||
		    pread(f.fd, h, sizeof(h), (off_t)f.offset) != sizeof(h))
			return 1;
		printf("%s %s\n", argv[k], (h[4] & 3) != 0 ? "dict" : "plain");
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
