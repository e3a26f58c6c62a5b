/*
 * tarcheck.h - whether the tar stream of an artifact agrees with its index.
 *
 * The index is what fatpack reads; the tar stream is what `zstd -dc | tar`
 * reads. A file whose two views differ (a hard link or a symlink in the tar
 * stream, another mode, size or path) would unpack differently with standard
 * tools than with fatpack, so `verify` and `extract` refuse it. The rules are
 * those of docs/FORMAT.md section 3.
 */
#ifndef FP_TARCHECK_H
#define FP_TARCHECK_H

#include <stddef.h>

#include "reader.h"

/* Walks the tar stream frames of r (payload bytes 0..index_offset-1) in
 * order: every header frame is decoded and parsed, every content frame must
 * lie where the index says (its bytes are fp_reader_decode's business), and
 * the end frame must close the stream right before the index. Returns 0, or
 * a FATPACK_E* code with the first disagreement in detail as one line
 * "tar stream: PATH: reason" (PATH is the index path, unescaped). */
int fp_tar_check(const struct fp_reader *r, char *detail, size_t len);

#endif
