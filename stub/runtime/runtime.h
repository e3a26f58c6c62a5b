/*
 * runtime.h - what the runtime's own parts share (not installed).
 *
 * stub/runtime/runtime.c owns the process-wide archive behind
 * include/fatpack.h; stub/runtime/entry.c loads it before main and answers
 * the --fatpack-* flags through the read commands of stub/inspect/.
 */
#ifndef FP_RUNTIME_H
#define FP_RUNTIME_H

#include <stddef.h>

#include "format/reader.h"

/* Opens the executable and loads the index, once per process (later calls
 * return the first result). Returns 0 or a FATPACK_E* code; detail, when not
 * NULL, receives a one-line explanation of a failure. */
int fp_runtime_init(char *detail, size_t len);

/* The process-wide archive; valid only when fp_runtime_init returned 0. */
const struct fp_reader *fp_runtime_archive(void);

/* Connects a socket to NOTIFY_SOCKET, when set, that fatpack_notify uses
 * from then on (service.c): called before the jail, which may forbid the
 * path lookup. */
void fp_notify_connect(void);

/* --fatpack-health (health.c): one GET of url, or of the server's own
 * address when url is NULL, within timeout seconds. Returns the exit
 * status: 0 on a 2xx or 3xx status, 1 otherwise, 2 for a malformed URL; a
 * line on stdout or stderr says which. */
int fp_health(const char *prog, const char *url, int timeout);

#endif
