/*
 * tarcheck.c - the tar stream against the index (tarcheck.h, FORMAT.md 3).
 *
 * Header frames are small: the previous file's padding, at most a pax
 * header of three records and one ustar block. A frame that claims more is
 * refused before it is decoded, so the walk needs two fixed buffers
 * whatever the file claims. Everything a tar reader would act on is either
 * checked against the index or refused: a field that standard tar honours
 * and this file does not check is a way to unpack differently.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ZSTD_getFrameHeader: a header frame's declared size before decoding it */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#include <zstd_errors.h>

#include "bytes.h"
#include "check.h"
#include "format.h"
#include "reader.h"
#include "tarcheck.h"

#define BLOCK 512u
/* pax records: a path of FP_PATH_MAX bytes with its '/', a link path as
 * long, a size, an mtime */
#define PAX_MAX (2 * FP_PATH_MAX + BLOCK)
/* padding, pax block, pax records, ustar block */
#define HEADER_MAX (BLOCK - 1 + BLOCK + PAX_MAX + BLOCK)
#define FRAME_MAX ZSTD_COMPRESSBOUND(HEADER_MAX)

/* Which ustar fields a pax record replaced. */
#define PAX_PATH 1u
#define PAX_SIZE 2u
#define PAX_MTIME 4u
#define PAX_LINK 8u

struct walk {
	const struct fp_reader *r;
	ZSTD_DCtx *dctx;
	uint64_t pos;            /* payload-relative offset of the next frame */
	unsigned char *linked;   /* per entry: its tar header is a hard link */
	const char *where;       /* the index path being checked, for messages */
	char *detail;
	size_t len;
	unsigned char in[FRAME_MAX];
	unsigned char out[HEADER_MAX];
};

/* One tar entry as a tar reader would take it, pax records applied. */
struct hdr {
	char type;
	uint64_t mode, uid, gid, size;
	int64_t mtime;
	const char *path;        /* into the decoded frame or into ustar_path */
	size_t path_len;
	const char *link;        /* a hard link's target, as path */
	size_t link_len;
	unsigned pax;            /* PAX_* */
	char ustar_path[155 + 1 + 100];
	char ustar_link[100];
};

static int
fail(struct walk *w, int code, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->detail == NULL || w->len == 0)
		return code;
	n = snprintf(w->detail, w->len, "tar stream: %s: ", w->where);
	if (n >= 0 && (size_t)n < w->len) {
		va_start(ap, fmt);
		vsnprintf(w->detail + n, w->len - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return code;
}

static int
all_zero(const unsigned char *p, size_t n)
{
	while (n > 0)
		if (p[--n] != 0)
			return 0;
	return 1;
}

static size_t
padding(uint64_t size)
{
	return (size_t)((BLOCK - size % BLOCK) % BLOCK);
}

/* --- frames --------------------------------------------------------------- */

/* Decodes the frame at w->pos into w->out, whose content size it must
 * declare, bounded by HEADER_MAX; moves w->pos past it. The frame cannot
 * reach into the index: only bytes before index_offset are read. */
static int
read_frame(struct walk *w, const char *what, size_t *len)
{
	const struct fp_reader *r = w->r;
	uint64_t left = r->index_offset - w->pos;
	size_t n = left < FRAME_MAX ? (size_t)left : FRAME_MAX, fsize, got;
	unsigned long long at = (unsigned long long)w->pos;
	ZSTD_frameHeader h;
	int rc;

	if (n == 0)
		return fail(w, FATPACK_ECORRUPT, "no %s frame: the stream ends "
		    "at payload offset %llu", what, at);
	if ((rc = fp_read_at(r->fd, w->in, n, r->payload_offset + w->pos)) != 0)
		return fail(w, rc, "reading the %s frame: %s", what,
		    rc == FATPACK_EIO ? strerror(errno) : fp_strerror(rc));
	/* the header frame's size is known only from its own header; the
	 * rules of a frame are the reader's */
	if (ZSTD_getFrameHeader(&h, w->in, n) != 0 || h.frameType != ZSTD_frame ||
	    h.frameContentSize > HEADER_MAX)
		return fail(w, FATPACK_ECORRUPT, "%s frame at payload offset %llu: "
		    "not a zstd frame declaring at most %u bytes", what, at,
		    HEADER_MAX);
	fsize = ZSTD_findFrameCompressedSize(w->in, n);
	if (ZSTD_isError(fsize) ||
	    fp_frame_check(w->in, fsize, h.frameContentSize, 0) != 0)
		return fail(w, FATPACK_ECORRUPT, "%s frame at payload offset %llu: "
		    "corrupt, or not a frame the format allows", what, at);
	got = ZSTD_decompressDCtx(w->dctx, w->out, (size_t)h.frameContentSize,
	    w->in, fsize);
	if (ZSTD_isError(got) || got != h.frameContentSize)
		return fail(w, ZSTD_getErrorCode(got) == ZSTD_error_checksum_wrong ?
		    FATPACK_ECHECKSUM : FATPACK_ECORRUPT,
		    "%s frame at payload offset %llu: %s", what, at,
		    ZSTD_getErrorCode(got) == ZSTD_error_checksum_wrong ?
		    "checksum mismatch" : "corrupt zstd frame");
	w->pos += fsize;
	*len = got;
	return 0;
}

/* --- tar headers ---------------------------------------------------------- */

/* A ustar number: octal digits after optional spaces, then NUL or spaces to
 * the end of the field. GNU base-256 numbers are refused: fatpack writes
 * larger values as pax records. */
static int
octal(const unsigned char *f, size_t width, uint64_t *v)
{
	size_t i = 0, digits = 0;

	*v = 0;
	while (i < width && f[i] == ' ')
		i++;
	for (; i < width && f[i] >= '0' && f[i] <= '7'; i++, digits++)
		*v = *v << 3 | (uint64_t)(f[i] - '0');
	for (; i < width; i++)
		if (f[i] != ' ' && f[i] != '\0')
			return -1;
	return digits > 0 ? 0 : -1;
}

/* A pax decimal number: digits only, at most 20, no overflow. */
static int
decimal(const char *s, size_t n, uint64_t *v)
{
	size_t i;

	*v = 0;
	if (n == 0 || n > 20)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' ||
		    *v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	}
	return 0;
}

static int
signed_decimal(const char *s, size_t n, int64_t *v)
{
	uint64_t u;
	int neg = n > 0 && s[0] == '-';

	if (decimal(s + neg, n - (size_t)neg, &u) != 0 ||
	    u > (uint64_t)INT64_MAX + (uint64_t)neg)
		return -1;
	*v = neg ? (int64_t)(0 - u) : (int64_t)u;
	return 0;
}

/* The magic and the checksum of a header block; NULL when they hold. */
static const char *
block_problem(const unsigned char *b)
{
	uint64_t want, sum = 0;
	size_t i;

	if (memcmp(b + 257, "ustar\0" "00", 8) != 0)
		return "not a ustar header";
	if (octal(b + 148, 8, &want) != 0)
		return "bad checksum field";
	for (i = 0; i < BLOCK; i++)
		sum += i >= 148 && i < 156 ? ' ' : b[i];
	return sum == want ? NULL : "header checksum mismatch";
}

static int
pax_field(struct walk *w, struct hdr *h, const char *key, size_t klen,
    const char *v, size_t vlen)
{
	static const char *const names[] = { "path", "size", "mtime",
	    "linkpath" };
	char esc[64];
	unsigned bit;
	int ok;

	for (bit = 0; bit < 4; bit++)
		if (strlen(names[bit]) == klen && memcmp(names[bit], key, klen) == 0)
			break;
	if (bit == 4)
		return fail(w, FATPACK_ECORRUPT, "pax record '%s' not allowed",
		    fp_escape(key, klen, esc, sizeof(esc)));
	if (h->pax & (1u << bit))
		return fail(w, FATPACK_ECORRUPT, "pax record '%s' given twice",
		    names[bit]);
	h->pax |= 1u << bit;
	if (bit == 0 || bit == 3) {
		*(bit == 0 ? &h->path : &h->link) = v;
		*(bit == 0 ? &h->path_len : &h->link_len) = vlen;
		return 0;
	}
	ok = bit == 1 ? decimal(v, vlen, &h->size) == 0 :
	    signed_decimal(v, vlen, &h->mtime) == 0;
	return ok ? 0 : fail(w, FATPACK_ECORRUPT,
	    "pax record '%s' is not a whole number", names[bit]);
}

/* Records "LEN key=value\n", where LEN counts the whole record. */
static int
parse_pax(struct walk *w, const unsigned char *p, size_t len, struct hdr *h)
{
	size_t off = 0;
	int rc;

	while (off < len) {
		size_t k = off, rl = 0;
		const char *key, *end, *eq;

		while (k < len && k - off < 6 && p[k] >= '0' && p[k] <= '9')
			rl = rl * 10 + (size_t)(p[k++] - '0');
		if (k == off || p[off] == '0' || k == len || p[k] != ' ' ||
		    rl > len - off || rl < k - off + 3 || p[off + rl - 1] != '\n')
			return fail(w, FATPACK_ECORRUPT, "malformed pax record");
		key = (const char *)p + k + 1;
		end = (const char *)p + off + rl - 1;
		if ((eq = memchr(key, '=', (size_t)(end - key))) == NULL)
			return fail(w, FATPACK_ECORRUPT, "malformed pax record");
		if ((rc = pax_field(w, h, key, (size_t)(eq - key), eq + 1,
		    (size_t)(end - eq - 1))) != 0)
			return rc;
		off += rl;
	}
	return 0;
}

static int
type_problem(struct walk *w, char type)
{
	char esc[8];

	if (type == '2')
		return fail(w, FATPACK_ECORRUPT, "a symbolic link (type '2'): "
		    "only files and folders are allowed");
	return fail(w, FATPACK_ECORRUPT, "type '%s': only files ('0'), "
	    "folders ('5') and hard links ('1') are allowed",
	    fp_escape(&type, 1, esc, sizeof(esc)));
}

/* The link name of a ustar block of type '1', unless a pax record gave
 * it; no other type has one. */
static int
parse_link(struct walk *w, const unsigned char *b, struct hdr *h)
{
	if (h->type != '1') {
		if (h->pax & PAX_LINK)
			return fail(w, FATPACK_ECORRUPT, "pax record 'linkpath' "
			    "not allowed but for a hard link");
		if (!all_zero(b + 157, 100))
			return fail(w, FATPACK_ECORRUPT, "the tar header has a "
			    "link name");
		return 0;
	}
	if (h->pax & PAX_LINK)
		return 0;
	h->link_len = strnlen((const char *)b + 157, 100);
	memcpy(h->ustar_link, b + 157, h->link_len);
	h->link = h->ustar_link;
	return 0;
}

/* The ustar block: numbers, a link name only for a hard link, no owner
 * names, and the path from prefix and name unless a pax record gave it. */
static int
parse_ustar(struct walk *w, const unsigned char *b, struct hdr *h)
{
	const char *why = block_problem(b);
	uint64_t size, mtime;
	size_t plen, nlen;
	int rc;

	if (why != NULL)
		return fail(w, FATPACK_ECORRUPT, "%s", why);
	h->type = (char)b[156];
	if (h->type != '0' && h->type != '5' && h->type != '1')
		return type_problem(w, h->type);
	if (octal(b + 100, 8, &h->mode) != 0 || octal(b + 108, 8, &h->uid) != 0 ||
	    octal(b + 116, 8, &h->gid) != 0 || octal(b + 124, 12, &size) != 0 ||
	    octal(b + 136, 12, &mtime) != 0)
		return fail(w, FATPACK_ECORRUPT, "bad number in the tar header");
	if ((rc = parse_link(w, b, h)) != 0)
		return rc;
	if (b[265] != '\0' || b[297] != '\0')
		return fail(w, FATPACK_ECORRUPT, "the tar header has an owner name");
	if (!(h->pax & PAX_SIZE))
		h->size = size;
	if (!(h->pax & PAX_MTIME))
		h->mtime = (int64_t)mtime;   /* 11 octal digits fit */
	if (h->pax & PAX_PATH)
		return 0;
	plen = strnlen((const char *)b + 345, 155);
	nlen = strnlen((const char *)b, 100);
	memcpy(h->ustar_path, b + 345, plen);
	h->path_len = plen;
	if (plen > 0)
		h->ustar_path[h->path_len++] = '/';
	memcpy(h->ustar_path + h->path_len, b, nlen);
	h->path_len += nlen;
	h->path = h->ustar_path;
	return 0;
}

/* [pax block, records, zero padding] ustar block: exactly n bytes. */
static int
parse_header(struct walk *w, const unsigned char *p, size_t n, struct hdr *h)
{
	const char *why;
	uint64_t len;
	size_t padded;
	int rc;

	if (n > BLOCK && p[156] == 'x') {
		if ((why = block_problem(p)) != NULL)
			return fail(w, FATPACK_ECORRUPT, "pax header: %s", why);
		if (octal(p + 124, 12, &len) != 0 || len == 0 || len > PAX_MAX)
			return fail(w, FATPACK_ECORRUPT, "bad pax header size");
		padded = (size_t)len + padding(len);
		if (n != 2 * BLOCK + padded)
			return fail(w, FATPACK_ECORRUPT, "pax header does not fill "
			    "its frame");
		if ((rc = parse_pax(w, p + BLOCK, (size_t)len, h)) != 0)
			return rc;
		if (!all_zero(p + BLOCK + len, padded - (size_t)len))
			return fail(w, FATPACK_ECORRUPT, "pax header padding is "
			    "not zero");
		p += BLOCK + padded;
		n -= BLOCK + padded;
	}
	if (n != BLOCK)
		return fail(w, FATPACK_ECORRUPT, "the header frame holds %zu bytes "
		    "after the padding, not one header", n);
	return parse_ustar(w, p, h);
}

/* --- against the index ---------------------------------------------------- */

static int
compare(struct walk *w, const struct fatpack_entry *e, const struct hdr *h)
{
	int dir = e->type == FATPACK_DIR;
	char esc[128];

	if (h->type != (dir ? '5' : '0') && (dir || h->type != '1'))
		return fail(w, FATPACK_ECORRUPT, "a %s in the tar stream, a %s in "
		    "the index", dir ? "file" : "folder", dir ? "folder" : "file");
	if (h->path_len != e->path_len + (size_t)dir ||
	    memcmp(h->path, e->path, e->path_len) != 0 ||
	    (dir && h->path[e->path_len] != '/'))
		return fail(w, FATPACK_ECORRUPT, "the tar header names '%s'",
		    fp_escape(h->path, h->path_len, esc, sizeof(esc)));
	if (h->mode != e->mode)
		return fail(w, FATPACK_ECORRUPT, "mode %04llo in the tar header, "
		    "%04o in the index", (unsigned long long)h->mode,
		    (unsigned)e->mode);
	if (h->uid != 0 || h->gid != 0)
		return fail(w, FATPACK_ECORRUPT, "owner %llu:%llu in the tar "
		    "header, not 0:0", (unsigned long long)h->uid,
		    (unsigned long long)h->gid);
	if (h->size != (h->type == '1' ? 0 : e->size))
		return fail(w, FATPACK_ECORRUPT, "size %llu in the tar header, %llu "
		    "in the index%s", (unsigned long long)h->size,
		    (unsigned long long)e->size, h->type == '1' ?
		    " (a hard link has size 0)" : "");
	if (h->mtime != e->mtime)
		return fail(w, FATPACK_ECORRUPT, "mtime %lld in the tar header, "
		    "%lld in the index", (long long)h->mtime, (long long)e->mtime);
	return 0;
}

static const unsigned char *
raw_entry(const struct walk *w, size_t i)
{
	return w->r->entries + i * w->r->entry_size;
}

/* A hard link (FORMAT.md 3.1, 5): entry i is a later copy of a content
 * whose frame an earlier entry holds, and the link names that entry, so
 * tar makes of it what the index says. */
static int
check_link(struct walk *w, size_t i, const struct fatpack_entry *e,
    const struct hdr *h)
{
	const unsigned char *ri = raw_entry(w, i), *rj;
	const char *why;
	char esc[128];
	long j;

	fp_escape(h->link, h->link_len, esc, sizeof(esc));
	if ((why = fp_check_path(h->link, h->link_len)) != NULL)
		return fail(w, FATPACK_ECORRUPT, "a hard link (type '1') to "
		    "'%s': %s", esc, why);
	j = fp_reader_find(w->r, h->link, h->link_len);
	if (j < 0 || (size_t)j >= i)
		return fail(w, FATPACK_ECORRUPT, "a hard link (type '1') to "
		    "'%s', not to an earlier entry", esc);
	rj = raw_entry(w, (size_t)j);
	if (rj[FP_E_TYPE] == FP_TYPE_DIR)
		return fail(w, FATPACK_ECORRUPT, "a hard link (type '1') to "
		    "the folder '%s'", esc);
	if (w->linked[j])
		return fail(w, FATPACK_ECORRUPT, "a hard link (type '1') to "
		    "'%s', itself a hard link", esc);
	if (e->size == 0 || fp_le64(rj + FP_E_SIZE) != e->size ||
	    fp_le64(rj + FP_E_FRAME_OFF) != fp_le64(ri + FP_E_FRAME_OFF) ||
	    fp_le64(rj + FP_E_FRAME_SIZE) != fp_le64(ri + FP_E_FRAME_SIZE) ||
	    memcmp(rj + FP_E_SHA, ri + FP_E_SHA, 32) != 0)
		return fail(w, FATPACK_ECORRUPT, "a hard link (type '1') to "
		    "'%s', whose frame is not this entry's", esc);
	w->linked[i] = 1;
	return 0;
}

/* The content frame of entry i follows its header frame, exactly where the
 * index says; an entry without content has no frame. */
static int
skip_content(struct walk *w, size_t i, const struct fatpack_entry *e)
{
	const unsigned char *raw = raw_entry(w, i);
	uint64_t off = fp_le64(raw + FP_E_FRAME_OFF), size = fp_le64(raw + FP_E_FRAME_SIZE);

	if (e->type == FATPACK_DIR || e->size == 0)
		return off == 0 && size == 0 ? 0 : fail(w, FATPACK_ECORRUPT,
		    "the index gives a frame to an entry without content");
	if (off != w->pos)
		return fail(w, FATPACK_ECORRUPT, "the index puts the content frame "
		    "at payload offset %llu, the header frame ends at %llu",
		    (unsigned long long)off, (unsigned long long)w->pos);
	w->pos = off + size;   /* the reader checked: within the tar stream */
	return 0;
}

/* Entry i's header frame and content frame; *tar_size is the size the
 * tar header gives it, 0 for a hard link. */
static int
check_entry(struct walk *w, size_t i, uint64_t prev_size, uint64_t *tar_size)
{
	struct fatpack_entry e;
	struct hdr h;
	size_t n, pad = padding(prev_size);
	int rc;

	if ((rc = fp_reader_entry(w->r, i, &e)) != 0)
		return rc;
	w->where = e.path;
	memset(&h, 0, sizeof(h));
	if ((rc = read_frame(w, "header", &n)) != 0)
		return rc;
	if (n < pad || !all_zero(w->out, pad))
		return fail(w, FATPACK_ECORRUPT, "the header frame does not start "
		    "with %zu zero bytes of padding", pad);
	if ((rc = parse_header(w, w->out + pad, n - pad, &h)) != 0 ||
	    (h.type == '1' && e.type != FATPACK_DIR &&
	    (rc = check_link(w, i, &e, &h)) != 0) ||
	    (rc = compare(w, &e, &h)) != 0)
		return rc;
	*tar_size = h.size;
	return h.type == '1' ? 0 : skip_content(w, i, &e);
}

/* The last file's padding and two zero blocks, then the index. */
static int
check_end(struct walk *w, uint64_t last_size)
{
	size_t n, want = padding(last_size) + 2 * BLOCK;
	int rc;

	w->where = "end";
	if ((rc = read_frame(w, "end", &n)) != 0)
		return rc;
	if (n != want || !all_zero(w->out, n))
		return fail(w, FATPACK_ECORRUPT, "the end frame is not %zu zero "
		    "bytes", want);
	if (w->pos != w->r->index_offset)
		return fail(w, FATPACK_ECORRUPT, "%llu bytes after the end frame",
		    (unsigned long long)(w->r->index_offset - w->pos));
	return 0;
}

int
fp_tar_check(const struct fp_reader *r, char *detail, size_t len)
{
	struct walk *w = calloc(1, sizeof(*w));
	struct fatpack_entry e;
	uint64_t prev = 0;
	size_t i;
	int rc = 0;

	if (w == NULL || (w->linked = calloc(r->count + 1, 1)) == NULL ||
	    (w->dctx = ZSTD_createDCtx()) == NULL) {
		if (w != NULL)
			free(w->linked);
		free(w);
		if (detail != NULL && len > 0)
			snprintf(detail, len, "tar stream: out of memory");
		return FATPACK_ENOMEM;
	}
	ZSTD_DCtx_setParameter(w->dctx, ZSTD_d_windowLogMax, FP_WINDOW_LOG_MAX);
	w->r = r;
	w->pos = r->dict_size;   /* the tar stream starts after the dictionary */
	w->detail = detail;
	w->len = len;
	for (i = 0; rc == 0 && fp_reader_entry(r, i, &e) == 0; i++)
		rc = check_entry(w, i, prev, &prev);
	if (rc == 0)
		rc = check_end(w, prev);
	ZSTD_freeDCtx(w->dctx);
	free(w->linked);
	free(w);
	return rc;
}
