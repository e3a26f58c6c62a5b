/*
 * libprefix.h - the library prefix: where third-party libraries built with
 * `fatpack cc` are installed, and pkg-config restricted to it
 * (docs/LIBRARIES.md).
 */
#ifndef FP_LIBPREFIX_H
#define FP_LIBPREFIX_H

#include <stddef.h>

/* The prefix (a static string, resolved once): FATPACK_PREFIX, else
 * $XDG_DATA_HOME/fatpack/TARGET, else $HOME/.local/share/fatpack/TARGET.
 * NULL and a message on stderr when none can be named (FATPACK_PREFIX or
 * HOME not an absolute path). The folder need not exist. */
const char *libprefix(void);

/* The target named in the default prefix, e.g. "x86_64-linux-musl": the
 * toolchain's (toolchain_set_target), so each target has its own prefix. */
const char *libprefix_target(void);

/* Sets the environment of this process so that pkg-config reads the
 * prefix's lib/pkgconfig only: PKG_CONFIG_LIBDIR set, PKG_CONFIG_PATH and
 * PKG_CONFIG_SYSROOT_DIR unset. -1 when there is no prefix. */
int libprefix_pkg_env(void);

/* `pkg-config --static --cflags --libs NAMES` from the prefix, as a
 * NULL-terminated vector of words (free with libprefix_free) and its length
 * in *n. NULL with one line on stderr when a name is not a package there
 * or pkg-config fails. */
char **libprefix_pkg_flags(char *const *names, size_t nnames, size_t *n);
void libprefix_free(char **v);

#endif
