/*
 * dict.c - the payload's zstd dictionary (docs/FORMAT.md 4.3).
 *
 * Small files that share their boilerplate (HTML pages with the same head
 * and navigation) compress badly one frame each: the shared bytes are paid
 * in every frame. A dictionary trained on a sample of them, stored once,
 * takes that cost away (measured for issue 9 with zstd --train: the doc
 * tree's 1,097 HTML pages, 3.05 MB one frame each at level 3, 2.20 MB with
 * a 110 KB dictionary, the dictionary included). Files that are compressed
 * already (PNG, fonts, archives) gain nothing from it and only slow the
 * training, so they are left out; and a dictionary is kept only when it
 * saves, on the sample, clearly more than it costs. Everything here is
 * decided from the files' names, sizes and contents, so the same inputs
 * give the same dictionary.
 */
#include <err.h>
#include <stdlib.h>
#include <string.h>

/* ZDICT_trainFromBuffer_fastCover: training with fixed parameters */
#define ZDICT_STATIC_LINKING_ONLY
#include <zdict.h>

#include "dict.h"
#include "format/format.h"
#include "mime.h"
#include "util.h"

/* Files from 64 bytes (less is mostly frame header) to 128 KiB (bigger
 * files find their repeats in themselves) use the dictionary. */
#define DICT_FILE_MIN 64u
#define DICT_FILE_MAX (128u << 10)
/* Every SAMPLE_EVERY-th of them is the sample, as in that measurement. */
#define SAMPLE_EVERY 4u
/* Training takes time in proportion to the sample: a quarter of the doc
 * tree's small files, 28 MB, added 1.7 s to a 1.4 s build. With 4 MiB the
 * training and the probe took 0.12-0.17 s of a 0.9 s build, with 2 MiB
 * 0.07-0.12 s, and the payload came out 15 kB smaller (docs/BENCH.md,
 * "Build"). */
#define SAMPLE_MAX (2u << 20)
/* zstd --train's default size, and the least worth storing. */
#define DICT_MAX (110u << 10)
#define DICT_MIN (4u << 10)
/* ZDICT wants about ten times the dictionary's size in samples; fewer
 * files than this share too little to pay for the dictionary frame. */
#define SAMPLE_RATIO 10u
#define FILES_MIN 32u
#define DICT_K 200u
/* The dictionary is kept when it saves, over all the files that would use
 * it (estimated from the probe), at least KEEP_RATIO times its own size:
 * less is within what a different sample would change, and not worth the
 * time it adds to the build and to a first decode. */
#define KEEP_RATIO 2u
/* The dictionary's entropy tables are made, and the probe compressed with
 * and without it, at the build's level or this one when the build's is
 * higher: at level 19 each would take seconds (training took 7.9 s on the
 * doc tree, 0.3 s at level 3), and the dictionary's gain is much the
 * same. */
#define FAST_LEVEL 3

/* Media types whose usual content is compressed already: a dictionary does
 * not find repeats in it. */
static const char *const packed_prefix[] = { "image/", "audio/", "video/" };
static const char *const packed_type[] = {
	"application/gzip", "application/pdf", "application/vnd.ms-fontobject",
	"application/x-7z-compressed", "application/x-bzip2",
	"application/x-xz", "application/zip", "application/zstd",
	"font/woff", "font/woff2",
};
/* images that are not compressed: SVG is text, BMP raw pixels */
static const char *const text_image[] = { "image/svg+xml", "image/bmp" };

static int
in_list(const char *const *v, size_t n, const char *type)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], type) == 0)
			return 1;
	return 0;
}

static int
packed(const char *path)
{
	const char *type = mime_type(path);

	if (in_list(text_image, sizeof(text_image) / sizeof(*text_image), type))
		return 0;
	for (size_t i = 0; i < sizeof(packed_prefix) / sizeof(*packed_prefix);
	    i++)
		if (strncmp(type, packed_prefix[i], strlen(packed_prefix[i])) == 0)
			return 1;
	return in_list(packed_type, sizeof(packed_type) / sizeof(*packed_type),
	    type);
}

/* The one statement of which files the dictionary is for: the training
 * (small_file) and the frames (dict_uses) must agree on it. */
static int
in_dict_range(const struct asset *a)
{
	return a->type == FP_TYPE_FILE && a->size >= DICT_FILE_MIN &&
	    a->size <= DICT_FILE_MAX;
}

static int
small_file(const struct asset *a)
{
	return in_dict_range(a) && !packed(a->path);
}

/* By size, not type: a content's frame is made for whichever of its copies
 * a thread claims first (pack.c), and copies may have names of different
 * types; the bytes must not depend on which. A compressed file in the size
 * range costs the frame its dictionary ID, 4 bytes. */
int
dict_uses(const struct dict *d, const struct asset *a)
{
	return d->cd != NULL && in_dict_range(a);
}

/* Some of the small files, read into one buffer one after another. */
struct sample {
	unsigned char *buf;
	size_t len, cap;
	const struct asset *a;   /* the file being read */
	size_t *sizes;
	unsigned n;
};

static int
sample_piece(void *arg, const unsigned char *p, size_t n)
{
	struct sample *s = arg;

	if (n > s->cap - s->len) {
		warnx("%s: changed while building",
		    s->a->file != NULL ? s->a->file : s->a->path);
		return -1;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	return 0;
}

/* The stride-th small files in index order, from the first-th on. */
static int
read_sample(const struct asset_list *l, uint64_t stride, uint64_t first,
    struct sample *s)
{
	uint64_t seen = 0;
	char msg[512];

	for (size_t i = 0; i < l->n; i++)
		if (small_file(&l->v[i]) && seen++ % stride == first) {
			s->cap += l->v[i].size;
			s->n++;
		}
	s->buf = xmalloc(s->cap ? s->cap : 1);
	s->sizes = xcalloc(s->n ? s->n : 1, sizeof(*s->sizes));
	s->n = 0;
	seen = 0;
	for (size_t i = 0; i < l->n; i++) {
		size_t before = s->len;

		if (!small_file(&l->v[i]) || seen++ % stride != first)
			continue;
		s->a = &l->v[i];
		*msg = '\0';
		if (asset_read(s->a, sample_piece, s, msg, sizeof(msg)) < 0) {
			if (*msg != '\0')
				warnx("%s", msg);
			return -1;
		}
		s->sizes[s->n++] = s->len - before;
	}
	return 0;
}

static void
sample_free(struct sample *s)
{
	free(s->buf);
	free(s->sizes);
}

/* fastCover with fixed parameters (segments of DICT_K bytes, 8-byte
 * d-mers) rather than ZDICT_trainFromBuffer's search over them: on the
 * doc tree the search added 4.4 s to the build instead of 1.7 s, for a
 * payload 0.01% smaller. COVER (zstd --train) makes better dictionaries
 * when a few files repeat themselves many times, since it counts in how
 * many files a d-mer is where fastCover counts every repeat, but it took
 * 1.5 s more on the doc tree's HTML pages; such a dictionary is refused
 * by pays() instead. */
static size_t
train(unsigned char *buf, size_t cap, const struct sample *s, int level)
{
	ZDICT_fastCover_params_t p;

	memset(&p, 0, sizeof(p));
	p.k = DICT_K;
	p.d = 8;
	p.zParams.compressionLevel = level;
	return ZDICT_trainFromBuffer_fastCover(buf, cap, s->buf, s->sizes, s->n,
	    p);
}

/* The bytes of the sample's files compressed one frame each, with cd when
 * it is not NULL. */
static uint64_t
sample_packed(ZSTD_CCtx *cc, const ZSTD_CDict *cd, int level,
    const struct sample *s, unsigned char *dst, size_t cap)
{
	const unsigned char *p = s->buf;
	uint64_t total = 0;
	size_t r;

	for (unsigned i = 0; i < s->n; p += s->sizes[i++]) {
		r = cd != NULL ?
		    ZSTD_compress_usingCDict(cc, dst, cap, p, s->sizes[i], cd) :
		    ZSTD_compressCCtx(cc, dst, cap, p, s->sizes[i], level);
		total += ZSTD_isError(r) ? s->sizes[i] : r;
	}
	return total;
}

/* A zstd object just made, or an exit as xmalloc's: a build that went on
 * without the dictionary would write other bytes for the same inputs. */
static void *
zstd_object(void *p)
{
	if (p == NULL)
		errx(1, "out of memory");
	return p;
}

/* Whether d saves KEEP_RATIO times its size over the small files, which
 * hold bytes bytes, estimated from what it saves on probe at level lv:
 * files it was not trained on, since on its own sample it finds its own
 * bytes. */
static int
pays(const struct dict *d, const struct sample *probe, uint64_t bytes,
    int lv)
{
	ZSTD_CCtx *cc = zstd_object(ZSTD_createCCtx());
	ZSTD_CDict *cd = zstd_object(ZSTD_createCDict(d->data, d->len, lv));
	size_t cap = ZSTD_compressBound(DICT_FILE_MAX);
	unsigned char *dst = xmalloc(cap);
	uint64_t without, with;

	without = sample_packed(cc, NULL, lv, probe, dst, cap);
	with = sample_packed(cc, cd, lv, probe, dst, cap);
	free(dst);
	ZSTD_freeCDict(cd);
	ZSTD_freeCCtx(cc);
	/* (without - with) / probe->len of the bytes; the probe is a few
	 * MiB, so this overflows only past terabytes of small files */
	return with < without && (without - with) * bytes >=
	    (uint64_t)KEEP_RATIO * (d->len + 8) * probe->len;
}

/* Trains d on the sample, and keeps it when it pays on the probe. */
static void
make_dict(const struct sample *sample, const struct sample *probe,
    uint64_t bytes, int level, int probe_level, struct dict *d)
{
	int fast = level < FAST_LEVEL ? level : FAST_LEVEL;
	size_t cap, r;

	cap = sample->len / SAMPLE_RATIO < DICT_MAX ?
	    sample->len / SAMPLE_RATIO : DICT_MAX;
	if (cap < DICT_MIN)
		return;
	d->data = xmalloc(cap);
	r = train(d->data, cap, sample, fast);
	if (!ZDICT_isError(r) && (d->id = ZDICT_getDictID(d->data, r)) != 0) {
		d->len = r;
		if (pays(d, probe, bytes, fast))
			d->cd = zstd_object(ZSTD_createCDict(d->data, d->len,
			    level));
		if (d->cd != NULL && level > probe_level)
			d->probe_cd = zstd_object(ZSTD_createCDict(d->data,
			    d->len, probe_level));
	}
	if (d->cd == NULL)   /* training failed or no gain: none */
		dict_free(d);
}

/*
 * The sample is every stride-th small file in index order: at least every
 * SAMPLE_EVERY-th, fewer when they would add up to more than SAMPLE_MAX.
 * The probe is as many files, each halfway between two of the sample's.
 */
int
dict_plan(const struct asset_list *l, int level, int probe_level,
    struct dict *d)
{
	struct sample sample = { 0 }, probe = { 0 };
	uint64_t files = 0, bytes = 0, stride;
	int rc;

	memset(d, 0, sizeof(*d));
	for (size_t i = 0; i < l->n; i++)
		if (small_file(&l->v[i])) {
			files++;
			bytes += l->v[i].size;
		}
	if (files < FILES_MIN)
		return 0;
	stride = bytes / SAMPLE_MAX + 1 > SAMPLE_EVERY ?
	    bytes / SAMPLE_MAX + 1 : SAMPLE_EVERY;
	rc = read_sample(l, stride, 0, &sample);
	if (rc == 0)
		rc = read_sample(l, stride, stride / 2, &probe);
	if (rc == 0)
		make_dict(&sample, &probe, bytes, level, probe_level, d);
	sample_free(&sample);
	sample_free(&probe);
	return rc;
}

void
dict_free(struct dict *d)
{
	ZSTD_freeCDict(d->cd);
	ZSTD_freeCDict(d->probe_cd);
	free(d->data);
	memset(d, 0, sizeof(*d));
}
