/*
 * serve_site.c - the site as the server sees it: one struct asset per file,
 * built once at start (proportional to the number of files, never to their
 * bytes), and the mapping of a request path to a file.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fatpack.h"
#include "http.h"
#include "serve.h"

static struct asset *assets;    /* indexed by index position; folders unused */
static _Atomic(void *) *frames; /* copies of small frames, NULL until read */
static size_t n_assets;
static int exe_fd = -1;

/* The identity cache: one memfd per large file, made on first use under
 * the lock (once per file, so rarely) and read without it. */
/* Per asset: its descriptor + 1; 0 until tried; NO_MEMFD once it did not
 * fit (the cache never gives room back, so it never will). */
static _Atomic int *memfds;
#define NO_MEMFD (-1)
static pthread_mutex_t memfd_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct serve_config *config;
static size_t memfd_files;      /* under memfd_lock */
static uint64_t memfd_bytes;
static int memfd_full;          /* a memfd could not be had: no more tries */
static int memfd_full_said;

static void
hex16(const unsigned char *sha, char *out)
{
	static const char hexdig[] = "0123456789abcdef";

	for (int i = 0; i < 16; i++) {
		out[2 * i] = hexdig[sha[i] >> 4];
		out[2 * i + 1] = hexdig[sha[i] & 15];
	}
}

static int
asset_init(struct asset *a, const struct fatpack_entry *e)
{
	struct fatpack_frame f;
	char hex[32];
	int rc;

	if ((rc = fatpack_frame_at(e->index, &f)) != 0)
		return rc;
	a->index = e->index;
	a->mime = e->mime[0] != '\0' ? e->mime : "application/octet-stream";
	a->size = e->size;
	a->zoff = f.offset;
	a->zlen = f.length;
	a->mtime = e->mtime;
	exe_fd = f.fd;
	hex16(e->sha256, hex);
	snprintf(a->etag, sizeof(a->etag), "\"%.32s\"", hex);
	snprintf(a->zetag, sizeof(a->zetag), "\"%.32s-zstd\"", hex);
	http_format_date(e->mtime, a->last_modified);
	return 0;
}

int
site_init(const struct serve_config *cfg)
{
	struct fatpack_entry e;
	int rc;

	n_assets = fatpack_count();
	assets = calloc(n_assets ? n_assets : 1, sizeof(*assets));
	frames = calloc(n_assets ? n_assets : 1, sizeof(*frames));
	memfds = calloc(n_assets ? n_assets : 1, sizeof(*memfds));
	config = cfg;
	if (assets == NULL || frames == NULL || memfds == NULL) {
		fprintf(stderr, "%s: out of memory for %zu assets\n", cfg->prog,
		    n_assets);
		return -1;
	}
	for (size_t i = 0; i < n_assets; i++) {
		if ((rc = fatpack_entry_at(i, &e)) == 0 && e.type == FATPACK_FILE)
			rc = asset_init(&assets[i], &e);
		if (rc != 0) {
			fprintf(stderr, "%s: asset %zu: %s\n", cfg->prog, i,
			    fatpack_strerror(rc));
			return -1;
		}
	}
	if (cfg->spa_fallback != NULL && site_lookup(cfg->spa_fallback) == NULL) {
		fprintf(stderr, "%s: spa fallback '%s' is not a file of the site\n",
		    cfg->prog, cfg->spa_fallback);
		return -1;
	}
	return 0;
}

const void *
site_small_frame(const struct asset *a)
{
	void *mine, *seen;

	if (a->zlen == 0 || a->zlen > SMALL_FRAME)
		return NULL;
	seen = atomic_load_explicit(&frames[a->index], memory_order_acquire);
	if (seen != NULL)
		return seen;
	if ((mine = malloc((size_t)a->zlen)) == NULL)
		return NULL;
	if (pread(exe_fd, mine, (size_t)a->zlen, (off_t)a->zoff) != (ssize_t)a->zlen) {
		free(mine);
		return NULL;
	}
	/* Two threads may read the same frame; the loser frees its copy. */
	if (!atomic_compare_exchange_strong_explicit(&frames[a->index], &seen,
	    mine, memory_order_acq_rel, memory_order_acquire)) {
		free(mine);
		return seen;
	}
	return mine;
}

/* Shmem is allocated in pages. */
static uint64_t
pages(uint64_t size)
{
	return (size + 4095) & ~(uint64_t)4095;
}

/* Said once, since every later miss would say it again. */
static void
say_full(const struct asset *a)
{
	if (memfd_full_said)
		return;
	memfd_full_said = 1;
	fprintf(stderr, "%s: identity cache full (%zu files, %llu bytes; "
	    "asset %zu needs %llu more): larger files not in it are sent "
	    "from memory\n", config->prog, memfd_files,
	    (unsigned long long)memfd_bytes, a->index,
	    (unsigned long long)pages(a->size));
}

/* Under memfd_lock: the memfd of a, made now if the budget has room. */
static int
make_memfd(const struct asset *a, int *fd)
{
	uint64_t need = pages(a->size);
	int made;

	if ((made = atomic_load(&memfds[a->index])) != 0) {
		*fd = made == NO_MEMFD ? -1 : made - 1;
		return 0;
	}
	if (memfd_full || memfd_files >= config->memfd_files ||
	    need > config->memfd_bytes - memfd_bytes) {
		say_full(a);
		atomic_store_explicit(&memfds[a->index], NO_MEMFD,
		    memory_order_relaxed);
		return 0;
	}
	/* Without memory or descriptors for it, every later try would decode
	 * the file again for nothing: the cache takes no more. */
	if ((made = fatpack_memfd_at(a->index)) == FATPACK_ENOMEM) {
		memfd_full = 1;
		say_full(a);
		atomic_store_explicit(&memfds[a->index], NO_MEMFD,
		    memory_order_relaxed);
		return 0;
	}
	if (made < 0)
		return made;
	memfd_files++;
	memfd_bytes += need;
	atomic_store_explicit(&memfds[a->index], made + 1, memory_order_release);
	*fd = made;
	return 0;
}

int
site_memfd(const struct asset *a, int *fd)
{
	int v = atomic_load_explicit(&memfds[a->index], memory_order_acquire);
	int rc;

	/* made, or known not to fit: no lock on the way of a response */
	if (v != 0) {
		*fd = v == NO_MEMFD ? -1 : v - 1;
		return 0;
	}
	pthread_mutex_lock(&memfd_lock);
	rc = make_memfd(a, fd);
	pthread_mutex_unlock(&memfd_lock);
	return rc;
}

void
site_memfd_usage(size_t *files, uint64_t *bytes)
{
	pthread_mutex_lock(&memfd_lock);
	*files = memfd_files;
	*bytes = memfd_bytes;
	pthread_mutex_unlock(&memfd_lock);
}

int
site_fd(void)
{
	return exe_fd;
}

/* Looks up one index path: 1 file, 0 folder, -1 absent. */
static int
lookup(const char *path, const struct asset **out)
{
	struct fatpack_entry e;

	if (path[0] == '\0')
		return 0;       /* the root is a folder even when the index has none */
	if (fatpack_stat(path, &e) != 0)
		return -1;
	if (e.type != FATPACK_FILE)
		return 0;
	*out = &assets[e.index];
	return 1;
}

const struct asset *
site_lookup(const char *path)
{
	const struct asset *a = NULL;

	return lookup(path, &a) == 1 ? a : NULL;
}

/* A folder is served through its index.html; the index may or may not
 * record folders themselves, so the file decides. */
static int
append_index(char *path, size_t len, size_t cap)
{
	static const char idx[] = "index.html";
	size_t sep = len > 0;

	if (len + sep + sizeof(idx) > cap)
		return -1;
	if (sep)
		path[len] = '/';
	memcpy(path + len + sep, idx, sizeof(idx));
	return 0;
}

enum site_result
site_resolve(char *path, size_t len, size_t cap, int dir,
    const struct asset **out)
{
	int kind = lookup(path, out);

	if (kind == 1)
		return dir ? SITE_NOTFOUND : SITE_FILE;
	if (append_index(path, len, cap) != 0 || lookup(path, out) != 1) {
		path[len] = '\0';
		return SITE_NOTFOUND;
	}
	path[len] = '\0';
	return dir ? SITE_FILE : SITE_REDIRECT;
}
