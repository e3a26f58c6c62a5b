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

/* A new descriptor on the executable, for a full open of it (the
 * --fatpack-* flags); -1 with errno set. */
int fp_runtime_open_self(void);

/* A sealed memfd holding size bytes of data, named name (shown in
 * /proc/PID/fd): it can be read, mapped and locked, and never changed.
 * -1 with errno set on failure (memfd.c). */
int fp_memfd_of(const char *name, const void *data, size_t size);

/* Connects a socket to NOTIFY_SOCKET, when set, that fatpack_notify uses
 * from then on (service.c): called before the jail, which may forbid the
 * path lookup. */
void fp_notify_connect(void);

/* --fatpack-health (health.c): one GET of url, or of the server's own
 * address when url is NULL, within timeout seconds. Returns the exit
 * status: 0 on a 2xx or 3xx status, 1 otherwise, 2 for a malformed URL; a
 * line on stdout or stderr says which. */
int fp_health(const char *prog, const char *url, int timeout);

/* --fatpack-jail [PID]: this artifact's jail policy, and with a PID what
 * the kernel shows of that process's confinement (stub/runtime/jail.c).
 * Returns the exit status. */
int fp_jail_show(const char *prog, const char *pid);

/* --fatpack-install, --fatpack-rollback, --fatpack-releases (install.c):
 * the artifact r installs itself under dir (docs/DEPLOY.md), keeping the
 * keep newest releases when keep > 0. Each returns the exit status. */
int fp_install(const char *prog, const struct fp_reader *r, const char *dir,
    long keep);
int fp_rollback(const char *prog, const char *dir);
int fp_list_releases(const char *prog, const char *dir);

/* --fatpack-unit (unit.c): a systemd service unit for the artifact r, or
 * with socket its socket unit, run from dir/current when dir is not NULL,
 * else from this executable's path. Returns the exit status. */
int fp_unit(const char *prog, const struct fp_reader *r, const char *dir,
    int socket);

#endif
