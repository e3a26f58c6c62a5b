#!/usr/bin/env bash
# t_dict.sh BUILD_DIR - when `fatpack build` stores a dictionary
# (docs/FORMAT.md 4.3, bundler/dict.c): for small pages that share their
# boilerplate, not for the same bytes under a name of a compressed type,
# and not for small files whose contents do not compress.
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
done_testing
