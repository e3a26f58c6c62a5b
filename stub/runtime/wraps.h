/*
 * wraps.h - the C library calls the mount answers (docs/MOUNT.md).
 *
 * One list for both sides: stub/runtime/wrap.c defines __wrap_NAME for
 * each, and `fatpack cc` (bundler/toolchain.c) links every program with
 * -Wl,--wrap=NAME for each, so calls from the program and from the static
 * libraries linked with it, the C library's own included, come to wrap.c.
 */
#define FP_WRAPS(X) \
	X(open) X(openat) X(creat) X(fopen) X(freopen) \
	X(stat) X(lstat) X(fstatat) X(access) X(faccessat) \
	X(opendir) X(readdir) X(closedir) X(rewinddir) X(telldir) X(seekdir) \
	X(dirfd) X(scandir) X(realpath) X(readlink) X(readlinkat) \
	X(mkdir) X(mkdirat) X(rmdir) X(unlink) X(unlinkat) X(remove) \
	X(rename) X(renameat) X(link) X(linkat) X(symlink) X(symlinkat) \
	X(truncate) X(chmod) X(fchmodat) X(chown) X(lchown) X(fchownat) \
	X(utimensat) X(mknod) X(mknodat)

/* glibc's large-file names, which its headers call under
 * _FILE_OFFSET_BITS=64 (SQLite sets it): only the sanitizer toolchain
 * (FATPACK_SAN_TOOLCHAIN) builds for glibc. */
#define FP_WRAPS_GLIBC(X) \
	X(open64) X(openat64) X(creat64) X(fopen64) X(freopen64) \
	X(stat64) X(lstat64) X(fstatat64) X(readdir64) X(scandir64) \
	X(truncate64)
