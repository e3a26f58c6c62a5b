/*
 * common.h - what the read commands of stub/inspect/ share (not installed).
 */
#ifndef FP_INSPECT_COMMON_H
#define FP_INSPECT_COMMON_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "inspect.h"

/* UTC, ISO 8601 ("2024-05-01T12:00:00Z"), or the number when the time
 * cannot be represented. Returns out. */
/* Writes s[0..n) for a terminal: what fp_shown_len refuses as \xHH. Paths
 * and metadata values come from the artifact, which may be hostile. */
void fp_put_clean(FILE *f, const char *s, size_t n);

const char *fp_iso_time(int64_t t, char out[32]);

/* s[0..n) as a JSON string on stdout; bytes that are not UTF-8 become
 * U+FFFD. */
void fp_json_string(const char *s, size_t n);

/* A metadata value as a whole number: 0, or -1 when absent or not one. */
int fp_meta_int(const struct fp_reader *r, const char *key, long long *v);

/* Every check of fp_inspect_verify, each problem reported; the number of
 * problems. fp_inspect_extract runs it before writing anything. signer, if
 * not NULL, receives the ID of the key the signature was checked with, or
 * "" when none was. */
size_t fp_check_all(const struct fp_inspect *in, char signer[17]);

#endif
