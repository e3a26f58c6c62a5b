/*
 * assets.h - collecting the assets of a build into one sorted list.
 *
 * Sources are folders (walked; file contents are read later, one at a time)
 * or archives read with libarchive (contents kept in memory). Paths are put in
 * index form (docs/FORMAT.md section 4), parent folders added, modes and mtimes
 * normalised, and the list sorted bytewise, which is the order of the index
 * and of the tar stream.
 */
#ifndef FP_ASSETS_H
#define FP_ASSETS_H

#include <stddef.h>
#include <stdint.h>

#include "build.h"
#include "util.h"

struct asset {
	char *path;             /* index form */
	int type;               /* FP_TYPE_FILE or FP_TYPE_DIR */
	uint32_t mode;          /* 0644 or 0755 */
	int64_t mtime;
	uint64_t size;          /* 0 for folders */
	const char *origin;     /* the source it came from (for messages) */
	char *file;             /* folder sources: the file to read, else NULL */
	struct file_stamp stamp;   /* folder sources: the file as collected */
	unsigned char *data;    /* archive sources: the content, else NULL */
};

struct asset_list {
	struct asset *v;
	size_t n;
	uint64_t total;         /* sum of file sizes */
};

/* SOURCE_DATE_EPOCH: 0 and *t set when it is set and valid, 1 when unset,
 * -1 with a message on stderr when it is not a whole number of seconds. */
int source_date_epoch(int64_t *t);

/* Collects the n sources into l. When clamp is not NULL every mtime later than
 * *clamp becomes *clamp. On bad input prints one line naming the source and
 * the entry, and returns -1 (l is then empty). */
int assets_collect(const struct asset_source *src, size_t n,
    const int64_t *clamp, struct asset_list *l);

/* Takes each piece of an asset's content in order; returns 0 to go on, or
 * -1 to stop the reading, having said why in its own words. */
typedef int asset_fn(void *arg, const unsigned char *p, size_t n);

/* The largest piece asset_read passes. */
#define ASSET_PIECE (256u * 1024)

/*
 * Passes the content of file asset a to fn, in pieces of ASSET_PIECE bytes
 * (the last one shorter, none for an empty file). A folder file is read once,
 * with read(2) into a private buffer: what fn sees is what the artifact
 * holds. The file must be the one collected, unchanged, before and after,
 * and hold exactly a->size bytes; if not, or on a read error, writes a
 * one-line reason ("PATH: changed while building") into msg and returns -1.
 * Returns -1 with msg untouched when fn stops the reading.
 */
int asset_read(const struct asset *a, asset_fn *fn, void *arg, char *msg,
    size_t msg_len);

/*
 * The whole content of file asset a, read as asset_read reads it, for a
 * caller that needs it at once (pack.c hashes a file before deciding to
 * compress it): *data points at it. For a folder file it is read into a
 * buffer *own that the caller frees; else *own is NULL and *data is the
 * asset's own. On failure, as asset_read, with *own NULL.
 */
int asset_load(const struct asset *a, const unsigned char **data,
    unsigned char **own, char *msg, size_t msg_len);

void assets_free(struct asset_list *l);

#endif
