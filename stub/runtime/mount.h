/*
 * mount.h - the assets as read-only files under one path (docs/MOUNT.md).
 *
 * stub/runtime/wrap.c, linked in by `fatpack cc` with -Wl,--wrap, hands the
 * path of every file call to fp_mount_resolve: a path outside the mount goes
 * on to the C library, a path inside is answered here from the index. Not
 * installed; nothing here is called before the runtime has loaded.
 */
#ifndef FP_MOUNT_H
#define FP_MOUNT_H

#include <dirent.h>
#include <limits.h>
#include <stddef.h>
#include <sys/stat.h>

/* Where a path lies. */
struct fp_mpath {
	const char *real;     /* outside the mount: the path for the C library */
	int err;              /* inside: 0, or why the lookup failed (errno) */
	int parent_ok;        /* inside, err ENOENT: the parent is a folder */
	int is_dir;           /* inside, err 0 */
	int want_dir;         /* inside: the path ends in '/', '.' or '..' */
	int walk_failed;      /* inside: err is final, found on the way (a '..'
	                         after a file, a name too long) */
	long index;           /* inside, err 0: the entry; -1: the mount itself */
	size_t rel;           /* inside: offset in buf of the path below the
	                         mount, "" for the mount itself */
	char buf[PATH_MAX];   /* inside: the path as the kernel would resolve it */
};

#define FP_IN_MOUNT(m) ((m)->real == NULL)

/* The override folder in use (absolute), or NULL. */
const char *fp_mount_override_dir(void);

/* Whether the program is bundled (else only the override folder has
 * files, and its answers are final). */
int fp_mount_bundled(void);

/* Opens now what the mount opens lazily and a jail would forbid later
 * (/proc/self/fd, through which each open reopens an asset). */
void fp_mount_prepare(void);

/* Fills *m for path (NULL and relative paths are never in the mount). */
void fp_mount_resolve(const char *path, struct fp_mpath *m);

/* With an override folder in use, the file standing for m in it, written
 * into buf; NULL without one (or when the path would not fit). */
const char *fp_mount_override(const struct fp_mpath *m, char *buf, size_t cap);

/* What a call that would write does to its path, which decides its errno
 * on a read-only file system: the kernel looks a name up first for calls on
 * a file (ENOENT when it is missing), and asks for write access first for
 * calls on a folder's names (EROFS even for a missing name), but a name
 * that is there makes a creating call EEXIST. */
enum fp_write {
	FP_W_FILE,      /* truncate, chmod, chown, utimensat, access(W_OK) */
	FP_W_CREATE,    /* mkdir, mknod, symlink, link's new name, O_CREAT */
	FP_W_REMOVE,    /* unlink, rmdir, rename's two names */
};

/* The errno for a call of kind w at m (the lookup's own when the path
 * cannot be reached on the way). there: the name is known to be there. */
int fp_mount_write_error(const struct fp_mpath *m, enum fp_write w, int there);

/* The calls, as the C library's: -1 (NULL) with errno on failure. */
int fp_mount_stat(const struct fp_mpath *m, struct stat *st);
int fp_mount_open(const struct fp_mpath *m, int flags);
int fp_mount_access(const struct fp_mpath *m, int mode);
char *fp_mount_realpath(const struct fp_mpath *m, char *resolved);

/* A folder being read: "." and "..", the folder's entries, and (union)
 * names added from the override folder. The DIR * handed to the program is
 * a struct fp_vdir *; fp_vdir_of tells the two kinds apart. */
struct fp_vdir;
struct fp_vdir *fp_vdir_open(const struct fp_mpath *m);
int fp_vdir_add(struct fp_vdir *d, const char *name, unsigned char type);
struct fp_vdir *fp_vdir_of(void *dir);
struct dirent *fp_vdir_read(struct fp_vdir *d);
void fp_vdir_close(struct fp_vdir *d);
long fp_vdir_tell(struct fp_vdir *d);
void fp_vdir_seek(struct fp_vdir *d, long pos);

#endif
