/*
 * toolchain.h - the compiler driver behind `fatpack cc` and `fatpack build`.
 *
 * The runtime's files are found relative to the fatpack executable:
 * <exe dir>/../lib/fatpack/ and <exe dir>/../include/ (build/ mirrors an
 * installed tree). FATPACK_HOME=<prefix> overrides that prefix, FATPACK_CC the
 * host's compiler (default musl-gcc).
 */
#ifndef FP_TOOLCHAIN_H
#define FP_TOOLCHAIN_H

#include <stddef.h>

/* Chooses the machine what follows builds for, by its `uname -m` name
 * ("x86_64", "aarch64"), or the host's when arch is NULL: the runtime's
 * folder, the compiler, the strip and the ELF machine checked all follow.
 * -1 when fatpack does not build for arch. */
int toolchain_set_target(const char *arch);
int toolchain_has_target(const char *arch);
const char *toolchain_targets(void);   /* the names it takes, for messages */
const char *toolchain_target(void);    /* the chosen one's name */
unsigned toolchain_machine(void);      /* the chosen one's ELF e_machine */

/* Paths of the runtime's files for the target (static strings, resolved
 * once): lib/fatpack/, or lib/fatpack/ARCH/ for the other machine. NULL and a
 * message on stderr if the runtime is not where it should be. */
const char *toolchain_libdir(void);       /* .../lib/fatpack */
const char *toolchain_includedir(void);   /* .../include */
const char *toolchain_serve_program(void);/* .../lib/fatpack/fatpack-serve */

/* Whether programs built by this toolchain are dynamically linked (the
 * sanitizer build, for the host only); fatpack build then accepts dynamic
 * programs. */
int toolchain_is_dynamic(void);

/* Runs the compiler with args (like `fatpack cc args...`), adding the
 * runtime's include path and the library prefix's (libprefix.h) and, when
 * linking, the prefix's lib folder, -static, -Wl,--wrap=main,
 * -Wl,--gc-sections and the runtime libraries. Returns the compiler's exit
 * status (127 if it could not be run), or TOOLCHAIN_REFUSED when a line on
 * stderr already says why it failed: FATPACK_CC names a compiler for glibc,
 * -shared, no library prefix, or a link that failed on an archive built for
 * glibc (libcheck.h). */
#define TOOLCHAIN_REFUSED (-1)
int toolchain_run(char *const *args, size_t nargs);

/* Links the runtime's signature check before main, and libsodium, into
 * programs from now on (--require-signature): 0, or -1 after a line when
 * the target has no libsodium. */
int toolchain_require_signature(void);

/* Copies in to out without symbols (strip --strip-all). 0 on success, -1 with
 * a message on stderr on failure. */
int toolchain_strip(const char *in, const char *out);

#endif
