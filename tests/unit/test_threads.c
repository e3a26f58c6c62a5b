/*
 * test_threads.c - eight threads reading assets through the public API at the
 * same time get the right bytes, and all get the same published copy.
 *
 * This is a fat-binary program, not a host unit test (tests/run.sh skips it):
 *
 *   fatpack cc tests/unit/test_threads.c -o t            # the program
 *   ./t gen DIR                                          # writes the assets
 *   fatpack build --program t --assets DIR -o t.fat      # or the equivalent
 *   ./t.fat                                              # the test
 *
 * The assets are a.bin .. h.bin and 64 small pages, p0.html .. p63.html,
 * that share their head, so that fatpack build compresses them with a
 * dictionary (docs/FORMAT.md 4.3) that the threads first need at once; each
 * one's size and bytes follow from its number alone, so the test knows what
 * every asset must hold. Output: one
 * "ok - name" / "not ok - name" line per check; exit 1 if any failed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fatpack.h"
#include "../../stub/format/sha256.h"

#define NBINS 8
#define NPAGES 64
#define NASSETS (NBINS + NPAGES)
#define NTHREADS 8
#define ROUNDS 4

static char names[NASSETS][16];

static unsigned char *expected[NASSETS];
static pthread_barrier_t start;

struct worker {
	int id;
	const void *seen[NASSETS];
	int errors;
	char why[256];
};

static void
name_assets(void)
{
	int k;

	for (k = 0; k < NBINS; k++)
		snprintf(names[k], sizeof(names[k]), "%c.bin", 'a' + k);
	for (; k < NASSETS; k++)
		snprintf(names[k], sizeof(names[k]), "p%d.html", k - NBINS);
}

/* Sizes from 1 byte to about 7 MB: small ones race fast, big ones slowly;
 * pages of 2 to 6 KB. */
static size_t
asset_size(int k)
{
	if (k >= NBINS)
		return 2000 + (size_t)(k - NBINS) * 64;
	return k == 0 ? 1 : (size_t)k * k * 150001;
}

/* A page: the head and navigation every page has, then lines that name
 * the page; what they share pays for a dictionary (bundler/dict.c). */
static unsigned char *
page(int k)
{
	static const char head[] = "<!DOCTYPE html>\n<html><head><meta "
	    "charset=\"utf-8\"><link rel=\"stylesheet\" href=\"site.css\">"
	    "</head><body><nav><a href=\"index.html\">Home</a> | <a href=\""
	    "docs.html\">Documentation</a> | <a href=\"faq.html\">FAQ</a>"
	    "</nav>\n";
	size_t n = asset_size(k), i = 0;
	unsigned char *p = malloc(n + 64);
	int line = 0;

	if (p == NULL)
		abort();
	memcpy(p, head, sizeof(head) - 1);
	for (i = sizeof(head) - 1; i < n && line < 24; line++)
		i += (size_t)sprintf((char *)p + i, "<li><a href=\"section-%d."
		    "html\">Section %d of the manual</a></li>\n", line, line);
	for (line = 0; i < n; line++)
		i += (size_t)sprintf((char *)p + i, "<p>Page %d, line %d.</p>\n",
		    k, line);
	return p;
}

/* xorshift32 seeded from the name (FNV-1a), in 4-byte steps; the low bits
 * are masked so that zstd finds something to compress. */
static unsigned char *
pattern(int k)
{
	size_t n = asset_size(k), i;
	uint32_t x = 2166136261u;
	unsigned char *p;
	const char *c;

	if (k >= NBINS)
		return page(k);
	if ((p = malloc(n ? n : 1)) == NULL)
		abort();
	for (c = names[k]; *c != '\0'; c++)
		x = (x ^ (unsigned char)*c) * 16777619u;
	for (i = 0; i < n; i++) {
		if (i % 4 == 0) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
		}
		p[i] = (unsigned char)(x >> (8 * (i % 4))) & 0x3f;
	}
	return p;
}

static int
generate(const char *dir)
{
	char path[4096];
	int k;

	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		perror(dir);
		return 1;
	}
	for (k = 0; k < NASSETS; k++) {
		unsigned char *p = pattern(k);
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", dir, names[k]);
		if ((f = fopen(path, "wb")) == NULL ||
		    fwrite(p, 1, asset_size(k), f) != asset_size(k) || fclose(f) != 0) {
			perror(path);
			return 1;
		}
		free(p);
	}
	return 0;
}

static void
bad(struct worker *w, const char *name, const char *what)
{
	if (w->errors++ == 0)
		snprintf(w->why, sizeof(w->why), "thread %d: %s: %s", w->id, name, what);
}

static void
fetch(struct worker *w, int k)
{
	struct fatpack_entry e;
	unsigned char sum[32];
	const void *data;
	size_t size;
	int r;

	if ((r = fatpack_get(names[k], &data, &size)) != 0) {
		bad(w, names[k], fatpack_strerror(r));
		return;
	}
	if (size != asset_size(k) || memcmp(data, expected[k], size) != 0 ||
	    ((const char *)data)[size] != '\0') {
		bad(w, names[k], "wrong bytes");
		return;
	}
	if (w->seen[k] != NULL) {
		if (w->seen[k] != data)
			bad(w, names[k], "pointer changed between calls");
		return;
	}
	w->seen[k] = data;
	sha256(data, size, sum);
	if (fatpack_stat(names[k], &e) != 0 || memcmp(sum, e.sha256, 32) != 0)
		bad(w, names[k], "SHA-256 differs from the index");
}

/* A stream over the asset reads the same bytes. */
static void
stream(struct worker *w, int k)
{
	FILE *f = fatpack_fopen(names[k]);
	unsigned char buf[4096];
	size_t off = 0, n;

	if (f == NULL) {
		bad(w, names[k], "fatpack_fopen failed");
		return;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (off + n > asset_size(k) || memcmp(buf, expected[k] + off, n) != 0)
			break;
		off += n;
	}
	if (off != asset_size(k))
		bad(w, names[k], "fatpack_fopen read wrong bytes");
	fclose(f);
}

static void *
run(void *arg)
{
	struct worker *w = arg;
	int round, j;

	pthread_barrier_wait(&start);
	/* everyone on a page of its own at once first, all needing the
	 * dictionary; on the same asset then; then each its own order */
	fetch(w, NBINS + w->id);
	fetch(w, NBINS - 1);
	for (round = 0; round < ROUNDS; round++)
		for (j = 0; j < NASSETS; j++)
			fetch(w, w->id % 2 ? (j + w->id) % NASSETS :
			    (NASSETS - 1 - j + w->id) % NASSETS);
	stream(w, w->id % NASSETS);
	return NULL;
}

static int failed;

static void
report(int ok, const char *name, const char *why)
{
	printf("%sok - %s\n", ok ? "" : "not ", name);
	if (!ok) {
		printf("# %s\n", why);
		failed = 1;
	}
}

int
main(int argc, char **argv)
{
	static struct worker w[NTHREADS];
	pthread_t tid[NTHREADS];
	int i, k, same = 1, errors = 0;
	const char *why = "";

	name_assets();
	if (argc == 3 && strcmp(argv[1], "gen") == 0)
		return generate(argv[2]);
	report(fatpack_status() == 0, "payload loaded",
	    fatpack_strerror(fatpack_status()));
	if (failed)
		return 1;
	report(fatpack_meta("dictionary_sha256") != NULL,
	    "the pages are compressed with a dictionary",
	    "no dictionary_sha256 in the metadata");
	for (k = 0; k < NASSETS; k++)
		expected[k] = pattern(k);
	pthread_barrier_init(&start, NULL, NTHREADS);
	for (i = 0; i < NTHREADS; i++) {
		w[i].id = i;
		if (pthread_create(&tid[i], NULL, run, &w[i]) != 0) {
			report(0, "start threads", "pthread_create failed");
			return 1;
		}
	}
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(tid[i], NULL);
		if (w[i].errors > 0 && errors++ == 0)
			why = w[i].why;
	}
	report(errors == 0, "8 threads read correct bytes", why);
	for (i = 1; i < NTHREADS; i++)
		for (k = 0; k < NASSETS; k++)
			same &= w[i].seen[k] == w[0].seen[k];
	report(same, "every thread got the same copy of each asset",
	    "two threads got different pointers");
	return failed;
}
