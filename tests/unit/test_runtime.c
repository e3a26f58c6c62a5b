/* test-sources: stub/format/check.c; test-libs: -lzstd */
/*
 * test_runtime.c - unit tests of the format reader (stub/format/reader.c),
 * on artifacts crafted in memory (SHA-256 itself: test_sha256.c).
 *
 * Built for the host against the system libzstd by tests/run.sh; the two
 * sources are included so their static helpers are in reach:
 *
 *   gcc -std=c11 -D_GNU_SOURCE -Iinclude -Istub tests/unit/test_runtime.c \
 *       -lzstd -o test_runtime
 *
 * Prints one "ok - name" or "not ok - name" line per check; exits 1 if any
 * check failed.
 */
#define ZSTD_STATIC_LINKING_ONLY
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <zstd.h>

#include "../../stub/format/reader.c"
#include "../../stub/format/sha256.c"

static int failures;

static void
check(int cond, const char *name)
{
	printf("%sok - %s\n", cond ? "" : "not ", name);
	if (!cond)
		failures++;
}

/* --- little-endian writers ------------------------------------------------ */

static void
put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void
put32(unsigned char *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void
put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* --- a growable byte buffer ------------------------------------------------ */

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static void
reserve(struct buf *b, size_t more)
{
	if (b->len + more <= b->cap)
		return;
	b->cap = (b->len + more) * 2;
	if ((b->p = realloc(b->p, b->cap)) == NULL)
		abort();
}

static void
append(struct buf *b, const void *data, size_t len)
{
	reserve(b, len);
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

static void
append_zero(struct buf *b, size_t len)
{
	reserve(b, len);
	memset(b->p + b->len, 0, len);
	b->len += len;
}

/* --- a minimal ELF64 image, with or without the runtime section ----------- */

#define ELF_LEN 296u

static void
append_elf(struct buf *b, const char *section)
{
	unsigned char e[ELF_LEN];
	char strtab[20];
	unsigned char *sh = e + 104;

	memset(e, 0, sizeof(e));
	memcpy(e, "\177ELF\2\1\1", 7);
	put16(e + 0x10, 2);            /* ET_EXEC */
	put16(e + 0x12, 62);           /* x86-64 */
	put32(e + 0x14, 1);
	put64(e + 0x28, 104);          /* e_shoff */
	put16(e + 0x34, 64);
	put16(e + 0x36, 56);
	put16(e + 0x3A, 64);
	put16(e + 0x3C, 3);            /* e_shnum */
	put16(e + 0x3E, 2);            /* e_shstrndx */
	memcpy(e + 64, FP_RUNTIME_MARK, sizeof(FP_RUNTIME_MARK));
	memset(strtab, 0, sizeof(strtab));
	snprintf(strtab + 1, sizeof(strtab) - 1, "%s", section);
	memcpy(strtab + 10, ".shstrtab", 10);
	memcpy(e + 82, strtab, 20);
	/* section 1: the marker, PROGBITS */
	put32(sh + 64, 1);
	put32(sh + 64 + 4, 1);
	put64(sh + 64 + 0x18, 64);
	put64(sh + 64 + 0x20, sizeof(FP_RUNTIME_MARK));
	/* section 2: .shstrtab, STRTAB */
	put32(sh + 128, 10);
	put32(sh + 128 + 4, 3);
	put64(sh + 128 + 0x18, 82);
	put64(sh + 128 + 0x20, 20);
	append(b, e, sizeof(e));
}

/* --- building an artifact --------------------------------------------------- */

struct tentry {
	const char *path;
	int type;
	const void *data;
	size_t len;
	const char *mime;
	uint32_t mode;
	int64_t mtime;
};

/* Where the parts of a built artifact are, so tests can damage them. */
struct art {
	struct buf b;
	size_t payload;        /* absolute offsets */
	size_t index_data;
	size_t entries;
	size_t strtab;
	size_t trailer;
	size_t frame[16], frame_len[16];
};

static size_t
compress_frame(struct buf *b, const void *data, size_t len, int checksum,
    int content_size)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	size_t bound = ZSTD_compressBound(len), n;

	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, checksum);
	ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, content_size);
	ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, FP_WINDOW_LOG_MAX);
	reserve(b, bound);
	n = ZSTD_compress2(c, b->p + b->len, bound, data, len);
	if (ZSTD_isError(n))
		abort();
	ZSTD_freeCCtx(c);
	b->len += n;
	return n;
}

/* Recomputes the index hash in the trailer and the trailer's own check. */
static void
reseal(struct art *t)
{
	unsigned char *tr = t->b.p + t->trailer, sum[32];
	uint64_t len = le64(tr + FP_T_INDEX_SIZE) - 8;

	sha256(t->b.p + t->index_data, (size_t)len, tr + FP_T_INDEX_SHA);
	sha256(tr, FP_T_CHECK, sum);
	memcpy(tr + FP_T_CHECK, sum, 8);
}

static void
build(struct art *t, const struct tentry *te, size_t n, const char *meta,
    int checksum)
{
	struct buf strtab = { 0 }, ents = { 0 };
	size_t i, index_off, frame_len = 0;
	unsigned char h[FP_INDEX_HEADER], tr[FP_TRAILER_SIZE];

	memset(t, 0, sizeof(*t));
	append_elf(&t->b, FP_RUNTIME_SECTION);
	append_zero(&t->b, FP_ALIGN - t->b.len % FP_ALIGN);
	t->payload = t->b.len;
	append_zero(&ents, n * FP_ENTRY_SIZE);
	for (i = 0; i < n; i++) {
		unsigned char *e = ents.p + i * FP_ENTRY_SIZE;

		t->frame[i] = t->b.len;
		if (te[i].type == FP_TYPE_FILE && te[i].len > 0)
			frame_len = compress_frame(&t->b, te[i].data, te[i].len,
			    checksum, 1);
		else
			frame_len = 0;
		t->frame_len[i] = frame_len;
		put64(e + FP_E_FRAME_OFF, frame_len ? t->frame[i] - t->payload : 0);
		put64(e + FP_E_FRAME_SIZE, frame_len);
		put64(e + FP_E_SIZE, te[i].len);
		put64(e + FP_E_MTIME, (uint64_t)te[i].mtime);
		put32(e + FP_E_PATH_OFF, (uint32_t)strtab.len);
		put32(e + FP_E_PATH_LEN, (uint32_t)strlen(te[i].path));
		append(&strtab, te[i].path, strlen(te[i].path));
		put32(e + FP_E_MIME_OFF, (uint32_t)strtab.len);
		put32(e + FP_E_MIME_LEN, (uint32_t)strlen(te[i].mime));
		append(&strtab, te[i].mime, strlen(te[i].mime));
		put32(e + FP_E_MODE, te[i].mode);
		e[FP_E_TYPE] = (unsigned char)te[i].type;
		if (te[i].type == FP_TYPE_FILE)
			sha256(te[i].data, te[i].len, e + FP_E_SHA);
	}
	index_off = t->b.len - t->payload;
	memset(h, 0, sizeof(h));
	memcpy(h, FP_INDEX_SIG, 8);
	put32(h + FP_I_COUNT, (uint32_t)n);
	put32(h + FP_I_ENTRY_SIZE, FP_ENTRY_SIZE);
	put32(h + FP_I_STRTAB, (uint32_t)strtab.len);
	put32(h + FP_I_META, (uint32_t)strlen(meta));
	put32(tr, FP_INDEX_MAGIC);
	put32(tr + 4, (uint32_t)(sizeof(h) + ents.len + strtab.len + strlen(meta)));
	append(&t->b, tr, 8);
	t->index_data = t->b.len;
	append(&t->b, h, sizeof(h));
	t->entries = t->b.len;
	append(&t->b, ents.p, ents.len);
	t->strtab = t->b.len;
	append(&t->b, strtab.p, strtab.len);
	append(&t->b, meta, strlen(meta));

	memset(tr, 0, sizeof(tr));
	put32(tr, FP_TRAILER_MAGIC);
	put32(tr + 4, FP_TRAILER_DATA);
	memcpy(tr + FP_T_SIG, FP_TRAILER_SIG, 8);
	put16(tr + FP_T_MAJOR, FP_VERSION_MAJOR);
	put16(tr + FP_T_MINOR, FP_VERSION_MINOR);
	put64(tr + FP_T_PAYLOAD_OFF, t->payload);
	put64(tr + FP_T_PAYLOAD_SIZE, t->b.len - t->payload);
	put64(tr + FP_T_INDEX_OFF, index_off);
	put64(tr + FP_T_INDEX_SIZE, t->b.len - t->payload - index_off);
	t->trailer = t->b.len;
	append(&t->b, tr, sizeof(tr));
	reseal(t);
	free(strtab.p);
	free(ents.p);
}

/* --- the standard test artifact --------------------------------------------- */

static unsigned char noise[70000];
static const char text[] = "body { color: red }\n";
static const char meta[] = "build_time=1700000000\nname=demo\nversion=1.2.3\n";

static const struct tentry std_entries[] = {
	{ "css", FP_TYPE_DIR, NULL, 0, "", 0755, 1 },
	{ "css/site.css", FP_TYPE_FILE, text, sizeof(text) - 1, "text/css", 0644, 2 },
	{ "empty.txt", FP_TYPE_FILE, "", 0, "text/plain", 0644, 3 },
	{ "noise.bin", FP_TYPE_FILE, noise, sizeof(noise), "", 0755, -4 },
};
#define STD_N (sizeof(std_entries) / sizeof(std_entries[0]))
#define NOISE 3

static void
build_std(struct art *t)
{
	build(t, std_entries, STD_N, meta, 1);
}

static int
open_bytes(const unsigned char *p, size_t len)
{
	int fd = memfd_create("artifact", MFD_CLOEXEC);

	if (fd < 0 || write(fd, p, len) != (ssize_t)len)
		abort();
	return fd;
}

/* Opens the bytes as an artifact; returns the code, detail in *detail. */
static int
try_open(const unsigned char *p, size_t len, char detail[256])
{
	struct fp_reader a;
	int fd = open_bytes(p, len), r;

	r = fp_reader_open(&a, fd, detail, 256);
	if (r == 0)
		fp_reader_close(&a);
	close(fd);
	return r;
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
	check(fp_reader_find(&a, "css/site.cs", 11) == -1 &&
	    fp_reader_find(&a, "zzz", 3) == -1 &&
	    fp_reader_find(&a, "", 0) == -1, "find misses");
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

	append_elf(&b, FP_RUNTIME_SECTION);
	r = try_open(b.p, b.len, detail);
	check(r == FATPACK_ELOST && strstr(detail, "payload lost") != NULL,
	    "runtime without payload: payload lost");
	append_zero(&b, 5000);
	r = try_open(b.p, b.len, detail);
	check(r == FATPACK_ETRUNC && strstr(detail, "trailer missing") != NULL,
	    "runtime and cut payload: truncated");
	b.len = 0;
	append_elf(&b, ".fatpacx");
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

	put16(tr + FP_T_MAJOR, 2);
	reseal(&t);
	expect(&t, FATPACK_EVERSION, "unsupported format version 2.",
	    "version 2.0 refused");
	put16(tr + FP_T_MAJOR, 1);
	put16(tr + FP_T_MINOR, 7);
	reseal(&t);
	expect(&t, 0, "", "version 1.7 accepted");
	put32(tr + FP_T_FLAGS, 0x80);
	reseal(&t);
	expect(&t, FATPACK_EVERSION, "unsupported format flags 0x80",
	    "unknown flag refused");
	put16(tr + FP_T_MINOR, 0);
	put32(tr + FP_T_FLAGS, 0);

	put64(tr + FP_T_PAYLOAD_OFF, 2 * FP_ALIGN);
	reseal(&t);
	expect(&t, FATPACK_ETRUNC, "truncated: file is", "payload too large: truncated");
	put64(tr + FP_T_PAYLOAD_OFF, 0);
	reseal(&t);
	expect(&t, FATPACK_ECORRUPT, "corrupt trailer", "payload too small: corrupt");
	put64(tr + FP_T_PAYLOAD_OFF, UINT64_MAX - 50);
	reseal(&t);
	expect(&t, FATPACK_ECORRUPT, "overflow", "payload offset overflow");
	put64(tr + FP_T_PAYLOAD_OFF, t.payload);

	put64(tr + FP_T_INDEX_OFF, le64(tr + FP_T_INDEX_OFF) + 1);
	reseal(&t);
	expect(&t, FATPACK_ECORRUPT, "index does not end", "index range");
	free(t.b.p);

	build_std(&t);
	reserve(&t.b, 1);
	memmove(t.b.p + 1, t.b.p, t.b.len);
	t.b.len++;
	t.trailer++;
	tr = t.b.p + t.trailer;
	put64(tr + FP_T_PAYLOAD_OFF, t.payload + 1);
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
		put64(e, value);
	else if (width == 4)
		put32(e, (uint32_t)value);
	else
		*e = (unsigned char)value;
	reseal(&t);
	expect(&t, FATPACK_ECORRUPT, needle, name);
	free(t.b.p);
}

static void
path_case(const char *path, const char *needle, const char *name)
{
	struct tentry te = { path, FP_TYPE_FILE, "x", 1, "", 0644, 0 };
	struct art t;

	build(&t, &te, 1, "", 1);
	expect(&t, FATPACK_ECORRUPT, needle, name);
	free(t.b.p);
}

static void
test_utf8_path(void)
{
	struct tentry te = { "caf\xc3\xa9 \xf0\x9f\x98\x80", FP_TYPE_FILE, "x", 1,
	    "", 0644, 0 };
	struct art t;

	build(&t, &te, 1, "", 1);
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
	put32(t.b.p + t.index_data + FP_I_COUNT, 0x7fffffff);
	reseal(&t);
	expect(&t, FATPACK_ECORRUPT, "sizes add up", "huge entry count refused");
	put32(t.b.p + t.index_data + FP_I_COUNT, STD_N);
	put32(t.b.p + t.index_data + FP_I_ENTRY_SIZE, 64);
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

	two[0] = (struct tentry){ "a", FP_TYPE_FILE, "x", 1, "", 0644, 0 };
	two[1] = two[0];
	build(&t, two, 2, "", 1);
	expect(&t, FATPACK_ECORRUPT, "not sorted", "duplicate path");
	free(t.b.p);

	two[0] = (struct tentry){ "a", FP_TYPE_FILE, "x", 1, "", 0644, 0 };
	two[1] = (struct tentry){ "a/b", FP_TYPE_FILE, "x", 1, "", 0644, 0 };
	build(&t, two, 2, "", 1);
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
	struct tentry te = { "a", FP_TYPE_FILE, "x", 1, "", 0644, 0 };
	struct art t;
	size_t i;
	char name[64];

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		build(&t, &te, 1, bad[i], 1);
		snprintf(name, sizeof(name), "bad metadata %zu", i);
		expect(&t, FATPACK_ECORRUPT, "metadata", name);
		free(t.b.p);
	}
	build(&t, &te, 1, "a=\nserve.listen=:8080\nz=caf\xc3\xa9 = x\n", 1);
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
	struct tentry te = { "a", FP_TYPE_FILE, text, sizeof(text) - 1, "", 0644, 0 };
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

	put64(t.b.p + t.entries + FP_ENTRY_SIZE + FP_E_SIZE, sizeof(text));
	reseal(&t);
	decode_case(&t, 1, FATPACK_ECORRUPT, "size differs from frame");
	put64(t.b.p + t.entries + FP_ENTRY_SIZE + FP_E_SIZE, sizeof(text) - 1);
	put64(t.b.p + t.entries + FP_ENTRY_SIZE + FP_E_FRAME_SIZE, t.frame_len[1] - 1);
	reseal(&t);
	decode_case(&t, 1, FATPACK_ECORRUPT, "frame shorter than the index says");
	put64(t.b.p + t.entries + FP_ENTRY_SIZE + FP_E_FRAME_SIZE, t.frame_len[1] + 1);
	reseal(&t);
	decode_case(&t, 1, FATPACK_ECORRUPT, "frame longer than the index says");
	free(t.b.p);

	build(&t, &te, 1, "", 0);
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

/* Replaces the index frame's data by the n bytes at p (not inside t) and
 * sets the trailer flags; offsets into the old index no longer hold. */
static void
set_index(struct art *t, const void *p, size_t n, uint32_t flags)
{
	unsigned char tr[FP_TRAILER_SIZE];

	memcpy(tr, t->b.p + t->trailer, sizeof(tr));
	t->b.len = t->index_data;
	append(&t->b, p, n);
	put32(t->b.p + t->index_data - 4, (uint32_t)n);
	t->trailer = t->b.len;
	put64(tr + FP_T_PAYLOAD_SIZE, t->b.len - t->payload);
	put64(tr + FP_T_INDEX_SIZE, n + 8);
	put32(tr + FP_T_FLAGS, flags);
	append(&t->b, tr, sizeof(tr));
	reseal(t);
	t->entries = t->strtab = 0;
}

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
