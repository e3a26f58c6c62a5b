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
 * any file, and nothing is ever written anywhere. Each open has its own
 * memfd, hence its own offset, as two opens of a file have.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

/* The override folder made absolute now: a later chdir must not move it. */
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
	if (n < 0 || (size_t)n >= sizeof(override_dir))
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

/* The folder buf[0..n) (inside the mount) as a place to go on from: 0, or
 * ENOENT / ENOTDIR. A program not bundled has no tree to ask: its folder is
 * the override's, which the kernel will judge. */
static int
walkable(const char *buf, size_t n)
{
	int is_dir;

	if (n == mount_len || tree == NULL)
		return 0;
	if (lookup(buf + mount_len + 1, n - mount_len - 1, &is_dir) < 0)
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
	m->rel = n > mount_len ? mount_len + 1 : n;
	m->err = e;
}

const char *
fp_mount_override(const struct fp_mpath *m, char *buf, size_t cap)
{
	const char *rel = m->buf + m->rel;
	int n;

	if (override_dir[0] == '\0')
		return NULL;
	n = snprintf(buf, cap, "%s%s%s", override_dir, *rel ? "/" : "", rel);
	return n >= 0 && (size_t)n < cap ? buf : NULL;
}

int
fp_mount_write_error(const struct fp_mpath *m, int creating)
{
	if (m->err == ENOENT && creating && m->parent_ok)
		return EROFS;
	if (m->err != 0)
		return m->err;
	return creating ? EEXIST : EROFS;
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

/* A sealed memfd holding size bytes of data: it can be read, mapped and
 * locked, and never changed. */
static int
memfd_of(const char *name, const void *data, size_t size, int cloexec)
{
	unsigned seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;
	size_t done = 0;
	ssize_t w;
	int fd;

	fd = memfd_create(name, MFD_ALLOW_SEALING | (cloexec ? MFD_CLOEXEC : 0));
	if (fd < 0)
		return -1;
	while (done < size) {
		w = pwrite(fd, (const char *)data + done, size - done, (off_t)done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		done += (size_t)w;
	}
	if (fcntl(fd, F_ADD_SEALS, seals) < 0)
		goto fail;
	return fd;
fail:
	w = errno;
	close(fd);
	errno = (int)w;
	return -1;
}

int
fp_mount_open(const struct fp_mpath *m, int flags)
{
	const char *name, *slash;
	const void *data;
	size_t size;

	if (m->err != 0)
		return set_errno(flags & O_CREAT ? fp_mount_write_error(m, 1) : m->err);
	if ((flags & O_CREAT) && (flags & O_EXCL))
		return set_errno(EEXIST);
	if (m->is_dir)   /* no folder descriptors: docs/MOUNT.md */
		return set_errno(EISDIR);
	if (flags & O_DIRECTORY)
		return set_errno(ENOTDIR);
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC))
		return set_errno(EROFS);
	if (fatpack_get_at((size_t)m->index, &data, &size) != 0)
		return set_errno(EIO);
	name = m->buf + m->rel;
	if ((slash = strrchr(name, '/')) != NULL)
		name = slash + 1;
	return memfd_of(name, data, size, flags & O_CLOEXEC);
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

/* The first entry whose path is not below key in bytewise order. */
static size_t
lower_bound(const char *key)
{
	size_t lo = 0, hi = tree->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(tree->paths[mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The entries right below the folder rel ("" the mount): the index is
 * sorted, so they lie in the run of paths that start with "rel/". */
static int
vdir_children(struct fp_vdir *d, const char *rel)
{
	size_t plen = *rel ? strlen(rel) + 1 : 0, i;
	char prefix[PATH_MAX];
	struct fatpack_entry e;
	const char *name;

	if (tree == NULL)
		return 0;
	snprintf(prefix, sizeof(prefix), "%s%s", rel, *rel ? "/" : "");
	for (i = plen ? lower_bound(prefix) : 0; i < tree->count; i++) {
		if (strncmp(tree->paths[i], prefix, plen) != 0)
			break;
		name = tree->paths[i] + plen;
		if (strchr(name, '/') != NULL || fp_reader_entry(tree, i, &e) != 0)
			continue;
		if (vdir_push(d, name, strlen(name), e.type == FATPACK_DIR ?
		    DT_DIR : DT_REG, (ino_t)(i + 2)) < 0)
			return -1;
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
	int parent_dir;
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
	    vdir_push(d, "..", 2, DT_DIR, (ino_t)(parent + 2)) < 0 ||
	    vdir_children(d, rel) < 0) {
		vdir_free(d);
		errno = ENOMEM;
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
