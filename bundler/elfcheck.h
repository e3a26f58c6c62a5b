/*
 * elfcheck.h - what libelf says about a program before fatpack appends to it.
 */
#ifndef FP_ELFCHECK_H
#define FP_ELFCHECK_H

#include <stddef.h>
#include <sys/stat.h>

#define ELFCHECK_DYNAMIC 1u  /* accept a dynamically linked program */
#define ELFCHECK_SIGN 2u     /* require the runtime's signature check */

/* Checks that the file at path is an ELF executable for this machine,
 * statically linked (no PT_INTERP, no DT_NEEDED) unless ELFCHECK_DYNAMIC
 * is in flags, and holding the fatpack runtime (the .fatpack section), and
 * with ELFCHECK_SIGN its signature check (the .fatpack.sign section). On failure writes into
 * msg one line saying what is wrong and how to fix it (e.g. "dynamically
 * linked (needs libc.so.6): link it with `fatpack cc`") and returns -1.
 * *st receives what fstat said of the file checked, so the caller can tell
 * whether the file it copies later is still the one checked. */
int elfcheck_program(const char *path, unsigned flags, struct stat *st,
    char *msg, size_t len);

/* The size the ELF image itself occupies in the file (the end of its last
 * section or segment, whichever is further), or 0 if fd is not ELF. A file
 * longer than this holds appended data. */
unsigned long long elfcheck_image_end(int fd);

#endif
