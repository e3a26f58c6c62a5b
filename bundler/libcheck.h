/*
 * libcheck.h - whether a library on a link line was built for glibc.
 */
#ifndef FP_LIBCHECK_H
#define FP_LIBCHECK_H

#include <stddef.h>

/* After a failed link, whose linker said errs on stderr: looks at the
 * archives and objects that the compiler arguments name (FILE.a, FILE.o,
 * -lNAME, -l NAME, -l:FILE, found in the arguments' -L folders and then in
 * libdir) for references to symbols only glibc defines (__*_chk, __libc_*,
 * getcontext and its family, NAME@GLIBC_*) that errs names, i.e. that the
 * link missed. For the first such file it writes one line on stderr naming
 * it, the symbols, and how to rebuild it into prefix, and returns 1; else 0. */
int libcheck_glibc(char *const *args, size_t nargs, const char *libdir,
    const char *errs, const char *prefix);

#endif
