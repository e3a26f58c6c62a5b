/*
 * dict.h - the zstd dictionary of a payload (docs/FORMAT.md 4.3): which
 * files use it, trained on a sample of them at build time.
 */
#ifndef FP_DICT_H
#define FP_DICT_H

#include <stddef.h>
#include <stdint.h>

#include <zstd.h>

#include "assets.h"

struct dict {
	unsigned char *data;     /* the dictionary, or NULL: none */
	size_t len;
	uint32_t id;
	ZSTD_CDict *cd;          /* for the level of the build */
	ZSTD_CDict *probe_cd;    /* for probe_level, when the build's is higher */
};

/* Trains the dictionary for l at level into d, or leaves d empty when it
 * would not pay: too few small files that are not compressed already, or
 * a dictionary that saves too little on its sample. A kept dictionary is
 * also made for probe_level when level is higher: zstd compresses with a
 * CDict at the level it was made for, whatever level the context is given.
 * -1 with a message on stderr when a sample file cannot be read; out of
 * memory exits, as xmalloc does. */
int dict_plan(const struct asset_list *l, int level, int probe_level,
    struct dict *d);

/* Whether asset a's content frame is compressed with d. */
int dict_uses(const struct dict *d, const struct asset *a);

void dict_free(struct dict *d);

#endif
