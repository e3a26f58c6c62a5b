/* test-sources: stub/format/reader.c stub/format/check.c stub/format/sha256.c tests/unit/craft.c tests/unit/tap.c; test-libs: -lzstd */
/*
 * test_spec.c - docs/FORMAT.md section 7 ("What a reader refuses") against
 * the reader (stub/format/reader.c) and the value rules (check.c).
 *
 * The rule tables are read from the document. For each rule an artifact
 * breaking that rule alone is built in memory (craft.c), and the reader must
 * refuse it with the code and message of its row; for the value rules the
 * functions the writer calls refuse the same value. The sources are read
 * too: every message the reader can give (the texts of its fail() calls and
 * the reasons from check.c) must be in the document, so a check added to one
 * and not the other fails here.
 *
 * Run from the top of the tree (tests/run.sh does), as it reads
 * docs/FORMAT.md, stub/format/reader.c and stub/format/check.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zdict.h>
#include <zstd.h>

#include "format/check.h"
#include "format/format.h"
#include "format/reader.h"
#include "format/sha256.h"
#include "craft.h"

#define MAX_ROWS 128
#define MAX_TEXTS 128

/* A row of the tables of section 7. */
struct row {
	char id[8];                /* "24a"; "" for section 7.3 */
	int code;
	char msg[256];             /* <...> stands for anything */
	int seen;                  /* a crafted case ran for it */
};

static struct row rows[MAX_ROWS];
static size_t nrows;

/* Texts found in the sources: fail() formats and check.c reasons. */
static char *formats[MAX_TEXTS], *reasons[MAX_TEXTS];
static size_t nformats, nreasons;

/* --- reading the document and the sources --------------------------------- */

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *s;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (s = malloc((size_t)n + 1)) == NULL ||
	    fread(s, 1, (size_t)n, f) != (size_t)n) {
		printf("not ok - read %s (run from the top of the tree)\n", path);
		exit(1);
	}
	s[n] = '\0';
	fclose(f);
	return s;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ')
		s++;
	for (e = s + strlen(s); e > s && e[-1] == ' '; e--)
		;
	*e = '\0';
	return s;
}

static int
code_of(const char *name)
{
	static const struct { const char *name; int code; } codes[] = {
		{ "ENOTFAT", FATPACK_ENOTFAT }, { "ELOST", FATPACK_ELOST },
		{ "ETRUNC", FATPACK_ETRUNC }, { "ECHECKSUM", FATPACK_ECHECKSUM },
		{ "EVERSION", FATPACK_EVERSION }, { "ECORRUPT", FATPACK_ECORRUPT },
		{ "EIO", FATPACK_EIO }, { "ENOMEM", FATPACK_ENOMEM },
	};
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(name, codes[i].name) == 0)
			return codes[i].code;
	return 0;
}

static int
is_rule_id(const char *s)
{
	size_t n = strspn(s, "0123456789");

	return n > 0 && n < 4 && (s[n] == '\0' ||
	    (s[n] >= 'a' && s[n] <= 'z' && s[n + 1] == '\0'));
}

/* A message cell: `text`, into out. */
static int
message(const char *cell, char *out, size_t cap)
{
	size_t n = strlen(cell);

	if (n < 2 || cell[0] != '`' || cell[n - 1] != '`' || n - 2 >= cap)
		return 0;
	memcpy(out, cell + 1, n - 2);
	out[n - 2] = '\0';
	return 1;
}

/* One table line of section 7: | rule | text | code | `message` | or, in
 * 7.3, | code | `message` | when |. Header and rule lines are skipped. */
static void
parse_row(char *line)
{
	char *cell[6], *p = line + 1, *bar;
	size_t n = 0;
	struct row *r = &rows[nrows];

	while (n < 6 && (bar = strchr(p, '|')) != NULL) {
		*bar = '\0';
		cell[n++] = trim(p);
		p = bar + 1;
	}
	memset(r, 0, sizeof(*r));
	if (n == 4 && is_rule_id(cell[0])) {
		snprintf(r->id, sizeof(r->id), "%s", cell[0]);
		r->code = code_of(cell[2]);
		if (r->code == 0 || !message(cell[3], r->msg, sizeof(r->msg))) {
			printf("not ok - rule %s: code and message\n", cell[0]);
			failures++;
			return;
		}
	} else if (n == 3 && message(cell[1], r->msg, sizeof(r->msg))) {
		r->code = 0;
	} else {
		return;
	}
	if (nrows + 1 < MAX_ROWS)
		nrows++;
}

static void
parse_doc(char *doc)
{
	char *line, *save = NULL;
	int in7 = 0;

	for (line = strtok_r(doc, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "## ", 3) == 0)
			in7 = strncmp(line, "## 7. ", 6) == 0;
		else if (in7 && line[0] == '|')
			parse_row(line);
	}
}

/* The C string literal(s) at *pp, adjacent ones joined; NULL if none. */
static char *
literal(const char *p)
{
	char out[512];
	size_t o = 0;

	while (*p == '"') {
		for (p++; *p != '"' && *p != '\0'; p++) {
			if (*p == '\\')
				p++;
			if (o + 1 < sizeof(out))
				out[o++] = *p;
		}
		if (*p == '"')
			p++;
		p += strspn(p, " \t\n");
	}
	out[o] = '\0';
	return o > 0 ? strdup(out) : NULL;
}

/* Adds s to v[0..*n) unless it is there already. */
static void
add(char **v, size_t *n, char *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < *n; i++)
		if (strcmp(v[i], s) == 0)
			break;
	if (i < *n || *n == MAX_TEXTS)
		free(s);
	else
		v[(*n)++] = s;
}

/* The format of every fail(...) call: the first literal of the call. */
static void
scan_fails(const char *src)
{
	const char *p = src, *q;

	while ((p = strstr(p, "fail(")) != NULL) {
		p += 5;
		q = p + strcspn(p, "\";{");
		if (*q == '"')
			add(formats, &nformats, literal(q));
	}
}

/* The literals function name returns (a definition starts a line). */
static void
scan_returns(const char *src, const char *name)
{
	char head[64];
	const char *p, *end;

	snprintf(head, sizeof(head), "\n%s(", name);
	if ((p = strstr(src, head)) == NULL || (end = strstr(p, "\n}\n")) == NULL) {
		printf("not ok - find %s in the sources\n", name);
		failures++;
		return;
	}
	while ((p = strstr(p, "return \"")) != NULL && p < end) {
		add(reasons, &nreasons, literal(p + 7));
		p += 7;
	}
}

/* --- matching ------------------------------------------------------------- */

/* Whether text matches pat, where * in pat matches any run of bytes. */
static int
glob(const char *pat, const char *text)
{
	if (*pat == '\0')
		return *text == '\0';
	if (*pat == '*')
		return glob(pat + 1, text) || (*text != '\0' && glob(pat, text + 1));
	return *pat == *text && glob(pat + 1, text + 1);
}

/* A document message as a pattern: <...> matches anything. */
static void
doc_pattern(const char *msg, char *out, size_t cap)
{
	size_t o = 0;

	for (; *msg != '\0' && o + 1 < cap; msg++) {
		if (*msg == '<' && strchr(msg, '>') != NULL) {
			out[o++] = '*';
			msg = strchr(msg, '>');
		} else {
			out[o++] = *msg;
		}
	}
	out[o] = '\0';
}

/* A printf format as a pattern: each conversion matches anything. */
static void
fmt_pattern(const char *fmt, char *out, size_t cap)
{
	size_t o = 0;

	for (; *fmt != '\0' && o + 1 < cap; fmt++) {
		if (*fmt == '%') {
			fmt += strspn(fmt + 1, "lz");
			fmt++;
			out[o++] = '*';
		} else {
			out[o++] = *fmt;
		}
	}
	out[o] = '\0';
}

static struct row *
find_row(const char *id)
{
	size_t i;

	for (i = 0; i < nrows; i++)
		if (strcmp(rows[i].id, id) == 0)
			return &rows[i];
	return NULL;
}

/* --- the artifacts -------------------------------------------------------- */

static const char text[] = "hello, hello, hello: this is an asset\n";
static const char meta[] = "name=demo\nversion=1.0\n";
static unsigned char zeros[4u << 20];

static const struct tentry std_entries[] = {
	{ "css", FP_TYPE_DIR, NULL, 0, "", 0755, 1, NULL, 0 },
	{ "css/site.css", FP_TYPE_FILE, text, sizeof(text) - 1, "text/css", 0644, 2,
	    NULL, 0 },
	{ "empty.txt", FP_TYPE_FILE, "", 0, "text/plain", 0644, 3, NULL, 0 },
};
#define STD_N (sizeof(std_entries) / sizeof(std_entries[0]))

static void
std(struct art *t)
{
	build(t, std_entries, STD_N, meta, strlen(meta), 1);
}

static unsigned char *
trailer(struct art *t)
{
	return t->b.p + t->trailer;
}

/* The std artifact with one entry field set to v (width 1, 4 or 8). */
static void
std_entry(struct art *t, size_t i, size_t field, uint64_t v, int width)
{
	unsigned char *e;

	std(t);
	e = t->b.p + t->entries + i * FP_ENTRY_SIZE + field;
	if (width == 8)
		fp_put_le64(e, v);
	else if (width == 4)
		fp_put_le32(e, (uint32_t)v);
	else
		*e = (unsigned char)v;
	reseal(t);
}

/* The std artifact with one trailer field set to v, resealed. */
static void
std_trailer(struct art *t, size_t field, uint64_t v, int width)
{
	std(t);
	if (width == 8)
		fp_put_le64(trailer(t) + field, v);
	else if (width == 4)
		fp_put_le32(trailer(t) + field, (uint32_t)v);
	else
		fp_put_le16(trailer(t) + field, (uint16_t)v);
	reseal(t);
}

/* One regular file at path, with the given MIME type and metadata. */
static void
one(struct art *t, const char *path, const char *mime, const char *m,
    size_t mlen)
{
	struct tentry te = { path, FP_TYPE_FILE, "x", 1, mime, 0644, 0, NULL, 0 };

	build(t, &te, 1, m, mlen, 1);
}

/* The std artifact's plain index data. */
static struct buf
std_index(void)
{
	struct art t;
	struct buf b = { 0 };

	std(&t);
	append(&b, t.b.p + t.index_data, t.trailer - t.index_data);
	free(t.b.p);
	return b;
}

/* The std artifact with its index compressed (checksum and content size as
 * given), then passed through edit when not NULL. */
static void
zindex(struct art *t, int checksum, int content_size,
    void (*edit)(struct buf *z, const struct buf *raw))
{
	struct buf raw = std_index(), z = { 0 };

	compress_frame(&z, raw.p, raw.len, checksum, content_size);
	if (edit != NULL)
		edit(&z, &raw);
	std(t);
	set_index(t, z.p, z.len, FP_FLAG_ZINDEX);
	free(raw.p);
	free(z.p);
}

/* z's frame with its header replaced by h (content size: raw's length). */
static void
rehead(struct buf *z, const struct buf *raw, struct zhead h)
{
	struct buf y = { 0 };

	h.has_size = 1;
	h.content_size = raw->len;
	reframe(&y, z->p, z->len, &h);
	free(z->p);
	*z = y;
}

/* --- rules 1 to 38: opening ----------------------------------------------- */

static void
r1a(struct art *t)
{
	append_elf(&t->b, ".fatpacx", 0);
}

static void
r1b(struct art *t)
{
	append_elf(&t->b, FP_RUNTIME_SECTION, 1);
}

static void
r1c(struct art *t)
{
	append_elf(&t->b, FP_RUNTIME_SECTION, 0);
}

static void
r1d(struct art *t)
{
	append_elf(&t->b, FP_RUNTIME_SECTION, 0);
	append_zero(&t->b, 5000);
}

static void
r2(struct art *t)
{
	std(t);
	trailer(t)[FP_T_PAYLOAD_SIZE] ^= 1;
}

static void
r3(struct art *t)
{
	std_trailer(t, FP_T_MAJOR, 2, 2);
}

static void
r4(struct art *t)
{
	std_trailer(t, FP_T_FLAGS, 8, 4);
}

static void
r5(struct art *t)
{
	std_trailer(t, FP_T_PAYLOAD_OFF, UINT64_MAX - 50, 8);
}

static void
r6(struct art *t)
{
	std_trailer(t, FP_T_PAYLOAD_OFF, 2 * FP_ALIGN, 8);
}

static void
r7(struct art *t)
{
	std_trailer(t, FP_T_PAYLOAD_OFF, 0, 8);
}

static void
r8(struct art *t)
{
	std(t);
	fp_put_le64(trailer(t) + FP_T_INDEX_OFF, fp_le64(trailer(t) + FP_T_INDEX_OFF) + 1);
	reseal(t);
}

/* Flag bit 2 (a signature frame) without the frame's room. */
static void
r8s(struct art *t)
{
	std(t);
	fp_put_le32(trailer(t) + FP_T_FLAGS,
	    fp_le32(trailer(t) + FP_T_FLAGS) | FP_FLAG_SIGNED);
	reseal(t);
}

/* One byte more before the payload, the offset following it. */
static void
r9(struct art *t)
{
	std(t);
	reserve(&t->b, 1);
	memmove(t->b.p + 1, t->b.p, t->b.len);
	t->b.len++;
	t->trailer++;
	t->index_data++;
	fp_put_le64(trailer(t) + FP_T_PAYLOAD_OFF, t->payload + 1);
	reseal(t);
}

static void
r10(struct art *t)
{
	uint64_t size;

	std(t);
	size = fp_le64(trailer(t) + FP_T_PAYLOAD_SIZE);
	fp_put_le64(trailer(t) + FP_T_INDEX_OFF, size - 39);
	fp_put_le64(trailer(t) + FP_T_INDEX_SIZE, 39);
	reseal(t);
}

/* An entry changed after the index was sealed: from 1.2 a lazy reader,
 * which does not hash the index, finds it by the entry's check. */
static void
r11(struct art *t)
{
	std(t);
	t->b.p[t->entries + FP_E_MTIME] ^= 1;
}

/* The std artifact as a 1.1 file, whose index has no checks. */
static void
std_1_1(struct art *t)
{
	std(t);
	fp_put_le16(trailer(t) + FP_T_MINOR, FP_SUMS_MINOR - 1);
	memset(t->b.p + t->index_data + FP_I_CHECK, 0, FP_SUM_LEN);
	for (size_t i = 0; i < STD_N; i++)
		memset(t->b.p + t->entries + i * FP_ENTRY_SIZE + FP_E_CHECK, 0,
		    FP_SUM_LEN);
	reseal(t);
}

/* A 1.1 file has nothing but the hash: a lazy reader checks it at open. */
static void
r11_old(struct art *t)
{
	std_1_1(t);
	t->b.p[t->entries + FP_E_MODE] ^= 1;
}

/* The metadata changed, the index hash recomputed: the header's check. */
static void
r22b(struct art *t)
{
	std(t);
	t->b.p[t->strtab + fp_le32(t->b.p + t->index_data + FP_I_STRTAB)] ^= 1;
	reseal_trailer(t);
}

/* A field the rules take as it is (the mode), the index hash recomputed. */
static void
r23b(struct art *t)
{
	std(t);
	t->b.p[t->entries + FP_ENTRY_SIZE + FP_E_MODE] ^= 1;
	reseal_trailer(t);
}

/* Another MIME type, as valid, in the string table. */
static void
r23b_mime(struct art *t)
{
	std(t);
	t->b.p[t->strtab + strlen("css") + strlen("css/site.css") +
	    strlen("text/cs")] = 'v';
	reseal_trailer(t);
}

/* Entry 2, its check and all, in entry 1's place: the check holds the
 * entry's number. (Without it a lookup of entry 1's path, meeting only
 * entries that pass, would say it is not there.) */
static void
r23b_moved(struct art *t)
{
	std(t);
	memcpy(t->b.p + t->entries + FP_ENTRY_SIZE,
	    t->b.p + t->entries + 2 * FP_ENTRY_SIZE, FP_ENTRY_SIZE);
	reseal_trailer(t);
}

/* The previous entry's path, which a lookup of entry 1 compares with. */
static void
r23b_prev(struct art *t)
{
	std(t);
	t->b.p[t->strtab] = 'a';
	reseal_trailer(t);
}

static void
r12(struct art *t)
{
	std(t);
	t->b.p[t->index_data - 8] ^= 1;
	reseal(t);
}

static void
r13(struct art *t)
{
	zindex(t, 1, 0, NULL);
}

static void
r14(struct art *t)
{
	struct buf z = { 0 };

	std(t);
	compress_frame(&z, zeros, 1u << 20, 1, 1);
	set_index(t, z.p, z.len, FP_FLAG_ZINDEX);
	free(z.p);
}

static void
r15(struct art *t)
{
	zindex(t, 0, 1, NULL);
}

static void
dict(struct buf *z, const struct buf *raw)
{
	rehead(z, raw, (struct zhead){ .dict_id = 7, .checksum = 1 });
}

static void
window(struct buf *z, const struct buf *raw)
{
	rehead(z, raw, (struct zhead){ .window_log = FP_WINDOW_LOG_MAX + 1,
	    .checksum = 1 });
}

static void
same(struct buf *z, const struct buf *raw)
{
	rehead(z, raw, (struct zhead){ .window_log = FP_WINDOW_LOG_MAX,
	    .checksum = 1 });
}

static void
one_more(struct buf *z, const struct buf *raw)
{
	(void)raw;
	append(z, "", 1);
}

static void
bad_sum(struct buf *z, const struct buf *raw)
{
	(void)raw;
	z->p[z->len - 1] ^= 1;
}

static void
r16(struct art *t)
{
	zindex(t, 1, 1, dict);
}

static void
r17(struct art *t)
{
	zindex(t, 1, 1, window);
}

static void
r18(struct art *t)
{
	zindex(t, 1, 1, one_more);
}

static void
r19(struct art *t)
{
	zindex(t, 1, 1, bad_sum);
}

static void
r20(struct art *t)
{
	std(t);
	t->b.p[t->index_data] = 'X';
	reseal(t);
}

static void
index_header(struct art *t, size_t field, uint32_t v)
{
	std(t);
	fp_put_le32(t->b.p + t->index_data + field, v);
	reseal(t);
}

static void
r21(struct art *t)
{
	index_header(t, FP_I_ENTRY_SIZE, 64);
}

static void
r22(struct art *t)
{
	index_header(t, FP_I_COUNT, 0x7fffffff);
}

static void
r23(struct art *t)
{
	std_entry(t, 1, FP_E_PATH_OFF, 0xfffffff0u, 4);
}

/* --- rules 24 to 37: values --------------------------------------------- */

static char long_path[FP_PATH_MAX + 1], long_mime[FP_MIME_MAX + 1];

enum kind { PATH, MIME, META, META_KEY, META_VALUE };

/* A bad value, and the rule it breaks. A path or a MIME type is checked by
 * the writer too, with fp_check_path or fp_check_mime; a metadata line's key
 * with fp_check_meta_key, its value with fp_check_meta_value. */
struct value {
	const char *id;
	enum kind kind;
	const char *v;
	size_t n;
};

#define S(lit) lit, sizeof(lit) - 1

static const struct value values[] = {
	{ "24a", PATH, S("") },
	{ "24b", PATH, long_path, sizeof(long_path) },
	{ "24c", PATH, S("/etc/passwd") },
	{ "24d", PATH, S("a/") },
	{ "24e", PATH, S("a//b") },
	{ "24f", PATH, S("a/../b") },
	{ "24g", PATH, S("a\0b") },
	{ "24h", PATH, S("a\\b") },
	{ "24i", PATH, S("caf\xe9") },
	{ "24i", PATH, S("\xc0\xaf") },
	{ "24i", PATH, S("\xed\xa0\x80") },
	{ "24i", PATH, S("\xf4\x90\x80\x80") },
	{ "25a", MIME, long_mime, sizeof(long_mime) },
	{ "25b", MIME, S("text/\x01") },
	{ "25b", MIME, S("text/\x7f") },
	{ "33", META, S("name=x") },
	{ "34", META, S("novalue\n") },
	{ "35", META_KEY, S("=x\n") },
	{ "36", META_KEY, S("Name=x\n") },
	{ "37a", META_VALUE, S("k=a\0b\n") },
	{ "37b", META_VALUE, S("k=caf\xe9\n") },
	{ "38", META, S("b=1\na=2\n") },
};

/* One file holding v: its path or its MIME type, written over a placeholder
 * of the same length (a C string cannot hold a NUL), or its metadata. */
static void
value_art(struct art *t, const struct value *v)
{
	char *fill = malloc(v->n + 1);

	memset(fill, 'a', v->n);
	fill[v->n] = '\0';
	if (v->kind == PATH)
		one(t, fill, "", "", 0);
	else if (v->kind == MIME)
		one(t, "f", fill, "", 0);
	else
		one(t, "f", "", v->v, v->n);
	if (v->kind == PATH || v->kind == MIME) {
		memcpy(t->b.p + t->strtab + (v->kind == MIME), v->v, v->n);
		reseal(t);
	}
	free(fill);
}

/* The reason the writer's check gives for v, or NULL when it takes it. */
static const char *
writer_reason(const struct value *v)
{
	const char *eq = memchr(v->v, '=', v->n);
	size_t k = eq != NULL ? (size_t)(eq - v->v) : 0;

	switch (v->kind) {
	case PATH:
		return fp_check_path(v->v, v->n);
	case MIME:
		return fp_check_mime(v->v, v->n);
	case META_KEY:
		return fp_check_meta_key(v->v, k);
	case META_VALUE:
		return fp_check_meta_value(eq + 1, v->n - k - 2);
	default:
		return NULL;
	}
}

static void
r26(struct art *t)
{
	struct tentry two[2] = {
		{ "a", FP_TYPE_FILE, "x", 1, "", 0644, 0, NULL, 0 },
		{ "a", FP_TYPE_FILE, "x", 1, "", 0644, 0, NULL, 0 },
	};

	build(t, two, 2, "", 0, 1);
}

static void
r27(struct art *t)
{
	std_entry(t, 0, FP_E_SIZE, 5, 8);
}

static void
r28(struct art *t)
{
	std_entry(t, 1, FP_E_TYPE, 7, 1);
}

static void
r29(struct art *t)
{
	std_entry(t, 1, FP_E_FRAME_SIZE, 0, 8);
}

static void
r30(struct art *t)
{
	std(t);
	fp_put_le64(t->b.p + t->entries + FP_ENTRY_SIZE + FP_E_FRAME_OFF,
	    fp_le64(trailer(t) + FP_T_INDEX_OFF));
	reseal(t);
}

static void
r31(struct art *t)
{
	std_entry(t, 1, FP_E_SIZE, UINT64_MAX, 8);
}

static void
r32(struct art *t)
{
	one(t, "d/x", "", "", 0);
}

/* "ab" and "abc" both read from the "abc" that is left once the string
 * table "ababc" loses its first two bytes: 5 bytes of paths in 3. */
static void
r32b(struct art *t)
{
	struct tentry te[2] = {
		{ "ab", FP_TYPE_FILE, "x", 1, "", 0644, 0, NULL, 0 },
		{ "abc", FP_TYPE_FILE, "x", 1, "", 0644, 0, NULL, 0 },
	};
	size_t hdr, k;
	struct buf d = { 0 };
	unsigned char *e;

	build(t, te, 2, "", 0, 1);
	hdr = t->strtab - t->index_data;
	append(&d, t->b.p + t->index_data, hdr);
	append(&d, t->b.p + t->strtab + 2, t->trailer - t->strtab - 2);
	fp_put_le32(d.p + FP_I_STRTAB, 3);
	for (k = 0; k < 2; k++) {
		e = d.p + (t->entries - t->index_data) + k * FP_ENTRY_SIZE;
		fp_put_le32(e + FP_E_PATH_OFF, 0);
		fp_put_le32(e + FP_E_MIME_OFF, 0);
	}
	set_index(t, d.p, d.len, 0);
	free(d.p);
}

/* --- rules 39 to 48: decoding "f" ----------------------------------------- */

/* "f" holding text (or claiming size bytes of it) stored as frame. */
static void
with_frame(struct art *t, const void *data, size_t size,
    const struct buf *frame)
{
	struct tentry te = { "f", FP_TYPE_FILE, data, size, "", 0644, 0,
	    frame->p, frame->len };

	build(t, &te, 1, "", 0, 1);
}

/* text's own frame, passed through h when not NULL. */
static struct buf
text_frame(const struct zhead *h)
{
	struct buf f = { 0 }, g = { 0 };

	compress_frame(&f, text, sizeof(text) - 1, 1, 1);
	if (h == NULL)
		return f;
	reframe(&g, f.p, f.len, h);
	free(f.p);
	return g;
}

static void
frame_case(struct art *t, const void *data, size_t size, struct zhead h)
{
	struct buf f = text_frame(&h);

	with_frame(t, data, size, &f);
	free(f.p);
}

static void
r39(struct art *t)
{
	static const unsigned char skip[12] = { 0x50, 0x2A, 0x4D, 0x18, 4 };
	struct buf f = { 0 };

	append(&f, skip, sizeof(skip));
	with_frame(t, zeros, 4, &f);
	free(f.p);
}

static void
r40(struct art *t)
{
	struct tentry te = { "f", FP_TYPE_FILE, text, sizeof(text) - 1, "", 0644,
	    0, NULL, 0 };

	build(t, &te, 1, "", 0, 0);
}

static void
r41(struct art *t)
{
	frame_case(t, text, sizeof(text) - 1, (struct zhead){ .dict_id = 7,
	    .checksum = 1, .has_size = 1, .content_size = sizeof(text) - 1 });
}

static void
r42(struct art *t)
{
	struct buf f = { 0 };

	compress_frame(&f, text, sizeof(text) - 1, 1, 0);
	with_frame(t, text, sizeof(text) - 1, &f);
	free(f.p);
}

static void
r43(struct art *t)
{
	frame_case(t, text, sizeof(text) - 1, (struct zhead){
	    .window_log = FP_WINDOW_LOG_MAX + 1, .checksum = 1, .has_size = 1,
	    .content_size = sizeof(text) - 1 });
}

/* A frame of a few dozen bytes claiming 4 MiB. */
static void
r44(struct art *t)
{
	frame_case(t, zeros, sizeof(zeros), (struct zhead){ .checksum = 1,
	    .has_size = 1, .content_size = sizeof(zeros) });
}

static void
r45(struct art *t)
{
	struct buf f = text_frame(NULL);

	append(&f, "", 1);
	with_frame(t, text, sizeof(text) - 1, &f);
	free(f.p);
}

/* Claims one byte more than its blocks hold (text's NUL). */
static void
r46(struct art *t)
{
	frame_case(t, text, sizeof(text), (struct zhead){ .checksum = 1,
	    .has_size = 1, .content_size = sizeof(text) });
}

static void
r47(struct art *t)
{
	struct buf f = text_frame(NULL);

	f.p[f.len - 1] ^= 1;
	with_frame(t, text, sizeof(text) - 1, &f);
	free(f.p);
}

static void
r48(struct art *t)
{
	struct buf f = text_frame(NULL);

	with_frame(t, text, sizeof(text) - 1, &f);
	free(f.p);
	t->b.p[t->entries + FP_E_SHA + 5] ^= 1;
	reseal(t);
}

/* --- other ways to break a rule of several parts -------------------------- */

static void
r1a_text(struct art *t)
{
	append(&t->b, "some text\n", 10);
}

static void
r8_wrap(struct art *t)
{
	std_trailer(t, FP_T_INDEX_OFF, UINT64_MAX - 2, 8);
}

static void
r12_size(struct art *t)
{
	std(t);
	t->b.p[t->index_data - 4] ^= 1;
	reseal(t);
}

/* The compressed index turned into a skippable frame of the same length. */
static void
skippable(struct buf *z, const struct buf *raw)
{
	(void)raw;
	fp_put_le32(z->p, 0x184D2A50);
	fp_put_le32(z->p + 4, (uint32_t)(z->len - 8));
}

static void
short_index(struct buf *z, const struct buf *raw)
{
	z->len = 0;
	compress_frame(z, raw->p, FP_INDEX_HEADER - 1, 1, 1);
}

static void
r13_skippable(struct art *t)
{
	zindex(t, 1, 1, skippable);
}

static void
r13_short(struct art *t)
{
	zindex(t, 1, 1, short_index);
}

static void
r23_mime(struct art *t)
{
	std_entry(t, 1, FP_E_MIME_LEN, 0xffffffffu, 4);
}

static void
two(struct art *t, const char *a, int atype, const char *b, int btype,
    const char *bmime)
{
	struct tentry te[2] = {
		{ a, atype, "x", 1, "", 0644, 0, NULL, 0 },
		{ b, btype, "x", 1, bmime, 0644, 0, NULL, 0 },
	};

	build(t, te, 2, "", 0, 1);
}

static void
r26_unsorted(struct art *t)
{
	two(t, "b", FP_TYPE_FILE, "a", FP_TYPE_FILE, "");
}

static void
r27_frame(struct art *t)
{
	std_entry(t, 0, FP_E_FRAME_SIZE, 5, 8);
}

static void
r30_wrap(struct art *t)
{
	std_entry(t, 1, FP_E_FRAME_OFF, UINT64_MAX - 2, 8);
}

static void
r32_file(struct art *t)
{
	two(t, "a", FP_TYPE_FILE, "a/b", FP_TYPE_FILE, "");
}

static void
r42_other(struct art *t)
{
	frame_case(t, text, sizeof(text) - 1, (struct zhead){ .checksum = 1,
	    .has_size = 1, .content_size = sizeof(text) - 2 });
}

/* --- two rules broken: the earlier one is reported ------------------------ */

static void
o2_3(struct art *t)
{
	std(t);
	fp_put_le16(trailer(t) + FP_T_MAJOR, 2);
}

static void
o11_12(struct art *t)
{
	std(t);
	t->b.p[t->index_data - 8] ^= 1;
	t->b.p[t->entries + FP_E_MTIME] ^= 1;
}

static void
o24_25(struct art *t)
{
	one(t, "/etc/passwd", "text/\x01", "", 0);
}

static void
o25_26(struct art *t)
{
	two(t, "a", FP_TYPE_FILE, "a", FP_TYPE_FILE, "text/\x01");
}

/* Entry 0 has no parent, entry 1 an unknown type: entries come first. */
static void
o28_32(struct art *t)
{
	two(t, "d/x", FP_TYPE_FILE, "e", 7, "");
}

static void
o32_33(struct art *t)
{
	one(t, "d/x", "", S("name=x"));
}

static void
o36_38(struct art *t)
{
	one(t, "f", "", S("b=1\nA=2\n"));
}

/* --- the dictionary (flag bit 1) ----------------------------------------- */

static struct buf the_dict;

/* A zstd dictionary trained on pages that share their head and navigation,
 * as fatpack build trains one. */
static void
train_dict(void)
{
	static size_t sizes[400];
	struct buf samples = { 0 };
	char page[256];
	size_t n;
	unsigned i;

	for (i = 0; i < 400; i++) {
		n = (size_t)snprintf(page, sizeof(page), "<html><head><title>Page "
		    "%u</title><link rel=stylesheet href=site.css></head><body><nav>"
		    "home | docs | about</nav><p>number %u, value %u</p></body></html>\n",
		    i, i * 7919 % 1000, i * i % 977);
		append(&samples, page, n);
		sizes[i] = n;
	}
	reserve(&the_dict, 4096);
	n = ZDICT_trainFromBuffer(the_dict.p, 4096, samples.p, sizes, 400);
	if (ZDICT_isError(n))
		abort();
	the_dict.len = n;
	free(samples.p);
}

/* "f" holding text, its frame compressed with the dictionary, or frame. */
static void
dict_art(struct art *t, const struct buf *frame)
{
	struct tentry te = { "f", FP_TYPE_FILE, text, sizeof(text) - 1, "",
	    0644, 0, frame ? frame->p : NULL, frame ? frame->len : 0 };

	build_dict(t, &te, 1, meta, strlen(meta), &the_dict);
}

/* The dictionary frame's header, payload bytes off to off + 3, set to v. */
static void
dict_head(struct art *t, size_t off, uint32_t v)
{
	dict_art(t, NULL);
	fp_put_le32(t->b.p + t->dict + off, v);
}

/* The frame's size past the index. */
static void
r22c(struct art *t)
{
	dict_art(t, NULL);
	fp_put_le32(t->b.p + t->dict + 4,
	    (uint32_t)fp_le64(trailer(t) + FP_T_INDEX_OFF) - 8 + 1);
}

static void
r22c_small(struct art *t)
{
	dict_head(t, 4, FP_DICT_MIN - 8 - 1);
}

static void
r22c_magic(struct art *t)
{
	dict_head(t, 0, FP_DICT_MAGIC ^ 1);
}

static void
r22c_zmagic(struct art *t)
{
	dict_head(t, 8, FP_ZDICT_MAGIC ^ 1);
}

static void
r22c_id(struct art *t)
{
	dict_head(t, 12, 0);
}

/* "f"'s frame laid over the dictionary frame. */
static void
r30_dict(struct art *t)
{
	dict_art(t, NULL);
	fp_put_le64(t->b.p + t->entries + FP_E_FRAME_OFF, 0);
	reseal(t);
}

/* "f"'s frame compressed without the dictionary, in a payload with one. */
static void
dict_art_plain(struct art *t)
{
	struct buf f = text_frame(NULL);

	dict_art(t, &f);
	free(f.p);
}

/* The metadata key renamed: the key is gone, the order kept. */
static void
r38b(struct art *t)
{
	dict_art(t, NULL);
	t->b.p[t->strtab + 1 + strlen(FP_META_DICT_SHA) - 1] = 'x';
	reseal(t);
}

/* A flipped byte of the dictionary, its frame unchanged. */
static void
r38c(struct art *t)
{
	dict_art(t, NULL);
	t->b.p[t->dict + 8 + the_dict.len - 1] ^= 1;
}

/* A dictionary whose entropy tables are zeroed, with its SHA-256 in the
 * metadata: it has the magic and the ID, but zstd refuses it. */
static void
r38d(struct art *t)
{
	unsigned char *d, sum[32];
	char hex[65];

	dict_art(t, NULL);
	d = t->b.p + t->dict + 8;
	memset(d + 8, 0, the_dict.len - 8);
	sha256(d, the_dict.len, sum);
	sha256_hex(sum, hex);
	memcpy(t->b.p + t->strtab + 1 + strlen(FP_META_DICT_SHA) + 1, hex, 64);
	reseal(t);
}

/* A content frame that names another dictionary than the payload's. */
static void
r41_dict(struct art *t)
{
	struct buf f = text_frame(&(struct zhead){ .checksum = 1, .has_size = 1,
	    .content_size = sizeof(text) - 1,
	    .dict_id = fp_le32(the_dict.p + 4) + 1 });

	dict_art(t, &f);
	free(f.p);
}

/* --- running the cases ---------------------------------------------------- */

struct crafted {
	const char *id;
	void (*make)(struct art *t);
	int decode;                /* the open succeeds, decoding "f" fails */
	const char *lazy_id;       /* the rule a lazy reader reports */
};

static const struct crafted cases[] = {
	{ "1a", r1a, 0, "1a" }, { "1b", r1b, 0, "1b" }, { "1c", r1c, 0, "1c" },
	{ "1d", r1d, 0, "1d" }, { "2", r2, 0, "2" }, { "3", r3, 0, "3" },
	{ "4", r4, 0, "4" }, { "5", r5, 0, "5" }, { "6", r6, 0, "6" },
	{ "7", r7, 0, "7" }, { "8", r8, 0, "8" }, { "8s", r8s, 0, "8s" }, { "9", r9, 0, "9" },
	{ "10", r10, 0, "10" }, { "11", r11, 0, "23b" }, { "11", r11_old, 0, "11" },
	{ "12", r12, 0, "12" },
	{ "13", r13, 0, "13" }, { "14", r14, 0, "14" }, { "15", r15, 0, "15" },
	{ "16", r16, 0, "16" }, { "17", r17, 0, "17" }, { "18", r18, 0, "18" },
	{ "19", r19, 0, "19" }, { "20", r20, 0, "20" }, { "21", r21, 0, "21" },
	{ "22", r22, 0, "22" }, { "22b", r22b, 0, "22b" }, { "23", r23, 0, "23" },
	{ "23b", r23b, 0, "23b" }, { "23b", r23b_mime, 0, "23b" },
	{ "23b", r23b_prev, 0, "23b" }, { "23b", r23b_moved, 0, "23b" }, { "26", r26, 0, "26" },
	{ "27", r27, 0, "27" }, { "28", r28, 0, "28" }, { "29", r29, 0, "29" },
	{ "30", r30, 0, "30" }, { "31", r31, 0, "31" }, { "32", r32, 0, "32" },
	{ "32b", r32b, 0, "32b" }, { "39", r39, 1, "39" },
	{ "40", r40, 1, "40" }, { "41", r41, 1, "41" }, { "42", r42, 1, "42" },
	{ "43", r43, 1, "43" }, { "44", r44, 1, "44" }, { "45", r45, 1, "45" },
	{ "46", r46, 1, "46" }, { "47", r47, 1, "47" }, { "48", r48, 1, "48" },
	{ "1a", r1a_text, 0, "1a" }, { "8", r8_wrap, 0, "8" },
	{ "12", r12_size, 0, "12" }, { "13", r13_skippable, 0, "13" },
	{ "13", r13_short, 0, "13" }, { "23", r23_mime, 0, "23" },
	{ "26", r26_unsorted, 0, "26" }, { "27", r27_frame, 0, "27" },
	{ "30", r30_wrap, 0, "30" }, { "32", r32_file, 0, "32" },
	{ "42", r42_other, 1, "42" },
	{ "22c", r22c, 0, "22c" }, { "22c", r22c_small, 0, "22c" },
	{ "22c", r22c_magic, 0, "22c" }, { "22c", r22c_zmagic, 0, "22c" },
	{ "22c", r22c_id, 0, "22c" }, { "30", r30_dict, 0, "30" },
	{ "38b", r38b, 1, "38b" },
	/* a lazy reader checks the dictionary when a frame first needs it,
	 * and decoding says only the code */
	{ "38c", r38c, 1, "47" }, { "38d", r38d, 1, "41" },
	{ "41", r41_dict, 1, "41" },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* How a case is read: a full open, or a lazy open that then touches each
 * entry in order, as the runtime would one by one. */
enum mode { FULL, LAZY };

/* A lazy reader's lookups on a hostile table: each ends, stays in bounds
 * (ASan, UBSan in build-san), and finds a path or says why not. */
static int
lookups_safe(const struct fp_reader *a)
{
	static const char *const paths[] = { "", "a", "a/b", "b", "css",
	    "css/site.css", "d", "d/x", "e", "empty.txt", "f", "zzz" };
	size_t i, pos;
	long r;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		r = fp_reader_find(a, paths[i], strlen(paths[i]));
		if (r < 0 && r != FATPACK_ENOENT && r != FATPACK_ECORRUPT)
			return 0;
		if (r >= 0 && (r >= (long)a->count || fp_reader_lower_bound(a,
		    paths[i], strlen(paths[i]), &pos) != 0 || pos != (size_t)r))
			return 0;
	}
	return 1;
}

/* After a lazy open: the first refusal of an entry, touched in order. */
static int
touch_all(const struct fp_reader *a, char detail[256])
{
	size_t i;
	int r;

	if (!lookups_safe(a)) {
		snprintf(detail, 256, "a lookup went wrong");
		return 1;
	}
	for (i = 0; i < a->count; i++)
		if ((r = fp_reader_check_entry(a, i, detail, 256)) != 0)
			return r;
	return 0;
}

/* Opens t; when decode is set and the open succeeds, decodes entry 0. The
 * code, and the open's detail or the decode code's text in detail. */
static int
outcome(struct art *t, int decode, enum mode m, char detail[256])
{
	struct fp_reader a;
	void *data;
	size_t size;
	int fd = open_bytes(t->b.p, t->b.len), r;

	r = m == FULL ? fp_reader_open(&a, fd, detail, 256) :
	    fp_reader_open_lazy(&a, fd, detail, 256);
	if (r == 0) {
		if (m == LAZY && !decode)
			r = touch_all(&a, detail);
		if (decode && (r = fp_reader_decode(&a, 0, &data, &size)) == 0)
			free(data);
		if (decode)
			snprintf(detail, 256, "%s", fp_strerror(r));
		fp_reader_close(&a);
	}
	close(fd);
	return r;
}

/* Rules a lazy reader leaves to full opens (FORMAT.md 7.1): it takes a file
 * that breaks only them. */
static int
full_only(const char *id)
{
	return strcmp(id, "32b") == 0;
}

/* The doc's message of rule id ends with ": " reason. */
static int
doc_reason(const char *id, const char *reason)
{
	const struct row *r = find_row(id);
	size_t n = reason != NULL ? strlen(reason) : 0, m;

	if (r == NULL || reason == NULL)
		return 0;
	m = strlen(r->msg);
	return m > n + 2 && strcmp(r->msg + m - n, reason) == 0 &&
	    r->msg[m - n - 2] == ':';
}

/* The reader, opened as m says, must refuse t as the row of rule id says. */
static void
expect_mode(struct row *r, const char *label, struct art *t, int decode,
    enum mode m)
{
	char detail[256], pat[256], name[700];
	int code = outcome(t, decode, m, detail);

	snprintf(name, sizeof(name), "%s%s: %s (%d, \"%s\")", label,
	    m == LAZY ? " (lazy)" : "", r->msg, code, detail);
	if (m == LAZY && full_only(r->id)) {
		snprintf(name, sizeof(name), "%s (lazy): left to a full open "
		    "(%d, \"%s\")", label, code, detail);
		check(code == 0, name);
		return;
	}
	doc_pattern(r->msg, pat, sizeof(pat));
	check(code == r->code && glob(pat, detail), name);
}

/* The reader must refuse t as the row of rule id says, opened fully and,
 * unless lazy_id is NULL, lazily too as the row of lazy_id says. */
static void
expect_row(const char *id, const char *lazy_id, const char *label,
    struct art *t, int decode)
{
	struct row *r = find_row(id), *lr = lazy_id ? find_row(lazy_id) : NULL;

	if (r == NULL) {
		printf("not ok - rule %s is crafted here but not in docs/FORMAT.md 7\n",
		    id);
		failures++;
		return;
	}
	r->seen = 1;
	expect_mode(r, label, t, decode, FULL);
	if (lr != NULL)
		expect_mode(lr, label, t, decode, LAZY);
}

static void
run_case(const struct crafted *c, const char *label)
{
	struct art t;

	memset(&t, 0, sizeof(t));
	c->make(&t);
	expect_row(c->id, c->lazy_id, label, &t, c->decode);
	free(t.b.p);
}

/* v in an artifact is refused as its row says, and by the writer's check,
 * with the same reason where the reader gives the check's own. */
static void
run_value(const struct value *v)
{
	const char *why = writer_reason(v);
	char label[64];
	struct art t;

	snprintf(label, sizeof(label), "rule %s", v->id);
	value_art(&t, v);
	expect_row(v->id, v->id, label, &t, 0);
	free(t.b.p);
	if (v->kind == META)
		return;
	snprintf(label, sizeof(label), "rule %s: the writer's check refuses it",
	    v->id);
	check(why != NULL && (v->kind == META_VALUE || doc_reason(v->id, why)),
	    label);
}

/* Artifacts breaking two rules, and the one the reader must report; a lazy
 * reader checks the metadata at open and an entry's rules together, so it
 * may meet another first. */
static const struct crafted order[] = {
	{ "2", o2_3, 0, "2" }, { "11", o11_12, 0, "12" },
	{ "24c", o24_25, 0, "24c" }, { "25b", o25_26, 0, "25b" },
	{ "28", o28_32, 0, "32" }, { "32", o32_33, 0, "33" },
	{ "36", o36_38, 0, "36" },
};

/* Artifacts the cases start from open, and decode: a refusal is the rule's. */
static void
controls(void)
{
	struct art t;
	char detail[256];

	std(&t);
	check(outcome(&t, 1, FULL, detail) == FATPACK_EISDIR, "control: std opens");
	check(outcome(&t, 0, LAZY, detail) == 0,
	    "control: std opens lazily, every entry passes");
	free(t.b.p);
	std_1_1(&t);
	check(outcome(&t, 1, FULL, detail) == FATPACK_EISDIR &&
	    outcome(&t, 0, LAZY, detail) == 0,
	    "control: std as a 1.1 file, without checks, opens both ways");
	free(t.b.p);
	zindex(&t, 1, 1, same);
	check(outcome(&t, 0, FULL, detail) == 0 &&
	    outcome(&t, 0, LAZY, detail) == 0,
	    "control: a compressed index with a rewritten header opens");
	free(t.b.p);
	frame_case(&t, text, sizeof(text) - 1, (struct zhead){ .window_log = 20,
	    .checksum = 1, .has_size = 1, .content_size = sizeof(text) - 1 });
	check(outcome(&t, 1, FULL, detail) == 0 &&
	    outcome(&t, 1, LAZY, detail) == 0,
	    "control: a content frame with a rewritten header decodes");
	free(t.b.p);
	dict_art(&t, NULL);
	check(fp_le32(t.b.p + t.frame[0]) == 0xFD2FB528u &&
	    ZSTD_getDictID_fromFrame(t.b.p + t.frame[0], t.frame_len[0]) ==
	    fp_le32(the_dict.p + 4) && outcome(&t, 1, FULL, detail) == 0 &&
	    outcome(&t, 1, LAZY, detail) == 0,
	    "control: a frame compressed with the dictionary decodes");
	free(t.b.p);
	dict_art_plain(&t);
	check(outcome(&t, 1, FULL, detail) == 0 &&
	    outcome(&t, 1, LAZY, detail) == 0,
	    "control: a frame without the dictionary in a payload with one decodes");
	free(t.b.p);
	one(&t, "d", "", "k=caf\xc3\xa9\n", 8);
	check(outcome(&t, 1, FULL, detail) == 0 &&
	    outcome(&t, 1, LAZY, detail) == 0, "control: one file with metadata");
	free(t.b.p);
}

/* What the writer writes, its checks take. */
static void
writer_takes(void)
{
	check(fp_check_path("css/site.css", 12) == NULL &&
	    fp_check_mime("text/css", 8) == NULL &&
	    fp_check_meta_key("serve.listen", 12) == NULL &&
	    fp_check_meta_value("caf\xc3\xa9 = x", 9) == NULL,
	    "writer: good values pass its checks");
	check(fp_check_meta_value("a\nb", 3) != NULL,
	    "writer: fp_check_meta_value refuses a newline");
}

/* Every message the sources can give is in the document, and the other way. */
static void
drift(void)
{
	char pat[512], name[600];
	size_t i, k;
	int found;

	for (i = 0; i < nformats; i++) {
		fmt_pattern(formats[i], pat, sizeof(pat));
		for (k = 0, found = 0; k < nrows && !found; k++)
			found = glob(pat, rows[k].msg);
		snprintf(name, sizeof(name), "reader.c message \"%s\" is in the document",
		    formats[i]);
		check(found, name);
	}
	for (i = 0; i < nreasons; i++) {
		for (k = 0, found = 0; k < nrows && !found; k++)
			found = rows[k].id[0] != '\0' &&
			    strstr(rows[k].msg, reasons[i]) != NULL;
		snprintf(name, sizeof(name), "reason \"%s\" is in the document",
		    reasons[i]);
		check(found, name);
	}
	for (k = 0; k < nrows; k++) {
		if (rows[k].id[0] != '\0') {
			snprintf(name, sizeof(name), "rule %.7s has a crafted case",
			    rows[k].id);
			check(rows[k].seen, name);
			continue;
		}
		for (i = 0, found = 0; i < nformats && !found; i++) {
			fmt_pattern(formats[i], pat, sizeof(pat));
			found = glob(pat, rows[k].msg);
		}
		snprintf(name, sizeof(name), "7.3 message \"%s\" is one reader.c gives",
		    rows[k].msg);
		check(found, name);
	}
}

int
main(void)
{
	char *doc = slurp("docs/FORMAT.md"), *reader = slurp("stub/format/reader.c");
	char *checks = slurp("stub/format/check.c"), label[32];
	size_t i;

	memset(long_path, 'a', sizeof(long_path));
	memset(long_mime, 'a', sizeof(long_mime));
	parse_doc(doc);
	train_dict();
	scan_fails(reader);
	scan_returns(reader, "meta_line_problem");
	scan_returns(checks, "fp_check_path");
	scan_returns(checks, "fp_check_mime");
	scan_returns(checks, "fp_check_meta_key");
	printf("# %zu rows in docs/FORMAT.md 7, %zu fail() messages and %zu "
	    "reasons in the sources\n", nrows, nformats, nreasons);
	check(nrows > 50 && nformats > 30 && nreasons > 10, "tables and sources read");
	controls();
	for (i = 0; i < NCASES; i++) {
		snprintf(label, sizeof(label), "rule %s", cases[i].id);
		run_case(&cases[i], label);
	}
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		snprintf(label, sizeof(label), "order: rule %s first", order[i].id);
		run_case(&order[i], label);
	}
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		run_value(&values[i]);
	writer_takes();
	drift();
	for (i = 0; i < nformats; i++)
		free(formats[i]);
	for (i = 0; i < nreasons; i++)
		free(reasons[i]);
	free(the_dict.p);
	free(doc);
	free(reader);
	free(checks);
	return failures != 0;
}
