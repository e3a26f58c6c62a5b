/*
 * serve.h - what the parts of the built-in server share (not installed).
 *
 * serve.c       main: options, listening sockets, worker threads, signals
 * serve_site.c  the asset table built once at start, and path resolution
 * serve_conn.c  one worker's event loop: connections, responses, the log
 */
#ifndef FP_SERVE_H
#define FP_SERVE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define SERVE_TIMEOUT 10        /* seconds: idle, slow header, stalled write */
#define SERVE_DRAIN   10        /* seconds a graceful stop waits at most */
#define SERVE_STOP_GRACE 2      /* seconds a stop waits for the first request
                                   of a connection accepted just before */

struct serve_config {
	const char *prog;           /* for messages */
	const char *spa_fallback;   /* index path or NULL */
	const char *cache_control;  /* header value or NULL */
	int access_log;
	int journal;                /* stderr is the journal: no date in the log */
	size_t max_conn;            /* per worker */
	uint64_t memfd_bytes;       /* identity cache: bytes of decoded files */
	size_t memfd_files;         /* and descriptors it may hold */
	int stop_fd;                /* eventfd, readable once a stop is asked */
};

/* One file of the site, its response headers' values precomputed. */
struct asset {
	size_t index;               /* position in the index */
	const char *mime;
	uint64_t size;              /* decoded size */
	uint64_t zoff, zlen;        /* zstd frame in the executable; zlen 0: none */
	int64_t mtime;
	char etag[35];              /* "<32 hex>" */
	char zetag[40];             /* "<32 hex>-zstd" */
	char last_modified[30];
};

enum site_result { SITE_FILE, SITE_REDIRECT, SITE_NOTFOUND };

/* Builds the asset table from the index. Returns 0, or -1 after printing why. */
int site_init(const struct serve_config *cfg);

/* Frames up to this size are sent from a copy in memory, together with the
 * response head in one sendmsg: for a small frame the second system call of
 * sendfile costs more than the copy saves. */
#define SMALL_FRAME (16u * 1024)

/* The in-memory copy of a's zstd frame (a->zlen <= SMALL_FRAME), read from
 * the executable on first use and kept; NULL if it cannot be had (the caller
 * falls back to sendfile). Thread-safe. */
const void *site_small_frame(const struct asset *a);

/* Identity bodies over this size are sent with sendfile from a sealed memfd
 * of the decoded file (the identity cache), while the cache has room; the
 * smaller ones go out from memory with the response head in one sendmsg,
 * like small frames. */
#define SMALL_BODY (16u * 1024)

/* The memfd of a's decoded bytes, made on first use and kept (the identity
 * cache), in *fd: 0, with *fd -1 when the cache has no room for it (the
 * caller sends from memory), or a FATPACK_E* code when the file is corrupt.
 * Thread-safe. */
int site_memfd(const struct asset *a, int *fd);

/* What the identity cache holds: files and bytes (whole pages). */
void site_memfd_usage(size_t *files, uint64_t *bytes);

/* The executable's descriptor, for sendfile of zstd frames. */
int site_fd(void);

/* Resolves a normalised path (http_normalize_path) held in path[0..len) with
 * room for cap bytes: a file, a folder to redirect to with a slash, or not
 * found. A folder's index.html is appended in place. */
enum site_result site_resolve(char *path, size_t len, size_t cap, int dir,
    const struct asset **out);

/* The asset at an index path, or NULL (used for the SPA fallback). */
const struct asset *site_lookup(const char *path);

struct worker;

/* Creates a worker around its listening socket; NULL after printing why. */
struct worker *worker_new(const struct serve_config *cfg, int listen_fd);

/* The worker's event loop; returns when a stop has drained. */
void *worker_run(void *worker);

void worker_free(struct worker *w);

#endif
