/*
 * dict.c - the payload's zstd dictionary (docs/FORMAT.md 4.3).
 *
 * Small files that share their boilerplate (HTML pages with the same head
 * and navigation) compress badly one frame each: the shared bytes are paid
 * in every frame. A dictionary trained on a sample of them, stored once,
 * takes that cost away (measured for issue 9 with zstd --train: the doc
 * tree's 1,097 HTML pages, 3.05 MB one frame each at level 3, 2.20 MB with
 * a 110 KB dictionary, the dictionary included). Which files use it, the sample
 * and the dictionary's size are decided here, from the sizes alone, so the
 * same inputs give the same dictionary.
 */
#include <err.h>
#include <stdlib.h>
#include <string.h>

/* ZDICT_trainFromBuffer_fastCover: training with fixed parameters */
#define ZDICT_STATIC_LINKING_ONLY
#include <zdict.h>

#include "dict.h"
#include "format/format.h"
#include "util.h"

/* Files from 64 bytes (less is mostly frame header) to 128 KiB (bigger
 * files find their repeats in themselves) use the dictionary. */
#define DICT_FILE_MIN 64u
#define DICT_FILE_MAX (128u << 10)
/* Every SAMPLE_EVERY-th of them is the sample, as in that measurement. */
#define SAMPLE_EVERY 4u
/* Training takes time in proportion to the sample: a quarter of the doc
 * tree's small files, 28 MB, added 1.7 s to a 1.4 s build; this bound
 * keeps it to about 0.6 s (docs/BENCH.md, "Build"). */
#define SAMPLE_MAX (4u << 20)
/* zstd --train's default size, and the least worth storing. */
#define DICT_MAX (110u << 10)
#define DICT_MIN (4u << 10)
/* ZDICT wants about ten times the dictionary's size in samples; fewer
 * files than this share too little to pay for the dictionary frame. */
#define SAMPLE_RATIO 10u
#define FILES_MIN 32u
#define DICT_K 200u

static int
small_file(const struct asset *a)
{
	return a->type == FP_TYPE_FILE && a->size >= DICT_FILE_MIN &&
	    a->size <= DICT_FILE_MAX;
}

int
dict_uses(const struct dict *d, const struct asset *a)
{
	return d->cd != NULL && small_file(a);
}

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

/* Every stride-th small file, in index order: at least every
 * SAMPLE_EVERY-th, and fewer when they would add up to more than
 * SAMPLE_MAX. Returns how many small files there are. */
static size_t
read_sample(const struct asset_list *l, struct sample *s)
{
	uint64_t bytes = 0, stride;
	size_t files = 0, seen = 0;
	char msg[512];

	for (size_t i = 0; i < l->n; i++)
		if (small_file(&l->v[i])) {
			files++;
			bytes += l->v[i].size;
		}
	stride = bytes / SAMPLE_MAX + 1 > SAMPLE_EVERY ?
	    bytes / SAMPLE_MAX + 1 : SAMPLE_EVERY;
	for (size_t i = 0; i < l->n; i++)
		if (small_file(&l->v[i]) && seen++ % stride == 0)
			s->cap += l->v[i].size;
	s->buf = xmalloc(s->cap ? s->cap : 1);
	s->sizes = xcalloc(files / stride + 1, sizeof(*s->sizes));
	seen = 0;
	for (size_t i = 0; i < l->n; i++) {
		size_t before = s->len;

		if (!small_file(&l->v[i]) || seen++ % stride != 0)
			continue;
		s->a = &l->v[i];
		*msg = '\0';
		if (asset_read(s->a, sample_piece, s, msg, sizeof(msg)) < 0) {
			if (*msg != '\0')
				warnx("%s", msg);
			return SIZE_MAX;
		}
		s->sizes[s->n++] = s->len - before;
	}
	return files;
}

/* fastCover with fixed parameters (segments of DICT_K bytes, 8-byte
 * d-mers) rather than ZDICT_trainFromBuffer's search over them: on the
 * doc tree the search added 4.4 s to the build instead of 1.7 s, for a
 * payload 0.01% smaller. */
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

int
dict_plan(const struct asset_list *l, int level, struct dict *d)
{
	struct sample s = { 0 };
	size_t cap, r, files;

	memset(d, 0, sizeof(*d));
	if ((files = read_sample(l, &s)) == SIZE_MAX) {
		free(s.buf);
		free(s.sizes);
		return -1;
	}
	cap = s.len / SAMPLE_RATIO < DICT_MAX ? s.len / SAMPLE_RATIO : DICT_MAX;
	if (files >= FILES_MIN && cap >= DICT_MIN) {
		d->data = xmalloc(cap);
		r = train(d->data, cap, &s, level);
		if (!ZDICT_isError(r) && (d->id = ZDICT_getDictID(d->data, r)) != 0) {
			d->len = r;
			d->cd = ZSTD_createCDict(d->data, d->len, level);
		}
		if (d->cd == NULL)   /* training failed: no dictionary */
			dict_free(d);
	}
	free(s.buf);
	free(s.sizes);
	return 0;
}

void
dict_free(struct dict *d)
{
	ZSTD_freeCDict(d->cd);
	free(d->data);
	memset(d, 0, sizeof(*d));
}
