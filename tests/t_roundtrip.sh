#!/usr/bin/env bash
# t_roundtrip.sh BUILD_DIR - every way out of an artifact gives back the bytes
# that went in: the runtime API, `fatpack cat`, `APP --fatpack-extract`,
# `fatpack extract`, and plain `tail | tar --zstd -x`. The tree holds nested and
# empty folders, empty files, binary data, a 50 MB file, names with spaces and
# UTF-8, 10,000 small files, and copies of one content (stored once: tar
# makes hard links of them, fatpack extract copies).
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

src=$T/src
app=$T/app
long_dir=a-folder-whose-name-makes-the-path-of-a-file-in-it-longer-than-the-100-bytes-of-ustar-link-names

make_tree() {
	mkdir -p "$src"/{emptydir,nested/a/b/c,nested/a/emptysub,bin,big} \
		"$src/dir with space" "$src/日本語" || return 1
	printf 'hello\n' >"$src/hello.txt"
	: >"$src/empty.txt"
	: >"$src/nested/a/b/empty"
	printf 'deep\n' >"$src/nested/a/b/c/deep.txt"
	head -c 1048576 /dev/urandom >"$src/bin/random.bin"
	head -c 37 /dev/urandom >"$src/bin/small.bin"
	head -c 512 /dev/urandom >"$src/bin/block.bin"
	printf '#!/bin/sh\necho tool\n' >"$src/bin/tool.sh"
	chmod 755 "$src/bin/tool.sh"
	head -c 52428800 /dev/urandom >"$src/big/large.bin"
	# copies: of a file whose size is a multiple of 512 (no padding after
	# its link), of small ones, and of a path too long for ustar's link name
	mkdir -p "$src/copies" "$src/$long_dir" || return 1
	cp "$src/bin/random.bin" "$src/copies/random.bin"
	cp "$src/bin/small.bin" "$src/copies/small.bin"
	cp "$src/bin/small.bin" "$src/copies/small again.bin"
	printf 'deep\n' >"$src/$long_dir/first.txt"
	printf 'espace et accents\n' >"$src/dir with space/naïve café.txt"
	printf 'こんにちは\n' >"$src/日本語/ファイル.txt"
	local i d
	for ((d = 0; d < 100; d++)); do
		mkdir -p "$src/many/d$d"
	done
	for ((i = 0; i < 10000; i++)); do
		printf 'file %d\n' "$i" >"$src/many/d$((i % 100))/f$i.txt"
	done
}

# A program that writes every asset under DIR, read with fatpack_get_at (or
# fatpack_fopen when its second argument is "fopen"), and checks that
# fatpack_stat finds each entry at its own position.
write_dumper() {
	cat >"$T/dump.c" <<'CEOF'
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <fatpack.h>

static int
put(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		fprintf(stderr, "dump: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int
put_stream(const char *path, const char *asset)
{
	char buf[65536];
	size_t n;
	FILE *in = fatpack_fopen(asset), *out;

	if (in == NULL || (out = fopen(path, "wb")) == NULL) {
		fprintf(stderr, "dump: %s: %s\n", asset, strerror(errno));
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	if (ferror(in) || fclose(out) != 0) {
		fprintf(stderr, "dump: %s: read or write error\n", asset);
		return -1;
	}
	fclose(in);
	return 0;
}

static int
dump(const char *dir, size_t i, int stream)
{
	struct fatpack_entry e, s;
	char path[8192];
	const void *p;
	size_t n;
	int rc;

	if ((rc = fatpack_entry_at(i, &e)) != 0 ||
	    (rc = fatpack_stat(e.path, &s)) != 0) {
		fprintf(stderr, "dump: entry %zu: %s\n", i, fatpack_strerror(rc));
		return -1;
	}
	if (s.index != i) {
		fprintf(stderr, "dump: stat(%s) found entry %zu\n", e.path, s.index);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, e.path);
	if (e.type == FATPACK_DIR) {
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			fprintf(stderr, "dump: %s: %s\n", path, strerror(errno));
			return -1;
		}
		return 0;
	}
	if (stream)
		return put_stream(path, e.path);
	if ((rc = fatpack_get_at(i, &p, &n)) != 0) {
		fprintf(stderr, "dump: %s: %s\n", e.path, fatpack_strerror(rc));
		return -1;
	}
	if (n != e.size || ((const char *)p)[n] != '\0') {
		fprintf(stderr, "dump: %s: size %zu, index says %llu\n", e.path, n,
		    (unsigned long long)e.size);
		return -1;
	}
	return put(path, p, n);
}

int
main(int argc, char **argv)
{
	int stream = argc > 2 && strcmp(argv[2], "fopen") == 0;

	if (argc < 2 || fatpack_status() != 0) {
		fprintf(stderr, "usage: dump DIR [fopen] (status %d)\n", fatpack_status());
		return 2;
	}
	for (size_t i = 0; i < fatpack_count(); i++)
		if (dump(argv[1], i, stream) < 0)
			return 1;
	return 0;
}
CEOF
}

# same_tree NAME DIR: DIR holds exactly the files and folders of the source.
same_tree() {
	local d
	if d=$(diff -r "$src" "$2" 2>&1); then ok "$1"; else not_ok "$1" "$d"; fi
}

# The source tree as `fatpack ls` prints it: folders with a trailing slash.
src_listing() {
	(cd "$src" && find . -mindepth 1 \( -type d -printf '%P/\n' \) -o -printf '%P\n') | sort
}

make_tree || { not_ok "make the source tree"; done_testing; }
write_dumper
fp_build "$app" "$T/dump.c" "$src" || done_testing
ok "build an artifact of $(find "$src" -mindepth 1 | wc -l) entries"

check_eq "fatpack ls lists every file and folder" "$(src_listing)" \
	"$("$FATPACK" ls "$app" | sort)"
check_eq "--fatpack-list lists every file and folder" "$(src_listing)" \
	"$("$app" --fatpack-list | sort)"
check "fatpack verify" "$FATPACK" verify "$app"
check "--fatpack-verify" "$app" --fatpack-verify

mkdir "$T/api" "$T/api-fopen"
check "API: fatpack_get_at of every asset" "$app" "$T/api"
same_tree "API: fatpack_get_at bytes are the source's" "$T/api"
check "API: fatpack_fopen of every asset" "$app" "$T/api-fopen" fopen
same_tree "API: fatpack_fopen bytes are the source's" "$T/api-fopen"

# fatpack cat: every file outside many/, and one in fifty of many/.
bad=""
n=0
while IFS= read -r -d '' f; do
	p=${f#"$src"/}
	case $p in
	many/*) [ $((n++ % 50)) -eq 0 ] || continue ;;
	esac
	if ! "$FATPACK" cat "$app" "$p" >"$T/cat.out" 2>"$T/cat.err" ||
		! cmp -s "$T/cat.out" "$f"; then
		bad="$bad$p: $(head -n 1 "$T/cat.err")"$'\n'
	fi
done < <(find "$src" -type f -print0)
if [ -z "$bad" ]; then ok "fatpack cat gives each asset's bytes"; else
	not_ok "fatpack cat gives each asset's bytes" "$bad"; fi

check "APP --fatpack-extract DIR" "$app" --fatpack-extract "$T/x-runtime"
same_tree "--fatpack-extract bytes are the source's" "$T/x-runtime"
check "fatpack extract APP DIR" "$FATPACK" extract "$app" "$T/x-fatpack"
same_tree "fatpack extract bytes are the source's" "$T/x-fatpack"
for d in x-runtime x-fatpack; do
	if [ -x "$T/$d/bin/tool.sh" ] && [ ! -x "$T/$d/bin/random.bin" ]; then
		ok "$d keeps the execute bit"
	else
		not_ok "$d keeps the execute bit" "$(ls -l "$T/$d/bin" 2>&1)"
	fi
done

off=$("$app" --fatpack-offset)
check_eq "--fatpack-offset agrees with fatpack info --json" "$off" \
	"$("$FATPACK" info --json "$app" | jq .payload_offset)"
case $off in
'' | *[!0-9]*) not_ok "payload offset is a number" "$off"; done_testing ;;
esac
check_eq "payload offset is a multiple of 4096" 0 $((off % 4096))
mkdir "$T/x-tar"
if tail -c +$((off + 1)) "$app" | tar --zstd -x -C "$T/x-tar" 2>"$T/tar.err"; then
	ok "tail | tar --zstd -x"
else
	not_ok "tail | tar --zstd -x" "$(cat "$T/tar.err")"
fi
same_tree "tar extraction bytes are the source's" "$T/x-tar"
check_eq "tar -tv lists the entries fatpack ls lists" \
	"$("$FATPACK" ls "$app" | sort)" \
	"$(tail -c +$((off + 1)) "$app" | tar --zstd -tv --quoting-style=literal |
		sed -E 's/^([^ ]+ +){5}//; s/ link to .*//' | sort)"
check_eq "the copies are hard links in the tar stream" \
	"copies/random.bin link to bin/random.bin
copies/small again.bin link to bin/small.bin
copies/small.bin link to bin/small.bin
nested/a/b/c/deep.txt link to $long_dir/first.txt" \
	"$(tail -c +$((off + 1)) "$app" | tar --zstd -tv --quoting-style=literal |
		sed -E 's/^([^ ]+ +){5}//' | grep ' link to ' | sort)"
# inode numbers: tar links the copies, the extracts of fatpack copy them
inode() { stat -c %i "$1"; }
check_eq "tar makes a copy a hard link" "$(inode "$T/x-tar/bin/small.bin")" \
	"$(inode "$T/x-tar/copies/small.bin")"
for d in x-runtime x-fatpack; do
	check_eq "$d writes copies, not links" 1 \
		"$(stat -c %h "$T/$d/copies/small.bin")"
done
stored=$(tail -c +$((off + 1)) "$app" | zstd -dc | wc -c)
whole=$(tar -C "$src" -cf - --hard-dereference . | wc -c)
check "each content stored once: the tar stream is smaller than the tree's" \
	test "$stored" -lt $((whole - 1048576))
check_eq "zstd -dc | tar -t agrees too" "$(src_listing)" \
	"$(tail -c +$((off + 1)) "$app" | zstd -dc | tar -t --quoting-style=literal | sort)"

done_testing
