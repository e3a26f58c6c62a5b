/*
 * pack.h - the writer of the fatpack format (docs/FORMAT.md): the payload
 * (tar stream frames, index frame) and the trailer.
 */
#ifndef FP_PACK_H
#define FP_PACK_H

#include <stdint.h>

#include "assets.h"
#include "sign.h"

/* Build metadata; NULL strings are left out. */
struct pack_meta {
	const char *name;
	const char *version;
	const char *revision;
	const char *listen;          /* serve.listen */
	const char *spa_fallback;    /* serve.spa_fallback */
	const char *cache_control;   /* serve.cache_control */
	const char *identity_cache;  /* serve.identity_cache */
	const char *mount;           /* mount, NULL for none */
	const char *override;        /* mount.override */
	const char *jail;            /* jail policy, NULL for none */
	const char *sigkey;          /* signature.key: the public key of
	                              * --require-signature, or NULL */
	int64_t build_time;
};

struct pack_opts {
	const char *name;            /* the output, as messages name it */
	int level;                   /* zstd level, 1..19 */
	int jobs;                    /* compression threads; 0 = one per CPU */
	const struct sign_key *key;  /* sign with it (FORMAT.md 4.2), or NULL */
	int dict;                    /* train a dictionary for small files
	                              * when it pays (FORMAT.md 4.3) */
	/* called by the writing thread after each entry is written, with the
	 * files and their decoded bytes written so far; may be NULL */
	void (*progress)(void *arg, uint64_t files, uint64_t bytes);
	void *progress_arg;
};

struct pack_stats {
	uint64_t files;              /* regular files */
	uint64_t in_bytes;           /* their decoded size */
	uint64_t out_bytes;          /* payload and trailer */
	char payload_sha256[65];     /* hex, as in the metadata */
};

/* Writes the payload for l and the trailer at fd's current position, which
 * must be the absolute file offset payload_offset; with a key, the
 * signature frame before the trailer (the program must be on fd then). The
 * bytes do not depend on opts->jobs. Each asset file is read once (assets.h:
 * asset_load, or asset_read for the biggest). On failure prints one line on
 * stderr and returns -1. */
int pack_write(int fd, uint64_t payload_offset, const struct asset_list *l,
    const struct pack_meta *m, const struct pack_opts *o,
    struct pack_stats *st);

#endif
