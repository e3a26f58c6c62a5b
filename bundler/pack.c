/*
 * pack.c - the writer of the fatpack format (docs/FORMAT.md).
 *
 * Every entry becomes a header frame (the previous file's tar padding, a pax
 * header when needed, the ustar block) and, for a non-empty file, a content
 * frame. A pool of threads compresses runs of consecutive entries (jobs), a
 * bounded amount ahead of the calling thread, which writes the finished
 * frames in index order and compresses the biggest files itself, straight
 * into the output. Each frame is compressed alone with parameters that
 * depend only on the level and its size, and a file is compressed the same
 * way whoever compresses it (whole from memory, or streamed when it is one
 * of the biggest), so the bytes do not depend on the number of threads. A
 * file's bytes are read once: the digest in the index is of the bytes in
 * its frame. Each content is stored once: a thread hashes a file before
 * compressing it, and compresses it only if no other entry has claimed that
 * content. The writing thread puts the frame at the content's first entry
 * in index order, whichever entry's thread compressed it, and makes every
 * later copy a hard link to it.
 *
 * The tar headers are written here rather than with libarchive's pax writer:
 * libarchive adds a pax header for every non-ASCII path (FORMAT.md allows one
 * only when a field does not fit ustar), and it cannot emit an entry's header
 * without also consuming or zero-filling the entry's body, which we compress
 * as a separate frame.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ZSTD_getCParams, to know when the level's window needs capping; the
 * shared libzstd exports it. */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include "dict.h"
#include "format/bytes.h"
#include "format/check.h"
#include "format/format.h"
#include "format/reader.h"
#include "mime.h"
#include "pack.h"
#include "format/sha256.h"
#include "util.h"

#define TAR_BLOCK 512u
#define USTAR_MAX_OCTAL 077777777777LL    /* 11 octal digits: 8 GiB - 1 */
#define OUTBUF (1u << 20)
#define MSG_LEN 512

/* ---- tar headers ------------------------------------------------------ */

static void
octal(unsigned char *field, size_t width, uint64_t v)
{
	char tmp[32];

	snprintf(tmp, sizeof(tmp), "%0*" PRIo64, (int)width - 1, v);
	memcpy(field, tmp, width - 1);
	field[width - 1] = '\0';
}

/* One ustar block. name is split into prefix/name by the caller. */
static void
ustar_block(unsigned char b[TAR_BLOCK], const char *prefix, size_t plen,
    const char *name, size_t nlen, char type, unsigned mode, uint64_t size,
    uint64_t mtime, const char *link)
{
	unsigned sum = 0;

	memset(b, 0, TAR_BLOCK);
	memcpy(b, name, nlen);
	if (link != NULL)   /* at most 100 bytes: pax_header took a longer one */
		memcpy(b + 157, link, strlen(link));
	octal(b + 100, 8, mode);
	octal(b + 108, 8, 0);                /* uid */
	octal(b + 116, 8, 0);                /* gid */
	octal(b + 124, 12, size);
	octal(b + 136, 12, mtime);
	memset(b + 148, ' ', 8);             /* checksum, counted as blanks */
	b[156] = (unsigned char)type;
	memcpy(b + 257, "ustar", 6);
	memcpy(b + 263, "00", 2);
	octal(b + 329, 8, 0);                /* devmajor */
	octal(b + 337, 8, 0);                /* devminor */
	memcpy(b + 345, prefix, plen);
	for (size_t i = 0; i < TAR_BLOCK; i++)
		sum += b[i];
	octal(b + 148, 7, sum);
	b[155] = ' ';
}

/* Where to split name into ustar prefix (<= 155) and name (1..100): the
 * position of the '/', 0 when name fits whole, -1 when it cannot be split. */
static long
ustar_split(const char *name, size_t len)
{
	if (len <= 100)
		return 0;
	for (size_t s = len - 101 > 0 ? len - 101 : 0; s < len - 1 && s <= 155; s++)
		if (name[s] == '/' && s > 0)
			return (long)s;
	return -1;
}

/* Appends a pax record "LEN key=value\n" whose LEN counts itself. */
static size_t
pax_record(char *out, const char *key, const char *value)
{
	size_t base = strlen(key) + strlen(value) + 3, len = base, d = 0;

	for (size_t v = base; v > 0; v /= 10)
		d++;
	len += d;
	if (snprintf(NULL, 0, "%zu", len) > (int)d)
		len++;
	return (size_t)sprintf(out, "%zu %s=%s\n", len, key, value);
}

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static void
buf_put(struct buf *b, const void *p, size_t n)
{
	if (n == 0)   /* p may be NULL, which memcpy may not take */
		return;
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void
buf_zero(struct buf *b, size_t n)
{
	static const unsigned char zero[TAR_BLOCK * 2];

	while (n > 0) {
		size_t k = n < sizeof(zero) ? n : sizeof(zero);

		buf_put(b, zero, k);
		n -= k;
	}
}

static size_t
tar_padding(uint64_t size)
{
	return (size_t)((TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK);
}

/* A hard link's target, or NULL for a file or folder: the later copy of a
 * content links to the path of the entry whose frame holds it
 * (FORMAT.md 3), so that tar writes the bytes once and links the rest. */
static int
long_link(const char *link)
{
	return link != NULL && strlen(link) > 100;
}

/* The pax header (type x) carrying what does not fit ustar, if anything. */
static void
pax_header(struct buf *b, const char *tarname, int long_name,
    const struct asset *a, uint64_t size, const char *link)
{
	char *rec = xmalloc(strlen(tarname) + (link ? strlen(link) : 0) + 160);
	char num[32];
	size_t len = 0;
	unsigned char blk[TAR_BLOCK];
	static const char pax_name[] = "././@PaxHeader";

	if (long_link(link))
		len += pax_record(rec + len, "linkpath", link);
	if (a->mtime < 0 || a->mtime > USTAR_MAX_OCTAL) {
		snprintf(num, sizeof(num), "%" PRId64, a->mtime);
		len += pax_record(rec + len, "mtime", num);
	}
	if (long_name)
		len += pax_record(rec + len, "path", tarname);
	if (size > USTAR_MAX_OCTAL) {
		snprintf(num, sizeof(num), "%" PRIu64, size);
		len += pax_record(rec + len, "size", num);
	}
	if (len > 0) {
		ustar_block(blk, "", 0, pax_name, sizeof(pax_name) - 1, 'x',
		    0644, len, 0, NULL);
		buf_put(b, blk, TAR_BLOCK);
		buf_put(b, rec, len);
		buf_zero(b, tar_padding(len));
	}
	free(rec);
}

/* The decoded bytes of entry i's header frame: the padding of the entry
 * before, whose tar size is prev_size, then its own headers; a hard link
 * to link when link is not NULL. */
static void
tar_header(struct buf *b, const struct asset_list *l, size_t i,
    uint64_t prev_size, const char *link)
{
	const struct asset *a = &l->v[i];
	int dir = a->type == FP_TYPE_DIR;
	char type = dir ? '5' : link != NULL ? '1' : '0';
	char *tarname = xasprintf("%s%s", a->path, dir ? "/" : "");
	size_t len = strlen(tarname);
	long split = ustar_split(tarname, len);
	unsigned char blk[TAR_BLOCK];
	uint64_t mtime = a->mtime < 0 || a->mtime > USTAR_MAX_OCTAL ? 0 :
	    (uint64_t)a->mtime;
	uint64_t tsize = link != NULL ? 0 : a->size;
	uint64_t size = tsize > USTAR_MAX_OCTAL ? 0 : tsize;
	const char *ulink = long_link(link) ? NULL : link;

	if (i > 0)
		buf_zero(b, tar_padding(prev_size));
	pax_header(b, tarname, split < 0, a, tsize, link);
	if (split < 0)   /* the pax path wins; keep a recognisable tail */
		ustar_block(blk, "", 0, tarname + len - 100, 100, type,
		    a->mode, size, mtime, ulink);
	else if (split == 0)
		ustar_block(blk, "", 0, tarname, len, type, a->mode, size, mtime,
		    ulink);
	else
		ustar_block(blk, tarname, (size_t)split, tarname + split + 1,
		    len - (size_t)split - 1, type, a->mode, size, mtime, ulink);
	buf_put(b, blk, TAR_BLOCK);
	free(tarname);
}

/* ---- frames ----------------------------------------------------------- */

/* Sets cc up for one frame of n bytes: checksum and content size, its window
 * capped for browsers. Parameters depend only on level and n. */
static void
frame_params(ZSTD_CCtx *cc, int level, uint64_t n)
{
	ZSTD_compressionParameters cp = ZSTD_getCParams(level, n, 0);

	ZSTD_CCtx_reset(cc, ZSTD_reset_session_and_parameters);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, level);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 1);
	if (cp.windowLog > FP_WINDOW_LOG_MAX)
		ZSTD_CCtx_setParameter(cc, ZSTD_c_windowLog, FP_WINDOW_LOG_MAX);
}

/* Compresses src, which is in memory, into a new buffer: one frame of
 * the entry called name. */
static int
compress_frame(ZSTD_CCtx *cc, int level, const ZSTD_CDict *cd,
    const char *name, const void *src, size_t n, unsigned char **out,
    size_t *out_len, char *msg)
{
	size_t cap = ZSTD_compressBound(n), r;
	unsigned char *dst;

	frame_params(cc, level, n);
	if (cd != NULL)
		ZSTD_CCtx_refCDict(cc, cd);
	dst = xmalloc(cap);
	r = ZSTD_compress2(cc, dst, cap, src, n);
	if (ZSTD_isError(r)) {
		snprintf(msg, MSG_LEN, "%s: zstd: %s", name,
		    ZSTD_getErrorName(r));
		free(dst);
		return -1;
	}
	if (r < cap / 2)
		dst = xrealloc(dst, r);
	*out = dst;
	*out_len = r;
	return 0;
}

/*
 * Above PROBE_LEVEL a file held in memory is first compressed at that level:
 * when that frame saves less than 1/PROBE_GAIN of its bytes the file is
 * compressed already (gzip, PNG) and the frame stays. A higher level's search
 * would find little more at many times the time: on the doc tree of
 * bench/build.sh, level 19 took 0.47 s a MB on its .pdf.gz files and saved
 * 0.04% of them, and saved 0.35% on the PNG files that this probe passes
 * (docs/BENCH.md, "Build").
 */
#define PROBE_LEVEL 5
#define PROBE_GAIN 128

/* The content frame of a file of n bytes at src: at level, unless the
 * probe finds it compressed already. With the dictionary cd unless it is
 * NULL, and for the probe probe_cd, the same dictionary made for
 * PROBE_LEVEL (dict.h says why). */
static int
file_frame(ZSTD_CCtx *cc, int level, const ZSTD_CDict *cd,
    const ZSTD_CDict *probe_cd, const char *name, const void *src, size_t n,
    unsigned char **out, size_t *out_len, char *msg)
{
	if (level <= PROBE_LEVEL)
		return compress_frame(cc, level, cd, name, src, n, out, out_len,
		    msg);
	if (compress_frame(cc, PROBE_LEVEL, probe_cd, name, src, n, out,
	    out_len, msg) < 0)
		return -1;
	if (*out_len >= n - n / PROBE_GAIN)
		return 0;
	free(*out);
	*out = NULL;
	return compress_frame(cc, level, cd, name, src, n, out, out_len, msg);
}

/* ---- output ----------------------------------------------------------- */

/* Buffered output that counts payload-relative offsets and hashes the tar
 * stream frames while hashing is on. After a failed write it writes no more
 * and keeps the error for pack_write to report. */
struct out {
	int fd;
	uint64_t off;
	int hashing;
	struct sha256 sha;
	unsigned char *buf;
	size_t len;
	int err;            /* errno of the first failed write, or 0 */
	size_t dirty;       /* bytes written since writeback was last started */
};

/* The artifact is fsynced before it is renamed into place; starting the
 * writeback as the data comes, rather than all of it in that fsync, takes
 * the disk's time off the end of the build. Only a hint: errors surface in
 * the fsync. */
#define WRITEBACK_EVERY (8u << 20)

static void
out_write(struct out *o, const void *p, size_t n)
{
	if (o->err != 0)
		return;
	if (write_all(o->fd, p, n) < 0) {
		o->err = errno;
		return;
	}
	o->dirty += n;
	if (o->dirty >= WRITEBACK_EVERY) {
		(void)sync_file_range(o->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
		o->dirty = 0;
	}
}

static void
out_flush(struct out *o)
{
	if (o->len > 0)
		out_write(o, o->buf, o->len);
	o->len = 0;
}

/* Writes a big frame straight from its buffer, OUTBUF at a time: on Linux
 * 6.x with ext4 one write(2) of 20 MB took 8 times as long as twenty of
 * 1 MB (it allocates large page cache folios). */
static void
out_direct(struct out *o, const unsigned char *p, size_t n)
{
	for (size_t k; n > 0 && o->err == 0; p += k, n -= k) {
		k = n < OUTBUF ? n : OUTBUF;
		out_write(o, p, k);
	}
}

static void
out_put(struct out *o, const void *p, size_t n)
{
	if (o->hashing)
		sha256_update(&o->sha, p, n);
	o->off += n;
	if (o->len + n > OUTBUF)
		out_flush(o);
	if (n >= OUTBUF) {
		out_direct(o, p, n);
		return;
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

/* ---- content frames --------------------------------------------------- */

/*
 * A big file's content frame is compressed as the file is read: each piece
 * is hashed and compressed from the same buffer, so the digest in the index
 * is the digest of the bytes in the frame. The frame collects in dst, which
 * is drained into the artifact whenever it fills, so that a big file is
 * never held whole in memory.
 */
struct zframe {
	ZSTD_CCtx *cc;
	const ZSTD_CDict *cd;   /* the payload's dictionary, or NULL */
	const struct asset *a;
	struct sha256 sha;
	unsigned char *dst;
	size_t len, cap;
	struct out *out;
	char *msg;            /* MSG_LEN bytes */
};

static const char *
asset_name(const struct asset *a)
{
	return a->file != NULL ? a->file : a->path;
}

static int
zframe_drain(struct zframe *z)
{
	out_put(z->out, z->dst, z->len);
	z->len = 0;
	if (z->out->err == 0)
		return 0;
	*z->msg = '\0';   /* pack_write names the output */
	return -1;
}

static int
zframe_put(struct zframe *z, const void *p, size_t n, ZSTD_EndDirective end)
{
	ZSTD_inBuffer in = { p, n, 0 };

	for (;;) {
		ZSTD_outBuffer ob;
		size_t left;

		if (z->len == z->cap && zframe_drain(z) < 0)
			return -1;
		ob.dst = z->dst;
		ob.size = z->cap;
		ob.pos = z->len;
		left = ZSTD_compressStream2(z->cc, &ob, &in, end);
		z->len = ob.pos;
		if (ZSTD_isError(left)) {
			snprintf(z->msg, MSG_LEN, "%s: zstd: %s", asset_name(z->a),
			    ZSTD_getErrorName(left));
			return -1;
		}
		if (in.pos == in.size && (end == ZSTD_e_continue || left == 0))
			return 0;
	}
}

static int
zframe_piece(void *arg, const unsigned char *p, size_t n)
{
	struct zframe *z = arg;

	sha256_update(&z->sha, p, n);
	return zframe_put(z, p, n, ZSTD_e_continue);
}

/* Reads, hashes and compresses big file a through z, whose cc, out, msg
 * and buffer the caller sets. */
static int
content_frame(struct zframe *z, int level, const struct asset *a,
    unsigned char sha[32])
{
	int rc;

	z->a = a;
	sha256_init(&z->sha);
	frame_params(z->cc, level, a->size);
	/* the frame header then holds the content size, as with one-shot
	 * compression */
	ZSTD_CCtx_setPledgedSrcSize(z->cc, a->size);
	rc = asset_read(a, zframe_piece, z, z->msg, MSG_LEN);
	if (rc == 0)
		rc = zframe_put(z, NULL, 0, ZSTD_e_end);
	sha256_final(&z->sha, sha);
	return rc;
}

/* ---- the pool --------------------------------------------------------- */

/*
 * Entries are cut into jobs: runs of consecutive entries that one thread
 * compresses in one go. Handing out one entry at a time cost a lock round
 * trip and a wake-up per entry, which for 20,000 small files took longer than
 * compressing them. A job closes once its weight reaches JOB_WEIGHT, where an
 * entry weighs its size plus ENTRY_WEIGHT for the open, stat and header frame
 * that every entry costs whatever its size.
 */
#define JOB_WEIGHT (1u << 20)
#define ENTRY_WEIGHT 4096u
/* Threads stop claiming jobs while this much input is compressed but not
 * yet written: it bounds the memory held by finished frames. */
#define WINDOW_BYTES (64u << 20)
/* A file this big would fill the window alone: it is a job of its own that
 * the writing thread does itself, its frame going straight to the output,
 * while the pool goes on with the entries after it. */
#define STREAM_MIN ((uint64_t)WINDOW_BYTES)

struct task {
	unsigned char *hdr, *frame;
	size_t hdr_len, frame_len;
	unsigned char sha[32];
	size_t same;         /* 1 + the entry compressing this content when
	                      * that is another one, else 0 */
};

/* Contents by digest and size: a table of 1 + entry number, open
 * addressing on the SHA-256 of each entry's task, at most half full. */
struct ctable {
	size_t *v;
	size_t mask;
};

struct job {
	size_t first, end;   /* entries [first, end) */
	uint64_t bytes;      /* their input size */
	int big;             /* one file of STREAM_MIN bytes or more */
	int done;
	int failed;          /* entry failed_at failed, for the reason in msg */
	size_t failed_at;
	char msg[MSG_LEN];
};

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	const struct asset_list *l;
	const struct dict *dict;
	struct task *t;
	struct job *j;
	size_t n_jobs;
	size_t next;         /* the next job to claim */
	uint64_t in_flight;  /* input bytes claimed and not yet written */
	struct ctable claimed;   /* the contents a thread compresses */
	int level;
	int stop;
};

static void
ctable_init(struct ctable *c, size_t n)
{
	size_t cap = 16;

	while (cap < 2 * n)
		cap *= 2;
	c->v = xcalloc(cap, sizeof(*c->v));
	c->mask = cap - 1;
}

static size_t
slot_of(const struct ctable *c, const unsigned char sha[32])
{
	return (size_t)fp_le64(sha) & c->mask;
}

/* The entry in c whose content is that of digest sha and size size, as 1 +
 * its number, or 0. */
static size_t
ctable_find(const struct ctable *c, const struct asset_list *l,
    const struct task *t, const unsigned char sha[32], uint64_t size)
{
	for (size_t k = slot_of(c, sha); c->v[k] != 0; k = (k + 1) & c->mask) {
		size_t j = c->v[k] - 1;

		if (l->v[j].size == size && memcmp(t[j].sha, sha, 32) == 0)
			return j + 1;
	}
	return 0;
}

static void
ctable_add(struct ctable *c, const struct task *t, size_t i)
{
	size_t k = slot_of(c, t[i].sha);

	while (c->v[k] != 0)
		k = (k + 1) & c->mask;
	c->v[k] = i + 1;
}

static int
is_big(const struct asset *a)
{
	return a->type == FP_TYPE_FILE && a->size >= STREAM_MIN;
}

static size_t
make_jobs(const struct asset_list *l, struct job **out)
{
	struct job *j = xcalloc(l->n ? l->n : 1, sizeof(*j));
	size_t n = 0;
	uint64_t weight = 0;   /* 0: no job open */

	for (size_t i = 0; i < l->n; i++) {
		if (is_big(&l->v[i]) && weight > 0) {
			j[n++].end = i;
			weight = 0;
		}
		if (weight == 0)
			j[n].first = i;
		if (is_big(&l->v[i])) {
			j[n].big = 1;
			j[n++].end = i + 1;
			continue;
		}
		j[n].bytes += l->v[i].size;
		weight += l->v[i].size + ENTRY_WEIGHT;
		if (weight >= JOB_WEIGHT || i + 1 == l->n) {
			j[n++].end = i + 1;
			weight = 0;
		}
	}
	*out = j;
	return n;
}

/* Entry i's header frame into t, the entry before it of tar size
 * prev_size, as a hard link to link unless that is NULL. */
static int
header_frame(ZSTD_CCtx *cc, int level, const struct asset_list *l, size_t i,
    uint64_t prev_size, const char *link, struct task *t, char *msg)
{
	struct buf hdr = { 0 };
	int rc;

	if (cc == NULL) {
		snprintf(msg, MSG_LEN, "out of memory");
		return -1;
	}
	tar_header(&hdr, l, i, prev_size, link);
	rc = compress_frame(cc, level, NULL, l->v[i].path, hdr.p, hdr.len,
	    &t->hdr, &t->hdr_len, msg);
	free(hdr.p);
	return rc;
}

/* Whether entry i is the first to claim its content, hashed into its task:
 * 0 if so, else 1 + the entry that claimed it. */
static size_t
claim(struct pool *p, size_t i)
{
	size_t k;

	pthread_mutex_lock(&p->mu);
	k = ctable_find(&p->claimed, p->l, p->t, p->t[i].sha, p->l->v[i].size);
	if (k == 0)
		ctable_add(&p->claimed, p->t, i);
	pthread_mutex_unlock(&p->mu);
	return k;
}

/* Compresses entry i into its task: its header frame and, for a file, its
 * digest and, unless another entry claimed the same content first, its
 * content frame, held in memory. */
static int
do_task(struct pool *p, ZSTD_CCtx *cc, size_t i, char *msg)
{
	const struct asset *a = &p->l->v[i];
	struct task *t = &p->t[i];
	const unsigned char *data;
	unsigned char *own;
	int rc = 0;

	/* as if no entry were a copy: the writer makes this frame again
	 * when that is not so (write_entry) */
	if (header_frame(cc, p->level, p->l, i,
	    i > 0 ? p->l->v[i - 1].size : 0, NULL, t, msg) < 0)
		return -1;
	if (a->type != FP_TYPE_FILE)
		return 0;
	if (asset_load(a, &data, &own, msg, MSG_LEN) < 0)
		return -1;
	sha256(data, (size_t)a->size, t->sha);
	if (a->size > 0 && (t->same = claim(p, i)) == 0) {
		int with = dict_uses(p->dict, a);

		rc = file_frame(cc, p->level, with ? p->dict->cd : NULL,
		    with ? p->dict->probe_cd : NULL, asset_name(a), data,
		    (size_t)a->size, &t->frame, &t->frame_len, msg);
	}
	free(own);
	return rc;
}

/* Whether a thread may claim the next job, once past the jobs the writer
 * does itself. Called locked. The oldest unwritten job is always claimable,
 * so the writer never waits forever. */
static int
next_claimable(struct pool *p)
{
	while (p->next < p->n_jobs && p->j[p->next].big)
		p->next++;
	return p->next < p->n_jobs && p->in_flight < WINDOW_BYTES;
}

static void *
worker(void *arg)
{
	struct pool *p = arg;
	/* NULL (out of memory) fails the first entry it is given */
	ZSTD_CCtx *cc = ZSTD_createCCtx();

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct job *j;

		while (!p->stop && !next_claimable(p))
			pthread_cond_wait(&p->work, &p->mu);
		if (p->stop)
			break;
		j = &p->j[p->next++];
		p->in_flight += j->bytes;
		pthread_mutex_unlock(&p->mu);
		for (size_t i = j->first; i < j->end; i++)
			if (do_task(p, cc, i, j->msg) < 0) {
				j->failed = 1;   /* the writer stops there */
				j->failed_at = i;
				break;
			}
		pthread_mutex_lock(&p->mu);
		j->done = 1;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	ZSTD_freeCCtx(cc);
	return NULL;
}

static void
wait_done(struct pool *p, const struct job *j)
{
	pthread_mutex_lock(&p->mu);
	while (!j->done)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

static void
mark_written(struct pool *p, const struct job *j)
{
	pthread_mutex_lock(&p->mu);
	p->in_flight -= j->bytes;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
}

static void
pool_stop(struct pool *p, pthread_t *th, int n)
{
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (int k = 0; k < n; k++)
		pthread_join(th[k], NULL);
}

/* ---- the tar stream --------------------------------------------------- */

/* Where each entry's content frame went. */
struct placed {
	uint64_t off, len;
	unsigned char sha[32];
	size_t copy_of;        /* a later copy: 1 + the entry holding the frame */
};

/* The writing thread's own compressor (big files, header frames made
 * again), and the contents whose frame it has written. */
struct writer {
	ZSTD_CCtx *cc;
	unsigned char *buf;
	size_t cap;
	int level;
	struct ctable stored;
};

/* The size entry i has in the tar stream: 0 for a hard link. */
static uint64_t
tar_size(const struct asset_list *l, const struct placed *pl, size_t i)
{
	return pl[i].copy_of != 0 ? 0 : l->v[i].size;
}

/* The job holding entry i. */
static const struct job *
job_of(const struct pool *p, size_t i)
{
	size_t lo = 0, hi = p->n_jobs;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->j[mid].first <= i)
			lo = mid;
		else
			hi = mid;
	}
	return &p->j[lo];
}

/* Gives entry i the frame of the later entry that compressed its content,
 * once that entry's job is done: i is the content's first entry, and the
 * frame is the same whoever made it. */
static int
take_frame(struct pool *p, size_t i)
{
	size_t k = p->t[i].same - 1;
	const struct job *j = job_of(p, k);

	wait_done(p, j);
	if (j->failed && j->failed_at <= k) {
		warnx("%s", j->msg);
		return -1;
	}
	p->t[i].frame = p->t[k].frame;
	p->t[i].frame_len = p->t[k].frame_len;
	p->t[k].frame = NULL;
	p->t[k].frame_len = 0;
	return 0;
}

/* Writes entry i, which the pool compressed. A content already stored is
 * not stored again: the entry shares the first copy's frame and is a hard
 * link to it in the tar stream. Its header frame, and the next one whose
 * padding depended on its size, are then made again here. */
static int
write_entry(struct out *o, struct writer *w, struct pool *p, size_t i,
    struct placed *pl)
{
	const struct asset_list *l = p->l;
	struct task *t = &p->t[i];
	const char *link = NULL;
	char msg[MSG_LEN];
	size_t first = 0;

	if (l->v[i].type == FP_TYPE_FILE && l->v[i].size > 0)
		first = ctable_find(&w->stored, l, p->t, t->sha, l->v[i].size);
	if (first != 0) {
		pl[i] = pl[first - 1];
		pl[i].copy_of = first;
		link = l->v[first - 1].path;
	} else if (t->same != 0 && take_frame(p, i) < 0) {
		return -1;
	}
	if (link != NULL || (i > 0 && pl[i - 1].copy_of != 0 &&
	    tar_padding(l->v[i - 1].size) != 0)) {
		free(t->hdr);
		t->hdr = NULL;
		if (header_frame(w->cc, w->level, l, i, tar_size(l, pl, i - 1),
		    link, t, msg) < 0) {
			warnx("%s", msg);
			return -1;
		}
	}
	out_put(o, t->hdr, t->hdr_len);
	if (first == 0) {
		memcpy(pl[i].sha, t->sha, 32);
		if (t->frame_len > 0) {
			pl[i].off = o->off;
			pl[i].len = t->frame_len;
			out_put(o, t->frame, t->frame_len);
			ctable_add(&w->stored, p->t, i);
		}
	}
	free(t->hdr);
	free(t->frame);
	t->hdr = t->frame = NULL;
	return 0;
}

/* Writes big file i, compressing it here, straight into the output. */
static int
write_big(struct out *o, struct writer *w, const struct asset_list *l,
    size_t i, struct placed *pl)
{
	struct zframe z = { .out = o };
	struct task t = { 0 };
	char msg[MSG_LEN];
	int rc;

	if (w->buf == NULL) {
		w->cap = ZSTD_CStreamOutSize();
		w->buf = xmalloc(w->cap);
	}
	if (header_frame(w->cc, w->level, l, i,
	    i > 0 ? tar_size(l, pl, i - 1) : 0, NULL, &t, msg) < 0) {
		warnx("%s", msg);
		return -1;
	}
	out_put(o, t.hdr, t.hdr_len);
	free(t.hdr);
	z.cc = w->cc;
	z.dst = w->buf;
	z.cap = w->cap;
	z.msg = msg;
	pl[i].off = o->off;
	rc = content_frame(&z, w->level, &l->v[i], pl[i].sha);
	out_put(o, z.dst, z.len);
	pl[i].len = o->off - pl[i].off;
	if (rc < 0 && *msg != '\0')
		warnx("%s", msg);
	return rc;
}

static int
write_end_frame(struct out *o, const struct asset_list *l,
    const struct placed *pl, int level)
{
	struct buf b = { 0 };
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	unsigned char *f;
	size_t flen;
	char msg[MSG_LEN];
	int rc;

	if (cc == NULL) {
		warnx("out of memory");
		return -1;
	}
	if (l->n > 0)
		buf_zero(&b, tar_padding(tar_size(l, pl, l->n - 1)));
	buf_zero(&b, 2 * TAR_BLOCK);
	rc = compress_frame(cc, level, NULL, "end of archive", b.p, b.len, &f,
	    &flen, msg);
	if (rc == 0) {
		out_put(o, f, flen);
		free(f);
	} else {
		warnx("%s", msg);
	}
	free(b.p);
	ZSTD_freeCCtx(cc);
	return rc;
}

static int
jobs_of(const struct pack_opts *po)
{
	long n = po->jobs > 0 ? po->jobs : sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

static void
writer_start(struct writer *w, const struct asset_list *l)
{
	ctable_init(&w->stored, l->n);
	w->cc = ZSTD_createCCtx();
}

/* Writes the entries of job j, which the pool compressed. */
static int
write_job(struct out *o, struct writer *w, struct pool *p,
    const struct job *j, struct placed *pl)
{
	wait_done(p, j);
	for (size_t i = j->first; i < j->end; i++) {
		if (j->failed && i == j->failed_at) {
			warnx("%s", j->msg);
			return -1;
		}
		if (write_entry(o, w, p, i, pl) < 0)
			return -1;
	}
	return 0;
}

static void
pool_start(struct pool *p, const struct asset_list *l, int level,
    const struct dict *d)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	p->l = l;
	p->dict = d;
	p->t = xcalloc(l->n ? l->n : 1, sizeof(*p->t));
	p->level = level;
	p->n_jobs = make_jobs(l, &p->j);
	ctable_init(&p->claimed, l->n);
}

static void
pool_free(struct pool *p)
{
	for (size_t i = 0; i < p->l->n; i++) {
		free(p->t[i].hdr);
		free(p->t[i].frame);
	}
	free(p->t);
	free(p->j);
	free(p->claimed.v);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->mu);
}

/* The dictionary frame (FORMAT.md 4.3), the payload's first. */
static void
write_dict_frame(struct out *o, const struct dict *d)
{
	unsigned char h[8];

	fp_put_le32(h, FP_DICT_MAGIC);
	fp_put_le32(h + 4, (uint32_t)d->len);
	out_put(o, h, sizeof(h));
	out_put(o, d->data, d->len);
}

/* Compresses and writes the tar stream frames, after the dictionary frame
 * when there is a dictionary, filling pl. */
static int
write_stream(struct out *o, const struct asset_list *l,
    const struct pack_opts *po, const struct dict *d, struct placed *pl)
{
	struct pool p;
	struct writer w = { .level = po->level };
	uint64_t files = 0, bytes = 0;
	int n = jobs_of(po), started = 0, rc = 0;
	pthread_t *th = xcalloc((size_t)n, sizeof(*th));

	if (d->cd != NULL)
		write_dict_frame(o, d);
	writer_start(&w, l);
	pool_start(&p, l, po->level, d);
	for (; started < n; started++)
		if (pthread_create(&th[started], NULL, worker, &p) != 0)
			break;
	if (started == 0 || w.cc == NULL) {
		warnx(w.cc == NULL ? "out of memory" :
		    "cannot start compression threads");
		rc = -1;
	}
	for (size_t k = 0; k < p.n_jobs && rc == 0; k++) {
		const struct job *j = &p.j[k];

		if (j->big)
			rc = write_big(o, &w, l, j->first, pl);
		else
			rc = write_job(o, &w, &p, j, pl);
		mark_written(&p, j);
		if (o->err != 0)
			rc = -1;   /* pack_write says why */
		for (size_t i = j->first; i < j->end && rc == 0; i++) {
			if (l->v[i].type == FP_TYPE_FILE) {
				files++;
				bytes += l->v[i].size;
			}
			if (po->progress != NULL)
				po->progress(po->progress_arg, files, bytes);
		}
	}
	pool_stop(&p, th, started);
	pool_free(&p);
	free(th);
	ZSTD_freeCCtx(w.cc);
	free(w.buf);
	free(w.stored.v);
	if (rc == 0)
		rc = write_end_frame(o, l, pl, po->level);
	return rc;
}

/* ---- index and trailer ------------------------------------------------ */

struct strtab {
	struct buf b;
	const char *mime[64];     /* MIME types already stored, by pointer */
	uint32_t mime_off[64];
	size_t n_mime;
};

static uint32_t
strtab_add(struct strtab *s, const char *str, size_t len)
{
	uint32_t off = (uint32_t)s->b.len;

	buf_put(&s->b, str, len);
	return off;
}

/* MIME types repeat: each distinct one is stored once. */
static uint32_t
strtab_mime(struct strtab *s, const char *mime)
{
	uint32_t off;

	for (size_t i = 0; i < s->n_mime; i++)
		if (s->mime[i] == mime || strcmp(s->mime[i], mime) == 0)
			return s->mime_off[i];
	off = strtab_add(s, mime, strlen(mime));
	if (s->n_mime < 64) {
		s->mime[s->n_mime] = mime;
		s->mime_off[s->n_mime++] = off;
	}
	return off;
}

static void
meta_line(struct buf *b, const char *key, const char *value)
{
	if (value == NULL)
		return;
	buf_put(b, key, strlen(key));
	buf_put(b, "=", 1);
	buf_put(b, value, strlen(value));
	buf_put(b, "\n", 1);
}

/* Keys in bytewise order, as FORMAT.md requires. Every value is checked
 * against the reader's rule before any is written: the options were checked
 * as they were read, this is the last line of defence. */
static int
build_meta(struct buf *b, const struct pack_meta *m, uint64_t files,
    const char *payload_hex, const char *dict_hex)
{
	char count[32], bt[32], esc[128];
	const struct { const char *key, *value; } kv[] = {
		{ "asset_count", count },
		{ "build_time", bt },
		{ FP_META_DICT_SHA, dict_hex },
		{ "fatpack_version", FATPACK_VERSION },
		{ "jail", m->jail },
		{ "mount", m->mount },
		{ "mount.override", m->mount != NULL ? m->override : NULL },
		{ "name", m->name },
		{ "payload_sha256", payload_hex },
		{ "revision", m->revision },
		{ "serve.cache_control", m->cache_control },
		{ "serve.identity_cache", m->identity_cache },
		{ "serve.listen", m->listen },
		{ "serve.spa_fallback", m->spa_fallback },
		{ FP_META_SIGKEY, m->sigkey },
		{ "version", m->version },
	};
	const size_t n = sizeof(kv) / sizeof(kv[0]);
	const char *why;

	snprintf(count, sizeof(count), "%" PRIu64, files);
	snprintf(bt, sizeof(bt), "%" PRId64, m->build_time);
	for (size_t i = 0; i < n; i++)
		if (kv[i].value != NULL && (why = fp_check_meta_value(kv[i].value,
		    strlen(kv[i].value))) != NULL) {
			warnx("metadata %s '%s': %s", kv[i].key, fp_escape(kv[i].value,
			    strlen(kv[i].value), esc, sizeof(esc)), why);
			return -1;
		}
	for (size_t i = 0; i < n; i++)
		meta_line(b, kv[i].key, kv[i].value);
	return 0;
}

static void
put_entry(unsigned char *e, const struct asset *a, const struct placed *pl,
    struct strtab *s)
{
	size_t plen = strlen(a->path);

	memset(e, 0, FP_ENTRY_SIZE);
	fp_put_le64(e + FP_E_FRAME_OFF, pl->off);
	fp_put_le64(e + FP_E_FRAME_SIZE, pl->len);
	fp_put_le64(e + FP_E_SIZE, a->size);
	fp_put_le64(e + FP_E_MTIME, (uint64_t)a->mtime);
	fp_put_le32(e + FP_E_PATH_OFF, strtab_add(s, a->path, plen));
	fp_put_le32(e + FP_E_PATH_LEN, (uint32_t)plen);
	if (a->type == FP_TYPE_FILE) {
		const char *mime = mime_type(a->path);

		fp_put_le32(e + FP_E_MIME_OFF, strtab_mime(s, mime));
		fp_put_le32(e + FP_E_MIME_LEN, (uint32_t)strlen(mime));
		memcpy(e + FP_E_SHA, pl->sha, 32);
	}
	fp_put_le32(e + FP_E_MODE, a->mode);
	e[FP_E_TYPE] = (unsigned char)a->type;
}

/* The index frame, header included, into b. */
static int
build_index(struct buf *b, const struct asset_list *l,
    const struct placed *pl, const struct pack_meta *m, uint64_t files,
    const char *payload_hex, const struct dict *d)
{
	char dict_hex[65];
	struct strtab s;
	struct buf meta = { 0 };
	unsigned char hdr[8 + FP_INDEX_HEADER];
	size_t ents = l->n * FP_ENTRY_SIZE;
	uint64_t data;
	unsigned char *e = xcalloc(l->n ? l->n : 1, FP_ENTRY_SIZE);

	memset(&s, 0, sizeof(s));
	for (size_t i = 0; i < l->n; i++)
		put_entry(e + i * FP_ENTRY_SIZE, &l->v[i], &pl[i], &s);
	if (d->cd != NULL) {
		unsigned char sum[32];

		sha256(d->data, d->len, sum);
		sha256_hex(sum, dict_hex);
	}
	if (build_meta(&meta, m, files, payload_hex,
	    d->cd != NULL ? dict_hex : NULL) < 0) {
		free(e);
		free(s.b.p);
		free(meta.p);
		return -1;
	}
	data = FP_INDEX_HEADER + (uint64_t)ents + s.b.len + meta.len;
	if (data > UINT32_MAX || l->n > UINT32_MAX) {
		warnx("the index would exceed 4 GiB: too many assets");
		free(e);
		free(s.b.p);
		free(meta.p);
		return -1;
	}
	memset(hdr, 0, sizeof(hdr));
	fp_put_le32(hdr, FP_INDEX_MAGIC);
	fp_put_le32(hdr + 4, (uint32_t)data);
	memcpy(hdr + 8, FP_INDEX_SIG, 8);
	fp_put_le32(hdr + 8 + FP_I_COUNT, (uint32_t)l->n);
	fp_put_le32(hdr + 8 + FP_I_ENTRY_SIZE, FP_ENTRY_SIZE);
	fp_put_le32(hdr + 8 + FP_I_STRTAB, (uint32_t)s.b.len);
	fp_put_le32(hdr + 8 + FP_I_META, (uint32_t)meta.len);
	buf_put(b, hdr, sizeof(hdr));
	buf_put(b, e, ents);
	buf_put(b, s.b.p, s.b.len);
	buf_put(b, meta.p, meta.len);
	/* the checks a lazy reader opens with instead of hashing it all */
	fp_index_seal(b->p + b->len - data, (size_t)data);
	free(e);
	free(s.b.p);
	free(meta.p);
	return 0;
}

static void
build_trailer(unsigned char t[FP_TRAILER_SIZE], uint64_t payload_offset,
    uint64_t index_offset, const unsigned char *index, size_t index_size,
    uint32_t flags)
{
	unsigned char d[32];

	memset(t, 0, FP_TRAILER_SIZE);
	fp_put_le32(t, FP_TRAILER_MAGIC);
	fp_put_le32(t + 4, FP_TRAILER_DATA);
	memcpy(t + FP_T_SIG, FP_TRAILER_SIG, 8);
	fp_put_le16(t + FP_T_MAJOR, FP_VERSION_MAJOR);
	fp_put_le16(t + FP_T_MINOR, FP_VERSION_MINOR);
	fp_put_le32(t + FP_T_FLAGS, flags);
	fp_put_le64(t + FP_T_PAYLOAD_OFF, payload_offset);
	fp_put_le64(t + FP_T_PAYLOAD_SIZE, index_offset + index_size +
	    (flags & FP_FLAG_SIGNED ? FP_SIG_FRAME : 0));
	fp_put_le64(t + FP_T_INDEX_OFF, index_offset);
	fp_put_le64(t + FP_T_INDEX_SIZE, index_size);
	sha256(index + 8, index_size - 8, t + FP_T_INDEX_SHA);
	sha256(t, FP_T_CHECK, d);
	memcpy(t + FP_T_CHECK, d, 8);
}

int
pack_write(int fd, uint64_t payload_offset, const struct asset_list *l,
    const struct pack_meta *m, const struct pack_opts *po,
    struct pack_stats *st)
{
	struct out o = { .fd = fd, .hashing = 1, .buf = xmalloc(OUTBUF) };
	struct placed *pl = xcalloc(l->n ? l->n : 1, sizeof(*pl));
	struct buf index = { 0 };
	struct dict d = { 0 };
	unsigned char digest[32], trailer[FP_TRAILER_SIZE], sig[FP_SIG_FRAME];
	char hex[65];
	uint64_t files = 0, index_offset;
	uint32_t flags = 0;       /* no FP_FLAG_ZINDEX: the index is stored as it
	                           * is read, for a runtime to use in place
	                           * (FORMAT.md 4) */
	int rc;

	sha256_init(&o.sha);
	for (size_t i = 0; i < l->n; i++)
		files += l->v[i].type == FP_TYPE_FILE;
	rc = po->dict ? dict_plan(l, po->level, PROBE_LEVEL, &d) : 0;
	if (rc == 0)
		rc = write_stream(&o, l, po, &d, pl);
	if (rc == 0) {
		o.hashing = 0;
		sha256_final(&o.sha, digest);
		sha256_hex(digest, hex);
		index_offset = o.off;
		rc = build_index(&index, l, pl, m, files, hex, &d);
	}
	if (rc == 0) {
		if (po->key != NULL)
			flags |= FP_FLAG_SIGNED;
		if (d.cd != NULL)
			flags |= FP_FLAG_DICT;
		out_put(&o, index.p, index.len);
		build_trailer(trailer, payload_offset, index_offset, index.p,
		    index.len, flags);
		if (po->key != NULL &&
		    (rc = sign_frame(fd, payload_offset, trailer, po->key, sig)) == 0)
			out_put(&o, sig, sizeof(sig));
	}
	if (rc == 0) {
		out_put(&o, trailer, sizeof(trailer));
		out_flush(&o);
	}
	if (o.err != 0) {
		warnx("%s: %s", po->name, strerror(o.err));
		rc = -1;
	}
	if (rc == 0 && st != NULL) {
		st->files = files;
		st->in_bytes = l->total;
		st->out_bytes = o.off;
		memcpy(st->payload_sha256, hex, sizeof(hex));
	}
	dict_free(&d);
	free(index.p);
	free(pl);
	free(o.buf);
	return rc;
}
