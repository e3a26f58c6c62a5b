/*
 * mount.c - the assets as read-only files under one path (docs/MOUNT.md).
 *
 * Paths are resolved the way the kernel would, without asking it: '//' and
 * '.' dropped, '..' taken back one component, a component that is a file
 * where a folder is needed ENOTDIR. The mount holds no links, so doing this
 * on the text is exact inside it; outside it the text is handed on as given
 * (or, when it went through the mount, as resolved: the kernel would not
 * find the mount's folders).
 *
 * An opened asset is a sealed memfd holding its decoded bytes: a real
 * descriptor, so read, pread, lseek, fstat, mmap and fcntl locks behave as on
 * any file, and nothing is ever written anywhere. The process keeps one
 * memfd per asset, made at its first open; each open reopens it through
 * /proc/self/fd (its own offset, read-only, the same pages), or without
 * /proc gets a copy of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fatpack.h"
#include "inspect/inspect.h"
#include "mount.h"
#include "runtime.h"

/* A device number no real file system gets: anonymous ones count up from
 * minor 0, and this is the last minor there is. */
#define MOUNT_DEV makedev(0, 0xfffff)

static pthread_once_t conf_once = PTHREAD_ONCE_INIT;
static struct fp_mount_conf conf;
static size_t mount_len;                 /* 0: no mount */
static char override_dir[PATH_MAX];      /* absolute; "" when none */
static const struct fp_reader *tree;     /* NULL for a program not bundled */

/* The override folder made absolute now: a later chdir must not move it.
 * One inside the mount would stand for itself: ignored. */
static void
set_override(const char *dir)
{
	char cwd[PATH_MAX];
	int n;

	if (dir[0] == '/')
		n = snprintf(override_dir, sizeof(override_dir), "%s", dir);
	else if (getcwd(cwd, sizeof(cwd)) != NULL)
		n = snprintf(override_dir, sizeof(override_dir), "%s/%s", cwd, dir);
	else
		n = -1;
	if (n < 0 || (size_t)n >= sizeof(override_dir) ||
	    (strncmp(override_dir, conf.mount, mount_len) == 0 &&
	    (override_dir[mount_len] == '/' || override_dir[mount_len] == '\0')))
		override_dir[0] = '\0';
}

static void
conf_init(void)
{
	int saved = errno, r = fp_runtime_init(NULL, 0);

	/* A bundled program whose payload is unusable has no mount: its
	 * assets are not there to show, and a folder must not stand in for
	 * them unasked. */
	if (r != 0 && r != FATPACK_ENOTFAT) {
		errno = saved;
		return;
	}
	tree = r == 0 ? fp_runtime_archive() : NULL;
	fp_mount_conf(tree, &conf);
	mount_len = strlen(conf.mount);
	if (conf.override != NULL)
		set_override(conf.override);
	errno = saved;
}

const char *
fp_mount_override_dir(void)
{
	pthread_once(&conf_once, conf_init);
	return override_dir[0] != '\0' ? override_dir : NULL;
}

int
fp_mount_bundled(void)
{
	pthread_once(&conf_once, conf_init);
	return tree != NULL;
}

/* --- the tree ------------------------------------------------------------ */

/* The entry at rel (not ""), or -1; *is_dir its type. */
static long
lookup(const char *rel, size_t len, int *is_dir)
{
	struct fatpack_entry e;
	long i;

	if (tree == NULL || (i = fp_reader_find(tree, rel, len)) < 0 ||
	    fp_reader_entry(tree, (size_t)i, &e) != 0)
		return -1;
	*is_dir = e.type == FATPACK_DIR;
	return i;
}

/* Whether buf[0..n) is the mount or below it. */
static int
inside(const char *buf, size_t n)
{
	return n >= mount_len && memcmp(buf, conf.mount, mount_len) == 0 &&
	    (n == mount_len || buf[mount_len] == '/');
}

/* For a program not bundled, the override folder's answer on the folder
 * rel[0..n): 0, ENOENT or ENOTDIR. */
static int
walkable_override(const char *rel, size_t n)
{
	char path[PATH_MAX];
	struct stat st;

	if (override_dir[0] == '\0')
		return ENOENT;
	if (snprintf(path, sizeof(path), "%s/%.*s", override_dir, (int)n, rel) >=
	    (int)sizeof(path) || stat(path, &st) < 0)
		return ENOENT;
	return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}

/* The folder buf[0..n) (inside the mount) as a place to go on from: 0, or
 * ENOENT / ENOTDIR. */
static int
walkable(const char *buf, size_t n)
{
	const char *rel = buf + mount_len + 1;
	int is_dir;

	if (n == mount_len)
		return 0;
	if (tree == NULL)
		return walkable_override(rel, n - mount_len - 1);
	if (lookup(rel, n - mount_len - 1, &is_dir) < 0)
		return ENOENT;
	return is_dir ? 0 : ENOTDIR;
}

/* Why rel (not in the index) is not there: a file on the way is ENOTDIR,
 * else ENOENT; *parent_ok when all but the last component are folders. */
static int
missing(const char *rel, int *parent_ok)
{
	const char *slash;
	int is_dir;

	*parent_ok = 1;
	for (slash = strchr(rel, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
		if (lookup(rel, (size_t)(slash - rel), &is_dir) < 0) {
			*parent_ok = 0;
			return ENOENT;
		}
		if (!is_dir) {
			*parent_ok = 0;
			return ENOTDIR;
		}
	}
	return ENOENT;
}

/* The last step: which entry buf names, given that the path asked for a
 * folder (a trailing '/', '.' or '..'). */
static void
finish(struct fp_mpath *m, size_t n, int want_dir)
{
	const char *rel = m->buf + (n > mount_len ? mount_len + 1 : n);

	m->real = NULL;
	m->want_dir = want_dir;
	m->rel = (size_t)(rel - m->buf);
	if (*rel == '\0') {
		m->index = -1;
		m->is_dir = 1;
		return;
	}
	m->index = lookup(rel, n - m->rel, &m->is_dir);
	if (m->index < 0) {
		m->err = tree == NULL ? ENOENT : missing(rel, &m->parent_ok);
		if (tree == NULL)
			m->parent_ok = 1;
	} else if (want_dir && !m->is_dir)
		m->err = ENOTDIR;
}

void
fp_mount_resolve(const char *path, struct fp_mpath *m)
{
	const char *p = path, *c;
	size_t n = 0, len;
	int entered = 0, want_dir = 0, e;

	m->real = path;
	m->err = 0;
	m->parent_ok = 0;
	m->is_dir = 0;
	m->want_dir = 0;
	m->walk_failed = 0;
	m->index = -1;
	if (path == NULL || path[0] != '/')
		return;
	pthread_once(&conf_once, conf_init);
	if (mount_len == 0)
		return;
	for (;;) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		c = p;
		while (*p != '\0' && *p != '/')
			p++;
		len = (size_t)(p - c);
		want_dir = *p == '/';
		if (len == 1 && c[0] == '.') {
			want_dir = 1;
			if (inside(m->buf, n) && (e = walkable(m->buf, n)) != 0)
				goto fail;
			continue;
		}
		if (len == 2 && c[0] == '.' && c[1] == '.') {
			want_dir = 1;
			if (inside(m->buf, n) && (e = walkable(m->buf, n)) != 0)
				goto fail;
			while (n > 0 && m->buf[--n] != '/')
				;
			continue;
		}
		if (n + 1 + len >= sizeof(m->buf) || len > NAME_MAX) {
			if (!inside(m->buf, n) && !entered)
				return;   /* the kernel's to refuse */
			e = ENAMETOOLONG;
			goto fail;
		}
		m->buf[n++] = '/';
		memcpy(m->buf + n, c, len);
		n += len;
		entered |= inside(m->buf, n);
	}
	m->buf[n] = '\0';
	if (!inside(m->buf, n)) {
		if (entered) {
			if (n == 0)
				m->buf[n++] = '/';
			m->buf[n] = '\0';
			m->real = m->buf;
		}
		return;
	}
	finish(m, n, want_dir);
	return;
fail:
	m->buf[n] = '\0';
	m->real = NULL;
	m->walk_failed = 1;
	m->rel = n > mount_len ? mount_len + 1 : n;
	m->err = e;
}

const char *
fp_mount_override(const struct fp_mpath *m, char *buf, size_t cap)
{
	const char *rel = m->buf + m->rel;
	int n;

	if (override_dir[0] == '\0' || m->walk_failed)
		return NULL;
	n = snprintf(buf, cap, "%s%s%s%s", override_dir, *rel ? "/" : "", rel,
	    m->want_dir && *rel ? "/" : "");
	return n >= 0 && (size_t)n < cap ? buf : NULL;
}

int
fp_mount_write_error(const struct fp_mpath *m, enum fp_write w, int there)
{
	if (there || m->err == 0)
		return w == FP_W_CREATE ? EEXIST : EROFS;
	if (m->err == ENOENT && m->parent_ok && w != FP_W_FILE)
		return EROFS;
	return m->err;
}

/* --- files ----------------------------------------------------------------- */

static int
set_errno(int e)
{
	errno = e;
	return -1;
}

int
fp_mount_stat(const struct fp_mpath *m, struct stat *st)
{
	struct fatpack_entry e = { .mode = 0755, .type = FATPACK_DIR };
	const char *bt;

	if (m->err != 0)
		return set_errno(m->err);
	if (m->index >= 0 && fp_reader_entry(tree, (size_t)m->index, &e) != 0)
		return set_errno(EIO);
	if (m->index < 0 && (bt = fatpack_meta("build_time")) != NULL)
		e.mtime = strtoll(bt, NULL, 10);
	memset(st, 0, sizeof(*st));
	st->st_dev = MOUNT_DEV;
	st->st_ino = (ino_t)(m->index + 2);
	st->st_mode = (e.type == FATPACK_DIR ? S_IFDIR : S_IFREG) | (e.mode & 07777);
	st->st_nlink = e.type == FATPACK_DIR ? 2 : 1;
	st->st_size = (off_t)e.size;
	st->st_blksize = 4096;
	st->st_blocks = (blkcnt_t)((e.size + 511) / 512);
	st->st_atim.tv_sec = st->st_mtim.tv_sec = st->st_ctim.tv_sec = e.mtime;
	return 0;
}

/* A descriptor the runtime keeps, with the file it had when made: the
 * program may close it (a daemon's start) or put another file at its
 * number (dup2), and only the device and inode tell. Never closed by the
 * runtime once kept: the number may be the program's by then. */
struct kept {
	_Atomic int fd1;          /* descriptor + 1; 0: none yet */
	_Atomic dev_t dev;
	_Atomic ino_t ino;
};

static struct kept *memfds;   /* one per entry: its decoded bytes */
static struct kept procfd;    /* /proc/self/fd, to reopen them */
static pthread_once_t memfds_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;

static void
memfds_init(void)
{
	memfds = calloc(tree->count ? tree->count : 1, sizeof(*memfds));
}

static int
kept_fd(struct kept *k)
{
	return atomic_load(&k->fd1) - 1;
}

static int
is_file(struct kept *k, const struct stat *st)
{
	return st->st_dev == atomic_load(&k->dev) && st->st_ino == atomic_load(&k->ino);
}

/* k's descriptor, made again by make(i) when the program took it; called
 * under kept_lock. The file is stored before the number, so a reader that
 * sees the new number compares with the new file. */
static int
renew(struct kept *k, int (*make)(size_t), size_t i)
{
	struct stat st;
	int fd = kept_fd(k);

	if (fd >= 0 && fstat(fd, &st) == 0 && is_file(k, &st))
		return fd;
	if ((fd = make(i)) < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -1;
	}
	atomic_store(&k->dev, st.st_dev);
	atomic_store(&k->ino, st.st_ino);
	atomic_store(&k->fd1, fd + 1);
	return fd;
}

/* The name of entry i's memfd (shown in /proc/PID/fd): its last component.
 * The entry was decoded already, so it passed its checks. */
static const char *
memfd_name(size_t i)
{
	struct fatpack_entry e;
	const char *slash;

	if (fp_reader_entry(tree, i, &e) != 0)
		return "asset";
	slash = strrchr(e.path, '/');
	return slash != NULL ? slash + 1 : e.path;
}

/* A new memfd with entry i's bytes, decoded (and checked) now. */
static int
new_memfd(size_t i)
{
	void *data;
	size_t size;
	int fd, e;

	if (fp_reader_decode(tree, i, &data, &size) != 0)
		return set_errno(EIO);
	fd = fp_memfd_of(memfd_name(i), data, size);
	e = errno;
	free(data);
	errno = e;
	return fd;
}

static int
open_procfd(size_t unused)
{
	(void)unused;
	return (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/fd",
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* The memfd of entry i reopened as procfs allows: a descriptor of its own
 * (offset, flags), read-only, on the same pages. -1 unless the file opened
 * is that memfd. */
static int
via_proc(int dir, size_t i, int cloexec)
{
	struct kept *k = &memfds[i];
	char name[16];
	struct stat st;
	int fd = kept_fd(k), nfd;

	if (dir < 0 || fd < 0)
		return -1;
	snprintf(name, sizeof(name), "%d", fd);
	nfd = (int)syscall(SYS_openat, dir, name, O_RDONLY | cloexec);
	if (nfd < 0)
		return -1;
	if (fstat(nfd, &st) == 0 && is_file(k, &st))
		return nfd;
	close(nfd);
	return -1;
}

/* Without /proc: a sealed copy of the memfd fd in a new memfd, filled by
 * the kernel. */
static int
copy_of(int fd, size_t i, int cloexec)
{
	unsigned seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;
	off_t off = 0;
	struct stat st;
	int nfd;

	if (fstat(fd, &st) < 0 || (nfd = memfd_create(memfd_name(i),
	    MFD_ALLOW_SEALING | (cloexec ? MFD_CLOEXEC : 0))) < 0)
		return -1;
	while (off < st.st_size)
		if (sendfile(nfd, fd, &off, (size_t)(st.st_size - off)) <= 0 &&
		    errno != EINTR)
			goto fail;
	if (lseek(nfd, 0, SEEK_SET) != 0 || fcntl(nfd, F_ADD_SEALS, seals) < 0)
		goto fail;
	return nfd;
fail:
	close(nfd);
	return set_errno(EIO);
}

void
fp_mount_prepare(void)
{
	pthread_once(&conf_once, conf_init);
	if (mount_len == 0 || tree == NULL)
		return;
	pthread_mutex_lock(&kept_lock);
	renew(&procfd, open_procfd, 0);
	pthread_mutex_unlock(&kept_lock);
}

/* Entry i opened for reading. The fast way is one openat in the kept
 * /proc/self/fd and one fstat; the first open of an asset, and any open
 * after the program took a kept descriptor, goes the slow way. */
static int
open_entry(size_t i, int cloexec)
{
	static int no_proc;
	int fd, dir = -1, nfd;

	pthread_once(&memfds_once, memfds_init);
	if (memfds == NULL)
		return set_errno(ENOMEM);
	if ((nfd = via_proc(kept_fd(&procfd), i, cloexec)) >= 0)
		return nfd;
	pthread_mutex_lock(&kept_lock);
	fd = renew(&memfds[i], new_memfd, i);
	if (fd >= 0 && !no_proc && (dir = renew(&procfd, open_procfd, 0)) < 0)
		no_proc = 1;
	pthread_mutex_unlock(&kept_lock);
	if (fd < 0)
		return -1;
	if ((nfd = via_proc(dir, i, cloexec)) >= 0)
		return nfd;
	return copy_of(fd, i, cloexec);
}

int
fp_mount_open(const struct fp_mpath *m, int flags)
{
	if (m->err != 0)
		return set_errno(flags & O_CREAT ?
		    fp_mount_write_error(m, FP_W_CREATE, 0) : m->err);
	if ((flags & O_CREAT) && (flags & O_EXCL))
		return set_errno(EEXIST);
	if (m->is_dir)   /* no folder descriptors: docs/MOUNT.md */
		return set_errno(EISDIR);
	if (flags & O_DIRECTORY)
		return set_errno(ENOTDIR);
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC))
		return set_errno(EROFS);
	return open_entry((size_t)m->index, flags & O_CLOEXEC);
}

int
fp_mount_access(const struct fp_mpath *m, int mode)
{
	struct stat st;

	if (fp_mount_stat(m, &st) < 0)
		return -1;
	if (mode & W_OK)
		return set_errno(EROFS);
	if ((mode & X_OK) && !(st.st_mode & 0111))
		return set_errno(EACCES);
	return 0;
}

char *
fp_mount_realpath(const struct fp_mpath *m, char *resolved)
{
	if (m->err != 0) {
		errno = m->err;
		return NULL;
	}
	if (resolved == NULL)
		return strdup(m->buf);
	return strcpy(resolved, m->buf);
}

/* --- folders ------------------------------------------------------------- */

struct vname {
	char *name;
	unsigned char type;
	ino_t ino;
};

struct fp_vdir {
	struct fp_vdir *next;       /* the open ones, for fp_vdir_of */
	struct vname *v;
	size_t n, cap, pos;
	struct dirent de;
};

static pthread_mutex_t dirs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fp_vdir *dirs;
static atomic_size_t dirs_open;

static int
vdir_push(struct fp_vdir *d, const char *name, size_t len,
    unsigned char type, ino_t ino)
{
	struct vname *v;

	if (len > NAME_MAX)      /* a name no dirent can hold: not listed */
		return 0;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;

		if ((v = realloc(d->v, cap * sizeof(*v))) == NULL)
			return -1;
		d->v = v;
		d->cap = cap;
	}
	if ((d->v[d->n].name = strndup(name, len)) == NULL)
		return -1;
	d->v[d->n].type = type;
	d->v[d->n].ino = ino;
	d->n++;
	return 0;
}

/* The entries right below the folder rel ("" the mount): the index is
 * sorted, so they lie in the run of paths that start with "rel/". 0, or
 * ENOMEM, or EIO when an entry of the run is corrupt. */
static int
vdir_children(struct fp_vdir *d, const char *rel)
{
	size_t plen = *rel ? strlen(rel) + 1 : 0, i = 0;
	char prefix[PATH_MAX];
	struct fatpack_entry e;
	const char *name;
	int r;

	if (tree == NULL)
		return 0;
	snprintf(prefix, sizeof(prefix), "%s%s", rel, *rel ? "/" : "");
	if (plen > 0 && fp_reader_lower_bound(tree, prefix, plen, &i) != 0)
		return EIO;
	for (; i < tree->count; i++) {
		if ((r = fp_reader_entry(tree, i, &e)) != 0)
			return r == FATPACK_ENOMEM ? ENOMEM : EIO;
		if (strncmp(e.path, prefix, plen) != 0)
			break;
		name = e.path + plen;
		if (strchr(name, '/') != NULL)
			continue;
		if (vdir_push(d, name, strlen(name), e.type == FATPACK_DIR ?
		    DT_DIR : DT_REG, (ino_t)(i + 2)) < 0)
			return ENOMEM;
	}
	return 0;
}

static void
vdir_free(struct fp_vdir *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].name);
	free(d->v);
	free(d);
}

struct fp_vdir *
fp_vdir_open(const struct fp_mpath *m)
{
	const char *rel = m->buf + m->rel, *slash = strrchr(rel, '/');
	struct fp_vdir *d;
	int parent_dir, err;
	long parent = -1;

	if (m->err != 0 || !m->is_dir) {
		errno = m->err != 0 ? m->err : ENOTDIR;
		return NULL;
	}
	if (slash != NULL)
		parent = lookup(rel, (size_t)(slash - rel), &parent_dir);
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	if (vdir_push(d, ".", 1, DT_DIR, (ino_t)(m->index + 2)) < 0 ||
	    vdir_push(d, "..", 2, DT_DIR, (ino_t)(parent + 2)) < 0)
		err = ENOMEM;
	else
		err = vdir_children(d, rel);
	if (err != 0) {
		vdir_free(d);
		errno = err;
		return NULL;
	}
	pthread_mutex_lock(&dirs_lock);
	d->next = dirs;
	dirs = d;
	atomic_fetch_add(&dirs_open, 1);
	pthread_mutex_unlock(&dirs_lock);
	return d;
}

int
fp_vdir_add(struct fp_vdir *d, const char *name, unsigned char type)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->v[i].name, name) == 0) {
			d->v[i].type = type;
			return 0;
		}
	return vdir_push(d, name, strlen(name), type, 0);
}

struct fp_vdir *
fp_vdir_of(void *dir)
{
	struct fp_vdir *d;

	if (dir == NULL || atomic_load(&dirs_open) == 0)
		return NULL;
	pthread_mutex_lock(&dirs_lock);
	for (d = dirs; d != NULL && (void *)d != dir; d = d->next)
		;
	pthread_mutex_unlock(&dirs_lock);
	return d;
}

struct dirent *
fp_vdir_read(struct fp_vdir *d)
{
	const struct vname *v;
	size_t len;

	if (d->pos >= d->n)
		return NULL;
	v = &d->v[d->pos++];
	len = strlen(v->name);
	memset(&d->de, 0, offsetof(struct dirent, d_name));
	d->de.d_ino = v->ino;
	d->de.d_off = (off_t)d->pos;
	d->de.d_reclen = (unsigned short)((offsetof(struct dirent, d_name) +
	    len + 1 + 7) & ~(size_t)7);
	d->de.d_type = v->type;
	memcpy(d->de.d_name, v->name, len + 1);
	return &d->de;
}

void
fp_vdir_close(struct fp_vdir *d)
{
	struct fp_vdir **p;

	pthread_mutex_lock(&dirs_lock);
	for (p = &dirs; *p != NULL && *p != d; p = &(*p)->next)
		;
	if (*p != NULL) {
		*p = d->next;
		atomic_fetch_sub(&dirs_open, 1);
	}
	pthread_mutex_unlock(&dirs_lock);
	vdir_free(d);
}

long
fp_vdir_tell(struct fp_vdir *d)
{
	return (long)d->pos;
}

void
fp_vdir_seek(struct fp_vdir *d, long pos)
{
	d->pos = pos < 0 ? 0 : (size_t)pos;
}
