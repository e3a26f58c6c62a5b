/* test-sources: stub/format/check.c tests/unit/craft.c tests/unit/tap.c; test-libs: -lzstd */
/*
 * test_runtime.c - unit tests of the format reader (stub/format/reader.c),
 * on artifacts crafted in memory (SHA-256 itself: test_sha256.c).
 *
 * Built for the host against the system libzstd by tests/run.sh; the
 * reader and SHA-256 sources are included so their static helpers are in
 * reach, and the artifacts come from craft.c:
 *
 *   gcc -std=c11 -D_GNU_SOURCE -Iinclude -iquote stub tests/unit/test_runtime.c \
 *       stub/format/check.c tests/unit/craft.c tests/unit/tap.c -lzstd \
 *       -o test_runtime
 *
 * Prints one "ok - name" or "not ok - name" line per check; exits 1 if any
 * check failed.
 */
#define ZSTD_STATIC_LINKING_ONLY
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#include "../../stub/format/reader.c"
#include "../../stub/format/sha256.c"

#include "craft.h"

/* --- the standard test artifact --------------------------------------------- */

static unsigned char noise[70000];
static const char text[] = "body { color: red }\n";
static const char meta[] = "build_time=1700000000\nname=demo\nversion=1.2.3\n";

static const struct tentry std_entries[] = {
	{ "css", FP_TYPE_DIR, NULL, 0, "", 0755, 1, NULL, 0 },
	{ "css/site.css", FP_TYPE_FILE, text, sizeof(text) - 1, "text/css", 0644, 2, NULL, 0 },
	{ "empty.txt", FP_TYPE_FILE, "", 0, "text/plain", 0644, 3, NULL, 0 },
	{ "noise.bin", FP_TYPE_FILE, noise, sizeof(noise), "", 0755, -4, NULL, 0 },
};
#define STD_N (sizeof(std_entries) / sizeof(std_entries[0]))
#define NOISE 3

static void
build_std(struct art *t)
{
	build(t, std_entries, STD_N, meta, strlen(meta), 1);
}

static void
expect(struct art *t, int code, const char *needle, const char *name)
{
	char detail[256], label[512];
	int r = try_open(t->b.p, t->b.len, detail);

	snprintf(label, sizeof(label), "%s (%s)", name, detail);
	check(r == code && strstr(detail, needle) != NULL, label);
}

/* --- tests -------------------------------------------------------------------- */

/* Whether the open archive holds std_entries, fields and bytes. */
static int
std_entries_match(const struct fp_reader *a)
{
	struct fatpack_entry e;
	void *data;
	size_t size, i;
	int r, ok = 1;

	for (i = 0; i < STD_N; i++) {
		const struct tentry *te = &std_entries[i];

		ok &= fp_reader_entry(a, i, &e) == 0 && strcmp(e.path, te->path) == 0 &&
		    e.path_len == strlen(te->path) && strcmp(e.mime, te->mime) == 0 &&
		    e.size == te->len && e.mtime == te->mtime && e.mode == te->mode &&
		    e.type == te->type && e.index == i;
		if (te->type != FP_TYPE_FILE)
			continue;
		r = fp_reader_decode(a, i, &data, &size);
		ok &= r == 0 && size == te->len && memcmp(data, te->data, size) == 0 &&
		    ((char *)data)[size] == '\0';
		if (r == 0)
			free(data);
	}
	return ok;
}

static void
test_round_trip(void)
{
	struct art t;
	struct fp_reader a;
	struct fatpack_frame f;
	char detail[256];
	void *data;
	size_t size, vlen;
	const char *v;
	int fd, r;

	build_std(&t);
	fd = open_bytes(t.b.p, t.b.len);
	r = fp_reader_open(&a, fd, detail, sizeof(detail));
	check(r == 0, "valid artifact opens");
	if (r != 0) {
		printf("# %s\n", detail);
		return;
	}
	check(a.count == STD_N && a.payload_offset == FP_ALIGN, "count and offset");
	check(fp_reader_find(&a, "css/site.css", 12) == 1, "find css/site.css");
	check(fp_reader_find(&a, "css", 3) == 0, "find folder");
	check(fp_reader_find(&a, "css/site.cs", 11) == FATPACK_ENOENT &&
	    fp_reader_find(&a, "zzz", 3) == FATPACK_ENOENT &&
	    fp_reader_find(&a, "", 0) == FATPACK_ENOENT, "find misses");
	check(std_entries_match(&a), "every entry's fields and bytes round-trip");
	check(fp_reader_decode(&a, 0, &data, &size) == FATPACK_EISDIR,
	    "decoding a folder is EISDIR");
	check(fp_reader_decode(&a, STD_N, &data, &size) == FATPACK_ERANGE,
	    "decoding past the end is ERANGE");
	r = fp_reader_decode(&a, 2, &data, &size);
	check(r == 0 && size == 0 && ((char *)data)[0] == '\0',
	    "empty file decodes to a 1-byte NUL buffer");
	if (r == 0)
		free(data);
	check(fp_reader_frame(&a, 1, &f) == 0 && f.fd == fd &&
	    f.offset == t.frame[1] && f.length == t.frame_len[1], "frame location");
	check(fp_reader_frame(&a, 2, &f) == 0 && f.length == 0, "empty file frame");
	check(fp_reader_frame(&a, 0, &f) == FATPACK_EISDIR, "folder has no frame");
	v = fp_reader_meta(&a, "name", &vlen);
	check(v != NULL && vlen == 4 && memcmp(v, "demo", 4) == 0, "meta name");
	v = fp_reader_meta(&a, "version", &vlen);
	check(v != NULL && vlen == 5 && memcmp(v, "1.2.3", 5) == 0, "meta version");
	check(fp_reader_meta(&a, "nam", &vlen) == NULL &&
	    fp_reader_meta(&a, "revision", &vlen) == NULL, "meta misses");
	fp_reader_close(&a);
	close(fd);
	free(t.b.p);
}

static void
test_no_trailer(void)
{
	struct buf b = { 0 };
	struct art t;
	char detail[256];
	int r;

	r = try_open((const unsigned char *)"short", 5, detail);
	check(r == FATPACK_ENOTFAT, "tiny file is not a fat binary");

	append_elf(&b, FP_RUNTIME_SECTION, 0);
	r = try_open(b.p, b.len, detail);
	check(r == FATPACK_ELOST && strstr(detail, "payload lost") != NULL,
	    "runtime without payload: payload lost");
	append_zero(&b, 5000);
	r = try_open(b.p, b.len, detail);
	check(r == FATPACK_ETRUNC && strstr(detail, "trailer missing") != NULL,
	    "runtime and cut payload: truncated");
	b.len = 0;
	append_elf(&b, ".fatpacx", 0);
	r = try_open(b.p, b.len, detail);
	check(r == FATPACK_ENOTFAT && strstr(detail, "not a fat binary") != NULL,
	    "ELF without the runtime: not a fat binary");
	free(b.p);

	build_std(&t);
	t.b.p[t.trailer] ^= 1;
	expect(&t, FATPACK_ETRUNC, "trailer missing", "bad trailer magic: no trailer");
	t.b.p[t.trailer] ^= 1;
	t.b.len -= 10;
	expect(&t, FATPACK_ETRUNC, "truncated", "last bytes cut: truncated");
	free(t.b.p);
}

static void
test_trailer(void)
{
	struct art t;
	unsigned char *tr;

	build_std(&t);
	tr = t.b.p + t.trailer;
	tr[FP_T_PAYLOAD_SIZE] ^= 1;
	expect(&t, FATPACK_ECHECKSUM, "trailer checksum mismatch",
	    "trailer checksum");
	tr[FP_T_PAYLOAD_SIZE] ^= 1;

	fp_put_le16(tr + FP_T_MAJOR, 2);
	reseal(&t);
	expect(&t, FATPACK_EVERSION, "unsupported format version 2.",
	    "version 2.0 refused");
	fp_put_le16(tr + FP_T_MAJOR, 1);
	fp_put_le16(tr + FP_T_MINOR, 7);
	reseal(&t);
	expect(&t, 0, "", "version 1.7 accepted");
	fp_put_le32(tr + FP_T_FLAGS, 0x80);
	reseal(&t);
	expect(&t, FATPACK_EVERSION, "unsupported format flags 0x80",
	    "unknown flag refused");
	fp_put_le16(tr + FP_T_MINOR, 0);
	fp_put_le32(tr + FP_T_FLAGS, 0);

	fp_put_le64(tr + FP_T_PAYLOAD_OFF, 2 * FP_ALIGN);
	reseal(&t);
	expect(&t, FATPACK_ETRUNC, "truncated: file is", "payload too large: truncated");
	fp_put_le64(tr + FP_T_PAYLOAD_OFF, 0);
	reseal(&t);
	expect(&t, FATPACK_ECORRUPT, "corrupt trailer", "payload too small: corrupt");
	fp_put_le64(tr + FP_T_PAYLOAD_OFF, UINT64_MAX - 50);
	reseal(&t);
	expect(&t, FATPACK_ECORRUPT, "overflow", "payload offset overflow");
	fp_put_le64(tr + FP_T_PAYLOAD_OFF, t.payload);

	fp_put_le64(tr + FP_T_INDEX_OFF, fp_le64(tr + FP_T_INDEX_OFF) + 1);
	reseal(&t);
	expect(&t, FATPACK_ECORRUPT, "index does not end", "index range");
	free(t.b.p);

	build_std(&t);
	reserve(&t.b, 1);
	memmove(t.b.p + 1, t.b.p, t.b.len);
	t.b.len++;
	t.trailer++;
	tr = t.b.p + t.trailer;
	fp_put_le64(tr + FP_T_PAYLOAD_OFF, t.payload + 1);
	reseal(&t);
	expect(&t, FATPACK_ECORRUPT, "multiple of 4096", "unaligned payload");
	free(t.b.p);
}

/* Damages one entry field and reseals, expecting a corrupt index. */
static void
entry_case(size_t i, size_t field, uint64_t value, int width, const char *needle,
    const char *name)
{
	struct art t;
	unsigned char *e;

	build_std(&t);
	e = t.b.p + t.entries + i * FP_ENTRY_SIZE + field;
	if (width == 8)
		fp_put_le64(e, value);
	else if (width == 4)
		fp_put_le32(e, (uint32_t)value);
	else
		*e = (unsigned char)value;
	reseal(&t);
	expect(&t, FATPACK_ECORRUPT, needle, name);
	free(t.b.p);
}

static void
path_case(const char *path, const char *needle, const char *name)
{
	struct tentry te = { path, FP_TYPE_FILE, "x", 1, "", 0644, 0, NULL, 0 };
	struct art t;

	build(&t, &te, 1, "", 0, 1);
	expect(&t, FATPACK_ECORRUPT, needle, name);
	free(t.b.p);
}

static void
test_utf8_path(void)
{
	struct tentry te = { "caf\xc3\xa9 \xf0\x9f\x98\x80", FP_TYPE_FILE, "x", 1,
	    "", 0644, 0, NULL, 0 };
	struct art t;

	build(&t, &te, 1, "", 0, 1);
	expect(&t, 0, "", "UTF-8 path accepted");
	free(t.b.p);
}

static void
test_index(void)
{
	struct art t;
	struct tentry two[2];

	build_std(&t);
	t.b.p[t.entries + 5] ^= 1;
	expect(&t, FATPACK_ECHECKSUM, "index checksum mismatch", "index checksum");
	t.b.p[t.entries + 5] ^= 1;
	t.b.p[t.index_data - 8] ^= 1;
	reseal(&t);
	expect(&t, FATPACK_ECORRUPT, "skippable", "index frame magic");
	t.b.p[t.index_data - 8] ^= 1;
	t.b.p[t.index_data] = 'X';
	reseal(&t);
	expect(&t, FATPACK_ECORRUPT, "signature", "index signature");
	t.b.p[t.index_data] = 'F';
	fp_put_le32(t.b.p + t.index_data + FP_I_COUNT, 0x7fffffff);
	reseal(&t);
	expect(&t, FATPACK_ECORRUPT, "sizes add up", "huge entry count refused");
	fp_put_le32(t.b.p + t.index_data + FP_I_COUNT, STD_N);
	fp_put_le32(t.b.p + t.index_data + FP_I_ENTRY_SIZE, 64);
	reseal(&t);
	expect(&t, FATPACK_ECORRUPT, "entry size", "short entry size");
	free(t.b.p);

	/* swap the path offsets of entries 2 and 3 */
	build_std(&t);
	{
		unsigned char *e2 = t.b.p + t.entries + 2 * FP_ENTRY_SIZE;
		unsigned char *e3 = e2 + FP_ENTRY_SIZE, tmp[8];

		memcpy(tmp, e2 + FP_E_PATH_OFF, 8);
		memcpy(e2 + FP_E_PATH_OFF, e3 + FP_E_PATH_OFF, 8);
		memcpy(e3 + FP_E_PATH_OFF, tmp, 8);
	}
	reseal(&t);
	expect(&t, FATPACK_ECORRUPT, "entry 3 path not sorted", "unsorted paths");
	free(t.b.p);

	two[0] = (struct tentry){ "a", FP_TYPE_FILE, "x", 1, "", 0644, 0, NULL, 0 };
	two[1] = two[0];
	build(&t, two, 2, "", 0, 1);
	expect(&t, FATPACK_ECORRUPT, "not sorted", "duplicate path");
	free(t.b.p);

	two[0] = (struct tentry){ "a", FP_TYPE_FILE, "x", 1, "", 0644, 0, NULL, 0 };
	two[1] = (struct tentry){ "a/b", FP_TYPE_FILE, "x", 1, "", 0644, 0, NULL, 0 };
	build(&t, two, 2, "", 0, 1);
	expect(&t, FATPACK_ECORRUPT, "parent folder missing", "file used as folder");
	free(t.b.p);
	path_case("d/x", "parent folder missing", "missing parent folder");

	path_case("../x", "'.' or '..'", "path with ..");
	path_case("a/../b", "'.' or '..'", "path with inner ..");
	path_case("./x", "'.' or '..'", "path with .");
	path_case("/etc/passwd", "absolute", "absolute path");
	path_case("a//b", "empty path component", "empty component");
	path_case("a/", "ends with", "trailing slash");
	path_case("a\\b", "backslash", "backslash");
	path_case("caf\xe9", "UTF-8", "latin-1 path");
	path_case("\xc0\xaf", "UTF-8", "overlong UTF-8");

	entry_case(1, FP_E_PATH_LEN, 0, 4, "empty path", "empty path");
	entry_case(1, FP_E_PATH_OFF, 0xfffffff0u, 4, "outside the string table",
	    "path outside strtab");
	entry_case(1, FP_E_MIME_LEN, 0xffffffffu, 4, "outside the string table",
	    "MIME outside strtab");
	entry_case(1, FP_E_TYPE, 7, 1, "unknown type", "unknown type");
	entry_case(1, FP_E_FRAME_SIZE, 0, 8, "no frame", "file without frame");
	entry_case(1, FP_E_FRAME_OFF, UINT64_MAX - 2, 8, "outside the tar stream",
	    "frame offset overflow");
	build_std(&t);
	entry_case(NOISE, FP_E_FRAME_OFF, t.index_data - 8 - t.payload - 1, 8,
	    "outside the tar stream", "frame range outside");
	free(t.b.p);
	entry_case(0, FP_E_SIZE, 5, 8, "folder with content", "folder with size");
}

static void
test_meta(void)
{
	static const char *const bad[] = {
		"name=x", "b=1\na=2\n", "a=1\na=2\n", "Name=x\n", "=x\n",
		"novalue\n", "k=caf\xe9\n",
	};
	static const char good[] = "a=\nserve.listen=:8080\nz=caf\xc3\xa9 = x\n";
	struct tentry te = { "a", FP_TYPE_FILE, "x", 1, "", 0644, 0, NULL, 0 };
	struct art t;
	size_t i;
	char name[64];

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		build(&t, &te, 1, bad[i], strlen(bad[i]), 1);
		snprintf(name, sizeof(name), "bad metadata %zu", i);
		expect(&t, FATPACK_ECORRUPT, "metadata", name);
		free(t.b.p);
	}
	build(&t, &te, 1, good, strlen(good), 1);
	expect(&t, 0, "", "good metadata");
	free(t.b.p);
}

/* Opens t and decodes entry i, expecting code and no bytes back. */
static void
decode_case(struct art *t, size_t i, int code, const char *name)
{
	struct fp_reader a;
	char detail[256];
	void *data = (void *)name;
	size_t size = 12345;
	int fd = open_bytes(t->b.p, t->b.len), r;

	r = fp_reader_open(&a, fd, detail, sizeof(detail));
	if (r == 0) {
		r = fp_reader_decode(&a, i, &data, &size);
		fp_reader_close(&a);
	}
	close(fd);
	check(r == code && data == (void *)name && size == 12345, name);
}

static void
test_decode(void)
{
	struct art t;
	struct tentry te = { "a", FP_TYPE_FILE, text, sizeof(text) - 1, "", 0644, 0, NULL, 0 };
	size_t mid;

	build_std(&t);
	mid = t.frame[NOISE] + t.frame_len[NOISE] / 2;
	t.b.p[mid] ^= 0x40;
	decode_case(&t, NOISE, FATPACK_ECHECKSUM, "flipped byte in raw content");
	t.b.p[mid] ^= 0x40;
	t.b.p[t.frame[1] + t.frame_len[1] - 1] ^= 1;
	decode_case(&t, 1, FATPACK_ECHECKSUM, "flipped zstd checksum");
	t.b.p[t.frame[1] + t.frame_len[1] - 1] ^= 1;
	t.b.p[t.frame[1]] ^= 1;
	decode_case(&t, 1, FATPACK_ECORRUPT, "bad zstd frame magic");
	t.b.p[t.frame[1]] ^= 1;

	/* valid zstd, wrong index hash */
	t.b.p[t.entries + FP_ENTRY_SIZE + FP_E_SHA] ^= 1;
	reseal(&t);
	decode_case(&t, 1, FATPACK_ECHECKSUM, "content hash mismatch");
	t.b.p[t.entries + FP_ENTRY_SIZE + FP_E_SHA] ^= 1;
	t.b.p[t.entries + 2 * FP_ENTRY_SIZE + FP_E_SHA] ^= 1;
	reseal(&t);
	decode_case(&t, 2, FATPACK_ECHECKSUM, "empty file hash mismatch");
	t.b.p[t.entries + 2 * FP_ENTRY_SIZE + FP_E_SHA] ^= 1;

	fp_put_le64(t.b.p + t.entries + FP_ENTRY_SIZE + FP_E_SIZE, sizeof(text));
	reseal(&t);
	decode_case(&t, 1, FATPACK_ECORRUPT, "size differs from frame");
	fp_put_le64(t.b.p + t.entries + FP_ENTRY_SIZE + FP_E_SIZE, sizeof(text) - 1);
	fp_put_le64(t.b.p + t.entries + FP_ENTRY_SIZE + FP_E_FRAME_SIZE, t.frame_len[1] - 1);
	reseal(&t);
	decode_case(&t, 1, FATPACK_ECORRUPT, "frame shorter than the index says");
	fp_put_le64(t.b.p + t.entries + FP_ENTRY_SIZE + FP_E_FRAME_SIZE, t.frame_len[1] + 1);
	reseal(&t);
	decode_case(&t, 1, FATPACK_ECORRUPT, "frame longer than the index says");
	free(t.b.p);

	build(&t, &te, 1, "", 0, 0);
	decode_case(&t, 0, FATPACK_ECORRUPT, "frame without checksum refused");
	free(t.b.p);
}

/* Every single-byte change in the trailer or the index must be refused,
 * and none may crash (run under ASan/UBSan to make that mean something). */
static void
test_flips(void)
{
	struct art t;
	char detail[256];
	size_t i, start, bad = 0;

	build_std(&t);
	start = t.index_data - 8;
	for (i = start; i < t.b.len; i++) {
		t.b.p[i] ^= 0x11;
		if (try_open(t.b.p, t.b.len, detail) == 0)
			bad++;
		t.b.p[i] ^= 0x11;
	}
	check(bad == 0, "every flipped byte of index and trailer refused");
	for (i = 0, bad = 0; i < t.b.len; i += 7)
		if (try_open(t.b.p, i, detail) == 0)
			bad++;
	check(bad == 0, "every truncation refused");
	free(t.b.p);
}

/* --- compressed index (FORMAT.md 4.1) --------------------------------------- */

/* A copy of the std artifact's plain index data. */
static struct buf
std_index(void)
{
	struct art t;
	struct buf b = { 0 };

	build_std(&t);
	append(&b, t.b.p + t.index_data, t.trailer - t.index_data);
	free(t.b.p);
	return b;
}

/* Adds delta to the frame content size field of the zstd frame at p. */
static void
shift_content_size(unsigned char *p, int delta)
{
	static const size_t dict_width[] = { 0, 1, 2, 4 }, fcs_width[] = { 0, 2, 4, 8 };
	unsigned fhd = p[4], single = fhd & 0x20;
	size_t off = 5 + (single ? 0 : 1) + dict_width[fhd & 3];
	size_t w = fhd >> 6 == 0 ? (single ? 1 : 0) : fcs_width[fhd >> 6], k;
	uint64_t v = 0;

	for (k = 0; k < w; k++)
		v |= (uint64_t)p[off + k] << 8 * k;
	v += (uint64_t)(int64_t)delta;
	for (k = 0; k < w; k++)
		p[off + k] = (unsigned char)(v >> 8 * k);
}

/* The std artifact with index data d (flags as given): the open's code. */
static void
expect_index(const struct buf *d, uint32_t flags, int code, const char *needle,
    const char *name)
{
	struct art t;

	build_std(&t);
	set_index(&t, d->p, d->len, flags);
	expect(&t, code, needle, name);
	free(t.b.p);
}

static void
test_zindex_valid(const struct buf *z)
{
	struct art t;
	struct fp_reader a;
	char detail[256];
	const char *v;
	size_t vlen;
	int fd, r;

	build_std(&t);
	set_index(&t, z->p, z->len, FP_FLAG_ZINDEX);
	fd = open_bytes(t.b.p, t.b.len);
	r = fp_reader_open(&a, fd, detail, sizeof(detail));
	check(r == 0, "compressed index opens");
	if (r == 0) {
		check(a.count == STD_N && std_entries_match(&a),
		    "compressed index: every entry's fields and bytes round-trip");
		v = fp_reader_meta(&a, "version", &vlen);
		check(v != NULL && vlen == 5 && memcmp(v, "1.2.3", 5) == 0,
		    "compressed index: meta version");
		fp_reader_close(&a);
	} else {
		printf("# %s\n", detail);
	}
	close(fd);
	free(t.b.p);
}

static void
test_zindex(void)
{
	/* 2^60 bytes claimed by a 40-byte frame: single segment, 8-byte
	 * content size, checksum; one raw block of 20 bytes */
	static const unsigned char bomb[40] = { 0x28, 0xB5, 0x2F, 0xFD, 0xE4,
	    0, 0, 0, 0, 0, 0, 0, 0x10, 0xA1, 0x00, 0x00 };
	static const unsigned char zeros[1 << 20];
	static const char junk[] = "0123456789abcdef0123456789abcdef0123456789";
	struct buf raw = std_index(), z = { 0 }, y = { 0 };
	struct art t;
	char detail[256];
	size_t i, bad = 0;

	compress_frame(&z, raw.p, raw.len, 1, 1);
	test_zindex_valid(&z);
	expect_index(&z, 0, FATPACK_ECORRUPT, "bad signature",
	    "compressed index without the flag: bad signature");
	expect_index(&raw, FP_FLAG_ZINDEX, FATPACK_ECORRUPT,
	    "corrupt compressed index", "plain index with the flag refused");

	append(&y, z.p, z.len);
	y.p[y.len / 2] ^= 0x40;
	expect_index(&y, FP_FLAG_ZINDEX, FATPACK_ECORRUPT,
	    "corrupt compressed index", "corrupt compressed bytes, good SHA-256");
	y.len = 0;
	append(&y, z.p, z.len);
	append(&y, "", 1);
	expect_index(&y, FP_FLAG_ZINDEX, FATPACK_ECORRUPT,
	    "corrupt compressed index", "a byte after the compressed index");
	y.len = 0;
	append(&y, z.p, z.len);
	shift_content_size(y.p, 1);
	expect_index(&y, FP_FLAG_ZINDEX, FATPACK_ECORRUPT,
	    "corrupt compressed index", "content size one too large");
	shift_content_size(y.p, -2);
	expect_index(&y, FP_FLAG_ZINDEX, FATPACK_ECORRUPT,
	    "corrupt compressed index", "content size one too small");
	y.len = 0;
	compress_frame(&y, raw.p, raw.len, 1, 0);
	expect_index(&y, FP_FLAG_ZINDEX, FATPACK_ECORRUPT, "no usable content size",
	    "compressed index without content size");
	y.len = 0;
	compress_frame(&y, raw.p, raw.len, 0, 1);
	expect_index(&y, FP_FLAG_ZINDEX, FATPACK_ECORRUPT,
	    "corrupt compressed index", "compressed index without checksum");
	y.len = 0;
	append(&y, bomb, sizeof(bomb));
	expect_index(&y, FP_FLAG_ZINDEX, FATPACK_ECORRUPT, "bytes claimed",
	    "2^60 bytes claimed: refused before allocating");
	y.len = 0;
	compress_frame(&y, zeros, sizeof(zeros), 1, 1);
	expect_index(&y, FP_FLAG_ZINDEX, FATPACK_ECORRUPT, "bytes claimed",
	    "1 MiB of zeros: over the ratio bound");
	y.len = 0;
	compress_frame(&y, junk, sizeof(junk) - 1, 1, 1);
	expect_index(&y, FP_FLAG_ZINDEX, FATPACK_ECORRUPT, "bad signature",
	    "decoded bytes are checked as an index");

	/* every byte of the compressed frame changed, SHA-256 fixed: refused,
	 * never a crash (ASan/UBSan runs make that mean something) */
	for (i = 0; i < z.len; i++) {
		y.len = 0;
		append(&y, z.p, z.len);
		y.p[i] ^= 0x11;
		build_std(&t);
		set_index(&t, y.p, y.len, FP_FLAG_ZINDEX);
		if (try_open(t.b.p, t.b.len, detail) == 0)
			bad++;
		free(t.b.p);
	}
	check(bad == 0, "every changed byte of the compressed index refused");
	free(raw.p);
	free(z.p);
	free(y.p);
}

int
main(void)
{
	size_t i;
	uint32_t x = 2463534242u;

	for (i = 0; i < sizeof(noise); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		noise[i] = (unsigned char)x;
	}
	test_round_trip();
	test_no_trailer();
	test_trailer();
	test_index();
	test_utf8_path();
	test_meta();
	test_decode();
	test_flips();
	test_zindex();
	return failures != 0;
}
