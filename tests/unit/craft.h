/*
 * craft.h - building fatpack artifacts in memory for the unit tests, so a
 * test can damage one field and see what the reader says (craft.c).
 *
 * A test that uses it lists tests/unit/craft.c among its test-sources and
 * links the reader and SHA-256 (compiled in, or included for their statics).
 */
#ifndef CRAFT_H
#define CRAFT_H

#include <stddef.h>
#include <stdint.h>

#include "format/bytes.h"   /* fp_le64, fp_put_le16/32/64 */
#include "tap.h"                /* check, failures */

/* A growable byte buffer; aborts when memory runs out. */
struct buf {
	unsigned char *p;
	size_t len, cap;
};

void reserve(struct buf *b, size_t more);
void append(struct buf *b, const void *data, size_t len);
void append_zero(struct buf *b, size_t len);

/* A minimal ELF64 image whose second section is named section, holding
 * the runtime marker; with symtab, also an (empty) symbol table. */
void append_elf(struct buf *b, const char *section, int symtab);

/* One entry of an artifact to build. A regular file with content gets a
 * frame compressed from data, or frame[0..frame_len) as given. */
struct tentry {
	const char *path;
	int type;
	const void *data;
	size_t len;
	const char *mime;
	uint32_t mode;
	int64_t mtime;
	const void *frame;
	size_t frame_len;
};

/* Where the parts of a built artifact are, so tests can damage them. */
struct art {
	struct buf b;
	size_t payload;        /* absolute offsets */
	size_t index_data;
	size_t entries;
	size_t strtab;
	size_t trailer;
	size_t dict;           /* the dictionary frame, 0 if none */
	size_t frame[16], frame_len[16];
};

/* Appends one zstd frame of data: window at most 8 MiB, with or without
 * the content checksum and the content size. Returns its length. */
size_t compress_frame(struct buf *b, const void *data, size_t len, int checksum,
    int content_size);

/* Header fields of a zstd frame for reframe(). */
struct zhead {
	int window_log;        /* 0: single segment (needs content_size) */
	uint32_t dict_id;      /* 0: none */
	int checksum;          /* keep the frame's checksum, or drop it */
	int has_size;
	uint64_t content_size;
};

/* Appends the frame at src (from compress_frame, with its checksum) with
 * its header replaced by one holding h. The blocks stay as they are. */
void reframe(struct buf *b, const unsigned char *src, size_t len,
    const struct zhead *h);

/* Builds an artifact of n entries (paths sorted) and meta[0..meta_len).
 * Every frame is compressed with or without its checksum. */
void build(struct art *t, const struct tentry *te, size_t n, const char *meta,
    size_t meta_len, int checksum);

/* The same with a dictionary frame holding the zstd dictionary dict
 * (FORMAT.md 4.3), flag bit 1, and every content frame compressed with
 * it; meta must hold keys that sort after dictionary_sha256. */
void build_dict(struct art *t, const struct tentry *te, size_t n,
    const char *meta, size_t meta_len, const struct buf *dict);

/* Recomputes the index's checks (a stored index of version 1.2 or later,
 * fp_index_seal), the index hash in the trailer and the trailer's own check. */
void reseal(struct art *t);

/* The same without the index's checks: for a test that breaks one. */
void reseal_trailer(struct art *t);

/* Replaces the index frame's data by the n bytes at p (not inside t) and
 * sets the trailer flags; offsets into the old index no longer hold. */
void set_index(struct art *t, const void *p, size_t n, uint32_t flags);

/* A memfd holding the bytes; aborts on failure. */
int open_bytes(const unsigned char *p, size_t len);

/* Opens the bytes as an artifact: the reader's code, its detail in detail. */
int try_open(const unsigned char *p, size_t len, char detail[256]);

#endif
