/*
 * wrap.c - the C library's file calls, seen through the mount
 * (docs/MOUNT.md).
 *
 * `fatpack cc` links with -Wl,--wrap=NAME for every NAME of wraps.h, so a
 * call to NAME anywhere in the program comes here as __wrap_NAME and
 * __real_NAME is the C library's. A path outside the mount goes on at once;
 * inside it, a call that reads is answered by mount.c (after the override
 * folder, when one is in use), and a call that would write fails as on a
 * read-only file system. The *at calls are resolved on their path alone:
 * a relative path is the descriptor's folder's, and the mount has no folder
 * descriptors (docs/MOUNT.md), so only an absolute path can be in it.
 *
 * This object is pulled into a link only by the --wrap flags: a program
 * linked without them (the built-in server) has none of it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mount.h"

/* The C library's own, and ours (declared for -Wmissing-prototypes). */
int __real_open(const char *, int, ...);
int __real_openat(int, const char *, int, ...);
int __real_creat(const char *, mode_t);
FILE *__real_fopen(const char *, const char *);
FILE *__real_freopen(const char *, const char *, FILE *);
int __real_stat(const char *, struct stat *);
int __real_lstat(const char *, struct stat *);
int __real_fstatat(int, const char *, struct stat *, int);
int __real_access(const char *, int);
int __real_faccessat(int, const char *, int, int);
DIR *__real_opendir(const char *);
struct dirent *__real_readdir(DIR *);
int __real_closedir(DIR *);
void __real_rewinddir(DIR *);
long __real_telldir(DIR *);
void __real_seekdir(DIR *, long);
int __real_dirfd(DIR *);
int __real_scandir(const char *, struct dirent ***,
    int (*)(const struct dirent *),
    int (*)(const struct dirent **, const struct dirent **));
char *__real_realpath(const char *, char *);
ssize_t __real_readlink(const char *, char *, size_t);
ssize_t __real_readlinkat(int, const char *, char *, size_t);
int __real_mkdir(const char *, mode_t);
int __real_mkdirat(int, const char *, mode_t);
int __real_rmdir(const char *);
int __real_unlink(const char *);
int __real_unlinkat(int, const char *, int);
int __real_remove(const char *);
int __real_rename(const char *, const char *);
int __real_renameat(int, const char *, int, const char *);
int __real_link(const char *, const char *);
int __real_linkat(int, const char *, int, const char *, int);
int __real_symlink(const char *, const char *);
int __real_symlinkat(const char *, int, const char *);
int __real_truncate(const char *, off_t);
int __real_chmod(const char *, mode_t);
int __real_fchmodat(int, const char *, mode_t, int);
int __real_chown(const char *, uid_t, gid_t);
int __real_lchown(const char *, uid_t, gid_t);
int __real_fchownat(int, const char *, uid_t, gid_t, int);
int __real_utimensat(int, const char *, const struct timespec *, int);
int __real_mknod(const char *, mode_t, dev_t);
int __real_mknodat(int, const char *, mode_t, dev_t);

int __wrap_open(const char *, int, ...);
int __wrap_openat(int, const char *, int, ...);
int __wrap_creat(const char *, mode_t);
FILE *__wrap_fopen(const char *, const char *);
FILE *__wrap_freopen(const char *, const char *, FILE *);
int __wrap_stat(const char *, struct stat *);
int __wrap_lstat(const char *, struct stat *);
int __wrap_fstatat(int, const char *, struct stat *, int);
int __wrap_access(const char *, int);
int __wrap_faccessat(int, const char *, int, int);
DIR *__wrap_opendir(const char *);
struct dirent *__wrap_readdir(DIR *);
int __wrap_closedir(DIR *);
void __wrap_rewinddir(DIR *);
long __wrap_telldir(DIR *);
void __wrap_seekdir(DIR *, long);
int __wrap_dirfd(DIR *);
int __wrap_scandir(const char *, struct dirent ***,
    int (*)(const struct dirent *),
    int (*)(const struct dirent **, const struct dirent **));
char *__wrap_realpath(const char *, char *);
ssize_t __wrap_readlink(const char *, char *, size_t);
ssize_t __wrap_readlinkat(int, const char *, char *, size_t);
int __wrap_mkdir(const char *, mode_t);
int __wrap_mkdirat(int, const char *, mode_t);
int __wrap_rmdir(const char *);
int __wrap_unlink(const char *);
int __wrap_unlinkat(int, const char *, int);
int __wrap_remove(const char *);
int __wrap_rename(const char *, const char *);
int __wrap_renameat(int, const char *, int, const char *);
int __wrap_link(const char *, const char *);
int __wrap_linkat(int, const char *, int, const char *, int);
int __wrap_symlink(const char *, const char *);
int __wrap_symlinkat(const char *, int, const char *);
int __wrap_truncate(const char *, off_t);
int __wrap_chmod(const char *, mode_t);
int __wrap_fchmodat(int, const char *, mode_t, int);
int __wrap_chown(const char *, uid_t, gid_t);
int __wrap_lchown(const char *, uid_t, gid_t);
int __wrap_fchownat(int, const char *, uid_t, gid_t, int);
int __wrap_utimensat(int, const char *, const struct timespec *, int);
int __wrap_mknod(const char *, mode_t, dev_t);
int __wrap_mknodat(int, const char *, mode_t, dev_t);

static int
set_errno(int e)
{
	errno = e;
	return -1;
}

/* Whether a failure in the override folder leaves the answer to the
 * artifact: the folder does not hold the path, and there is an artifact
 * (a program not bundled has only the folder). */
static int
absent(int r)
{
	return r < 0 && (errno == ENOENT || errno == ENOTDIR) && fp_mount_bundled();
}

/* Whether the override folder holds m's path: 0 and *st, or -1. */
static int
override_stat(const struct fp_mpath *m, struct stat *st)
{
	char buf[PATH_MAX];
	const char *o = fp_mount_override(m, buf, sizeof(buf));

	if (o == NULL)
		return -1;
	return __real_fstatat(AT_FDCWD, o, st, AT_SYMLINK_NOFOLLOW);
}

/* The errno of a call that would write at m, as a read-only file system
 * answers it, counting the override folder's files as there. */
static int
write_error(const struct fp_mpath *m, enum fp_write w)
{
	struct stat st;

	return fp_mount_write_error(m, w, override_stat(m, &st) == 0);
}

/* --- opening ---------------------------------------------------------------- */

static int
open_mine(const struct fp_mpath *m, int flags)
{
	char buf[PATH_MAX];
	struct stat st;
	const char *o;
	int fd;

	if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC))) {
		if (override_stat(m, &st) < 0)
			return fp_mount_open(m, flags);
		if ((flags & O_CREAT) && (flags & O_EXCL))
			return set_errno(EEXIST);
		return set_errno(S_ISDIR(st.st_mode) ? EISDIR : EROFS);
	}
	if ((o = fp_mount_override(m, buf, sizeof(buf))) != NULL &&
	    !absent(fd = __real_open(o, flags)))
		return fd;
	return fp_mount_open(m, flags);
}

/* The mode argument, which is there only when the flags create a file. */
static mode_t
mode_arg(int flags, va_list ap)
{
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		return va_arg(ap, mode_t);
	return 0;
}

int
__wrap_open(const char *path, int flags, ...)
{
	struct fp_mpath m;
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	fp_mount_resolve(path, &m);
	if (!FP_IN_MOUNT(&m))
		return __real_open(m.real, flags, mode);
	return open_mine(&m, flags);
}

int
__wrap_openat(int dirfd, const char *path, int flags, ...)
{
	struct fp_mpath m;
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	fp_mount_resolve(path, &m);
	if (!FP_IN_MOUNT(&m))
		return __real_openat(dirfd, m.real, flags, mode);
	return open_mine(&m, flags);
}

int
__wrap_creat(const char *path, mode_t mode)
{
	return __wrap_open(path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

/* The open(2) flags of a stdio mode, as fopen(3) defines them. */
static int
mode_flags(const char *mode)
{
	int flags = strchr(mode, 'e') != NULL ? O_CLOEXEC : 0;

	flags |= strchr(mode, '+') != NULL ? O_RDWR :
	    mode[0] == 'r' ? O_RDONLY : O_WRONLY;
	if (mode[0] == 'w')
		flags |= O_CREAT | O_TRUNC;
	else if (mode[0] == 'a')
		flags |= O_CREAT | O_APPEND;
	return flags;
}

static FILE *
fopen_mine(const struct fp_mpath *m, const char *mode)
{
	int fd = open_mine(m, mode_flags(mode));
	FILE *f;

	if (fd < 0)
		return NULL;
	if ((f = fdopen(fd, mode)) == NULL)
		close(fd);
	return f;
}

FILE *
__wrap_fopen(const char *path, const char *mode)
{
	struct fp_mpath m;

	fp_mount_resolve(path, &m);
	if (!FP_IN_MOUNT(&m))
		return __real_fopen(m.real, mode);
	return fopen_mine(&m, mode);
}

/* The stream f now reads the asset: its descriptor is replaced in place, so
 * f (stdin, say) keeps its number, and the C library resets the stream. On
 * failure f is closed, as freopen closes it. */
FILE *
__wrap_freopen(const char *path, const char *mode, FILE *f)
{
	struct fp_mpath m;
	int fd, cloexec = mode_flags(mode) & O_CLOEXEC, e;

	fp_mount_resolve(path, &m);
	if (!FP_IN_MOUNT(&m))
		return __real_freopen(m.real, mode, f);
	if ((fd = open_mine(&m, mode_flags(mode))) < 0) {
		e = errno;
		fclose(f);
		errno = e;
		return NULL;
	}
	fflush(f);
	if (fileno(f) < 0 || dup3(fd, fileno(f), cloexec) < 0) {
		e = errno;
		close(fd);
		fclose(f);
		errno = e;
		return NULL;
	}
	close(fd);
	clearerr(f);
	return __real_freopen(NULL, mode, f);
}

/* --- looking --------------------------------------------------------------- */

static int
stat_mine(const struct fp_mpath *m, struct stat *st, int flag)
{
	char buf[PATH_MAX];
	const char *o;
	int r;

	if ((o = fp_mount_override(m, buf, sizeof(buf))) != NULL &&
	    !absent(r = __real_fstatat(AT_FDCWD, o, st, flag)))
		return r;
	return fp_mount_stat(m, st);
}

int
__wrap_stat(const char *path, struct stat *st)
{
	struct fp_mpath m;

	fp_mount_resolve(path, &m);
	if (!FP_IN_MOUNT(&m))
		return __real_stat(m.real, st);
	return stat_mine(&m, st, 0);
}

int
__wrap_lstat(const char *path, struct stat *st)
{
	struct fp_mpath m;

	fp_mount_resolve(path, &m);
	if (!FP_IN_MOUNT(&m))
		return __real_lstat(m.real, st);
	return stat_mine(&m, st, AT_SYMLINK_NOFOLLOW);
}

int
__wrap_fstatat(int dirfd, const char *path, struct stat *st, int flag)
{
	struct fp_mpath m;

	fp_mount_resolve(path, &m);
	if (!FP_IN_MOUNT(&m))
		return __real_fstatat(dirfd, m.real, st, flag);
	return stat_mine(&m, st, flag & AT_SYMLINK_NOFOLLOW);
}

static int
access_mine(const struct fp_mpath *m, int mode)
{
	char buf[PATH_MAX];
	const char *o;
	int r;

	if (mode & W_OK)
		return set_errno(write_error(m, FP_W_FILE));
	if ((o = fp_mount_override(m, buf, sizeof(buf))) != NULL &&
	    !absent(r = __real_access(o, mode)))
		return r;
	return fp_mount_access(m, mode);
}

int
__wrap_access(const char *path, int mode)
{
	struct fp_mpath m;

	fp_mount_resolve(path, &m);
	if (!FP_IN_MOUNT(&m))
		return __real_access(m.real, mode);
	return access_mine(&m, mode);
}

int
__wrap_faccessat(int dirfd, const char *path, int mode, int flag)
{
	struct fp_mpath m;

	fp_mount_resolve(path, &m);
	if (!FP_IN_MOUNT(&m))
		return __real_faccessat(dirfd, m.real, mode, flag);
	return access_mine(&m, mode);
}

/* The mount's own path for an existing file, even when the override
 * folder holds it: the program opens it there again, and the override
 * answers. */
char *
__wrap_realpath(const char *path, char *resolved)
{
	struct fp_mpath m;
	struct stat st;

	fp_mount_resolve(path, &m);
	if (!FP_IN_MOUNT(&m))
		return __real_realpath(m.real, resolved);
	if (stat_mine(&m, &st, 0) < 0)
		return NULL;
	m.err = 0;
	return fp_mount_realpath(&m, resolved);
}

static ssize_t
readlink_mine(const struct fp_mpath *m, char *buf, size_t len)
{
	char ob[PATH_MAX];
	const char *o;
	ssize_t r;

	if ((o = fp_mount_override(m, ob, sizeof(ob))) != NULL &&
	    !absent((int)(r = __real_readlink(o, buf, len))))
		return r;
	if (m->err != 0)
		return set_errno(m->err);
	return set_errno(EINVAL);   /* the mount holds no links */
}

ssize_t
__wrap_readlink(const char *path, char *buf, size_t len)
{
	struct fp_mpath m;

	fp_mount_resolve(path, &m);
	if (!FP_IN_MOUNT(&m))
		return __real_readlink(m.real, buf, len);
	return readlink_mine(&m, buf, len);
}

ssize_t
__wrap_readlinkat(int dirfd, const char *path, char *buf, size_t len)
{
	struct fp_mpath m;

	fp_mount_resolve(path, &m);
	if (!FP_IN_MOUNT(&m))
		return __real_readlinkat(dirfd, m.real, buf, len);
	return readlink_mine(&m, buf, len);
}

/* --- folders ------------------------------------------------------------- */

/* The folder's entries, and with an override folder the names it holds as
 * well (one entry per name; the folder's type wins). */
DIR *
__wrap_opendir(const char *path)
{
	char buf[PATH_MAX];
	struct fp_mpath m;
	struct fp_vdir *vd;
	struct dirent *de;
	const char *o;
	DIR *rd;
	int e;

	fp_mount_resolve(path, &m);
	if (!FP_IN_MOUNT(&m))
		return __real_opendir(m.real);
	vd = fp_vdir_open(&m);
	e = errno;
	if ((o = fp_mount_override(&m, buf, sizeof(buf))) == NULL)
		return (DIR *)vd;
	if ((rd = __real_opendir(o)) == NULL) {
		if (!fp_mount_bundled())
			return NULL;   /* the folder's answer is the only one */
		errno = e;
		return (DIR *)vd;
	}
	if (vd == NULL)
		return rd;
	while ((de = __real_readdir(rd)) != NULL)
		if (fp_vdir_add(vd, de->d_name, de->d_type) < 0) {
			__real_closedir(rd);
			fp_vdir_close(vd);
			errno = ENOMEM;
			return NULL;
		}
	__real_closedir(rd);
	return (DIR *)vd;
}

struct dirent *
__wrap_readdir(DIR *dir)
{
	struct fp_vdir *vd = fp_vdir_of(dir);

	return vd != NULL ? fp_vdir_read(vd) : __real_readdir(dir);
}

int
__wrap_closedir(DIR *dir)
{
	struct fp_vdir *vd = fp_vdir_of(dir);

	if (vd == NULL)
		return __real_closedir(dir);
	fp_vdir_close(vd);
	return 0;
}

void
__wrap_rewinddir(DIR *dir)
{
	struct fp_vdir *vd = fp_vdir_of(dir);

	if (vd != NULL)
		fp_vdir_seek(vd, 0);
	else
		__real_rewinddir(dir);
}

long
__wrap_telldir(DIR *dir)
{
	struct fp_vdir *vd = fp_vdir_of(dir);

	return vd != NULL ? fp_vdir_tell(vd) : __real_telldir(dir);
}

void
__wrap_seekdir(DIR *dir, long pos)
{
	struct fp_vdir *vd = fp_vdir_of(dir);

	if (vd != NULL)
		fp_vdir_seek(vd, pos);
	else
		__real_seekdir(dir, pos);
}

/* A folder of the mount has no descriptor (docs/MOUNT.md). */
int
__wrap_dirfd(DIR *dir)
{
	if (fp_vdir_of(dir) != NULL)
		return set_errno(ENOTSUP);
	return __real_dirfd(dir);
}

static void
free_names(struct dirent **names, size_t n)
{
	while (n > 0)
		free(names[--n]);
	free(names);
}

/* scandir over the calls above: the C library's own may not call the
 * wrapped opendir and readdir. */
static int
scandir_mine(const char *path, struct dirent ***res,
    int (*sel)(const struct dirent *),
    int (*cmp)(const struct dirent **, const struct dirent **))
{
	struct dirent **names = NULL, **grown, *de;
	size_t n = 0, cap = 0;
	DIR *d = __wrap_opendir(path);

	if (d == NULL)
		return -1;
	while ((de = __wrap_readdir(d)) != NULL) {
		if (sel != NULL && !sel(de))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((grown = realloc(names, cap * sizeof(*names))) == NULL)
				goto nomem;
			names = grown;
		}
		if ((names[n] = malloc(de->d_reclen)) == NULL)
			goto nomem;
		memcpy(names[n++], de, de->d_reclen);
	}
	__wrap_closedir(d);
	if (cmp != NULL && n > 1)
		qsort(names, n, sizeof(*names),
		    (int (*)(const void *, const void *))cmp);
	*res = names;
	return (int)n;
nomem:
	__wrap_closedir(d);
	free_names(names, n);
	errno = ENOMEM;
	return -1;
}

int
__wrap_scandir(const char *path, struct dirent ***res,
    int (*sel)(const struct dirent *),
    int (*cmp)(const struct dirent **, const struct dirent **))
{
	struct fp_mpath m;

	fp_mount_resolve(path, &m);
	if (!FP_IN_MOUNT(&m))
		return __real_scandir(m.real, res, sel, cmp);
	return scandir_mine(m.buf, res, sel, cmp);
}

/* --- writing: refused inside the mount --------------------------------- */

/* -1 with the read-only file system's errno when path is in the mount;
 * else 0, and m->real is the path to hand on. */
static int
refused(const char *path, enum fp_write w, struct fp_mpath *m)
{
	fp_mount_resolve(path, m);
	if (!FP_IN_MOUNT(m))
		return 0;
	return set_errno(write_error(m, w));
}

/* A call that would change path, of kind w (mount.h). */
#define WRITE(name, w, proto, args)                                   \
int                                                                          \
__wrap_##name proto                                                          \
{                                                                            \
	struct fp_mpath m;                                                    \
                                                                             \
	if (refused(path, w, &m) < 0)                                         \
		return -1;                                                    \
	path = m.real;                                                        \
	return __real_##name args;                                            \
}

WRITE(mkdir, FP_W_CREATE, (const char *path, mode_t mode), (path, mode))
WRITE(mkdirat, FP_W_CREATE,
    (int dirfd, const char *path, mode_t mode), (dirfd, path, mode))
WRITE(rmdir, FP_W_REMOVE, (const char *path), (path))
WRITE(unlink, FP_W_REMOVE, (const char *path), (path))
WRITE(unlinkat, FP_W_REMOVE, (int dirfd, const char *path, int flag),
    (dirfd, path, flag))
WRITE(remove, FP_W_REMOVE, (const char *path), (path))
WRITE(truncate, FP_W_FILE, (const char *path, off_t len), (path, len))
WRITE(chmod, FP_W_FILE, (const char *path, mode_t mode), (path, mode))
WRITE(fchmodat, FP_W_FILE,
    (int dirfd, const char *path, mode_t mode, int flag),
    (dirfd, path, mode, flag))
WRITE(chown, FP_W_FILE, (const char *path, uid_t u, gid_t g), (path, u, g))
WRITE(lchown, FP_W_FILE, (const char *path, uid_t u, gid_t g), (path, u, g))
WRITE(fchownat, FP_W_FILE,
    (int dirfd, const char *path, uid_t u, gid_t g, int flag),
    (dirfd, path, u, g, flag))
WRITE(mknod, FP_W_CREATE, (const char *path, mode_t mode, dev_t dev),
    (path, mode, dev))
WRITE(mknodat, FP_W_CREATE,
    (int dirfd, const char *path, mode_t mode, dev_t dev),
    (dirfd, path, mode, dev))
WRITE(symlink, FP_W_CREATE, (const char *target, const char *path),
    (target, path))
WRITE(symlinkat, FP_W_CREATE,
    (const char *target, int dirfd, const char *path), (target, dirfd, path))

/* utimensat with no path (NULL) works on dirfd itself. */
int
__wrap_utimensat(int dirfd, const char *path, const struct timespec *t,
    int flag)
{
	struct fp_mpath m;

	if (path == NULL)
		return __real_utimensat(dirfd, path, t, flag);
	if (refused(path, FP_W_FILE, &m) < 0)
		return -1;
	return __real_utimensat(dirfd, m.real, t, flag);
}

/* Two paths: either one in the mount refuses the call (of kinds w1, w2). */
#define WRITE2(name, w1, w2, proto, call)                                    \
int                                                                          \
__wrap_##name proto                                                          \
{                                                                            \
	struct fp_mpath m1, m2;                                               \
                                                                             \
	if (refused(from, w1, &m1) < 0 || refused(to, w2, &m2) < 0)           \
		return -1;                                                    \
	return call;                                                          \
}

WRITE2(rename, FP_W_REMOVE, FP_W_REMOVE, (const char *from, const char *to),
    __real_rename(m1.real, m2.real))
WRITE2(renameat, FP_W_REMOVE, FP_W_REMOVE,
    (int fd1, const char *from, int fd2, const char *to),
    __real_renameat(fd1, m1.real, fd2, m2.real))
WRITE2(link, FP_W_FILE, FP_W_CREATE, (const char *from, const char *to),
    __real_link(m1.real, m2.real))
WRITE2(linkat, FP_W_FILE, FP_W_CREATE,
    (int fd1, const char *from, int fd2, const char *to, int flag),
    __real_linkat(fd1, m1.real, fd2, m2.real, flag))
#ifdef FATPACK_SAN_TOOLCHAIN
/* --- glibc's large-file names (wraps.h, FP_WRAPS_GLIBC) ------------------
 * On the 64-bit targets glibc's struct stat64 and dirent64 are struct stat
 * and dirent, so these are the calls above under other names. */
_Static_assert(sizeof(struct stat64) == sizeof(struct stat), "stat64");
_Static_assert(sizeof(struct dirent64) == sizeof(struct dirent), "dirent64");

int __real_open64(const char *, int, ...);
int __real_openat64(int, const char *, int, ...);
int __real_creat64(const char *, mode_t);
FILE *__real_fopen64(const char *, const char *);
FILE *__real_freopen64(const char *, const char *, FILE *);
int __real_stat64(const char *, struct stat64 *);
int __real_lstat64(const char *, struct stat64 *);
int __real_fstatat64(int, const char *, struct stat64 *, int);
struct dirent64 *__real_readdir64(DIR *);
int __real_scandir64(const char *, struct dirent64 ***,
    int (*)(const struct dirent64 *),
    int (*)(const struct dirent64 **, const struct dirent64 **));
int __real_truncate64(const char *, off64_t);

int __wrap_open64(const char *, int, ...);
int __wrap_openat64(int, const char *, int, ...);
int __wrap_creat64(const char *, mode_t);
FILE *__wrap_fopen64(const char *, const char *);
FILE *__wrap_freopen64(const char *, const char *, FILE *);
int __wrap_stat64(const char *, struct stat64 *);
int __wrap_lstat64(const char *, struct stat64 *);
int __wrap_fstatat64(int, const char *, struct stat64 *, int);
struct dirent64 *__wrap_readdir64(DIR *);
int __wrap_scandir64(const char *, struct dirent64 ***,
    int (*)(const struct dirent64 *),
    int (*)(const struct dirent64 **, const struct dirent64 **));
int __wrap_truncate64(const char *, off64_t);

int
__wrap_open64(const char *path, int flags, ...)
{
	struct fp_mpath m;
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	fp_mount_resolve(path, &m);
	if (!FP_IN_MOUNT(&m))
		return __real_open64(m.real, flags, mode);
	return open_mine(&m, flags);
}

int
__wrap_openat64(int dirfd, const char *path, int flags, ...)
{
	struct fp_mpath m;
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	fp_mount_resolve(path, &m);
	if (!FP_IN_MOUNT(&m))
		return __real_openat64(dirfd, m.real, flags, mode);
	return open_mine(&m, flags);
}

int
__wrap_creat64(const char *path, mode_t mode)
{
	return __wrap_open64(path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

FILE *
__wrap_fopen64(const char *path, const char *mode)
{
	struct fp_mpath m;

	fp_mount_resolve(path, &m);
	if (!FP_IN_MOUNT(&m))
		return __real_fopen64(m.real, mode);
	return fopen_mine(&m, mode);
}

FILE *
__wrap_freopen64(const char *path, const char *mode, FILE *f)
{
	struct fp_mpath m;

	fp_mount_resolve(path, &m);
	if (!FP_IN_MOUNT(&m))
		return __real_freopen64(m.real, mode, f);
	return __wrap_freopen(path, mode, f);
}

int
__wrap_stat64(const char *path, struct stat64 *st)
{
	struct fp_mpath m;

	fp_mount_resolve(path, &m);
	if (!FP_IN_MOUNT(&m))
		return __real_stat64(m.real, st);
	return stat_mine(&m, (struct stat *)st, 0);
}

int
__wrap_lstat64(const char *path, struct stat64 *st)
{
	struct fp_mpath m;

	fp_mount_resolve(path, &m);
	if (!FP_IN_MOUNT(&m))
		return __real_lstat64(m.real, st);
	return stat_mine(&m, (struct stat *)st, AT_SYMLINK_NOFOLLOW);
}

int
__wrap_fstatat64(int dirfd, const char *path, struct stat64 *st, int flag)
{
	struct fp_mpath m;

	fp_mount_resolve(path, &m);
	if (!FP_IN_MOUNT(&m))
		return __real_fstatat64(dirfd, m.real, st, flag);
	return stat_mine(&m, (struct stat *)st, flag & AT_SYMLINK_NOFOLLOW);
}

struct dirent64 *
__wrap_readdir64(DIR *dir)
{
	struct fp_vdir *vd = fp_vdir_of(dir);

	if (vd == NULL)
		return __real_readdir64(dir);
	return (struct dirent64 *)(void *)fp_vdir_read(vd);
}

int
__wrap_scandir64(const char *path, struct dirent64 ***res,
    int (*sel)(const struct dirent64 *),
    int (*cmp)(const struct dirent64 **, const struct dirent64 **))
{
	struct fp_mpath m;

	fp_mount_resolve(path, &m);
	if (!FP_IN_MOUNT(&m))
		return __real_scandir64(m.real, res, sel, cmp);
	return scandir_mine(m.buf, (struct dirent ***)res,
	    (int (*)(const struct dirent *))sel,
	    (int (*)(const struct dirent **, const struct dirent **))cmp);
}

int
__wrap_truncate64(const char *path, off64_t len)
{
	struct fp_mpath m;

	if (refused(path, FP_W_FILE, &m) < 0)
		return -1;
	return __real_truncate64(m.real, len);
}
#endif
