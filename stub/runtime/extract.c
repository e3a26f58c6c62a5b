/*
 * extract.c - writing the assets to a folder (--fatpack-extract DIR).
 *
 * Everything is created relative to a descriptor of DIR, one path component
 * at a time with O_NOFOLLOW, so a symlink that exists under DIR (planted
 * before or during the extraction) is never followed, and nothing is written
 * outside DIR. Files are created with O_EXCL; an existing file is replaced
 * only with --force, and then it is unlinked first, never written through.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "format/format.h"
#include "runtime.h"

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

struct job {
	const struct fp_reader *a;
	const char *dir;
	const char *prog;
	int root;            /* descriptor of dir */
	int force;
};

static int
complain(const struct job *j, const char *path, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s/%s: ", j->prog, j->dir, path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

/* archive.c has checked the paths; this is the second line of defence,
 * because here a bad path would write outside the folder. */
static int
safe_path(const char *p)
{
	const char *c = p;

	if (*p == '\0' || *p == '/' || strlen(p) > FP_PATH_MAX)
		return 0;
	for (;;) {
		size_t n = strcspn(c, "/");

		if (n == 0 || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		if (c[n] == '\0')
			return 1;
		c += n + 1;
	}
}

/* Opens the folder that holds the last component of path, walking from the
 * root without following symlinks; with create, missing folders are made
 * (their entries come first in path order and fix their modes later).
 * Returns a descriptor (possibly j->root: do not close that one) and points
 * *name at the last component inside buf; -1 with errno on failure. */
static int
open_parent(const struct job *j, const char *path, char *buf, const char **name,
    int create)
{
	char *comp = buf, *slash;
	int fd = j->root;

	snprintf(buf, FP_PATH_MAX + 1, "%s", path);
	while ((slash = strchr(comp, '/')) != NULL) {
		int next, saved;

		*slash = '\0';
		next = openat(fd, comp, DIR_FLAGS);
		if (next < 0 && errno == ENOENT && create &&
		    (mkdirat(fd, comp, 0700) == 0 || errno == EEXIST))
			next = openat(fd, comp, DIR_FLAGS);
		saved = errno;
		if (fd != j->root)
			close(fd);
		if (next < 0) {
			errno = saved;
			return -1;
		}
		fd = next;
		comp = slash + 1;
	}
	*name = comp;
	return fd;
}

static void
close_parent(const struct job *j, int fd)
{
	if (fd != j->root)
		close(fd);
}

/* --- without --force: find every conflict before writing anything -------- */

static int
conflicts(const struct job *j)
{
	struct fatpack_entry e;
	char buf[FP_PATH_MAX + 1];
	const char *name;
	struct stat st;
	size_t i;
	int n = 0, fd;

	for (i = 0; fp_reader_entry(j->a, i, &e) == 0; i++) {
		if ((fd = open_parent(j, e.path, buf, &name, 0)) < 0)
			continue;   /* missing parent: no conflict; others fail later */
		if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			if (e.type == FATPACK_FILE) {
				complain(j, e.path, "exists (use --force to overwrite)");
				n++;
			} else if (!S_ISDIR(st.st_mode)) {
				complain(j, e.path, "exists and is not a folder "
				    "(use --force to replace it)");
				n++;
			}
		}
		close_parent(j, fd);
	}
	return n;
}

/* --- writing ---------------------------------------------------------------- */

/* Makes way for a new entry at name when --force allows it: anything but a
 * folder is unlinked (a symlink is removed, not followed). */
static int
make_way(const struct job *j, int fd, const char *name, const char *path)
{
	struct stat st;

	if (!j->force)
		return complain(j, path, "exists (use --force to overwrite)");
	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return complain(j, path, "%s", strerror(errno));
	if (S_ISDIR(st.st_mode))
		return complain(j, path, "is a folder, not replaced");
	if (unlinkat(fd, name, 0) != 0)
		return complain(j, path, "cannot remove: %s", strerror(errno));
	return 0;
}

static int
write_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
set_attrs(int fd, const struct fatpack_entry *e)
{
	struct timespec ts[2] = { { (time_t)e->mtime, 0 }, { (time_t)e->mtime, 0 } };

	/* permission bits only: no set-id or sticky bits from an archive */
	if (fchmod(fd, (mode_t)(e->mode & 0777)) != 0)
		return -1;
	return futimens(fd, ts);
}

static int
create_file(const struct job *j, int dfd, const char *name,
    const struct fatpack_entry *e)
{
	const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	void *data;
	size_t size;
	int fd, r;

	if ((r = fp_reader_decode(j->a, e->index, &data, &size)) != 0)
		return complain(j, e->path, "%s", fatpack_strerror(r));
	fd = openat(dfd, name, flags, 0600);
	if (fd < 0 && errno == EEXIST) {
		if (make_way(j, dfd, name, e->path) != 0) {
			free(data);
			return -1;
		}
		fd = openat(dfd, name, flags, 0600);
	}
	if (fd < 0) {
		free(data);
		return complain(j, e->path, "%s", strerror(errno));
	}
	r = write_all(fd, data, size) != 0 || set_attrs(fd, e) != 0;
	free(data);
	if (close(fd) != 0 || r)
		return complain(j, e->path, "%s", strerror(errno));
	return 0;
}

static int
create_dir(const struct job *j, int dfd, const char *name,
    const struct fatpack_entry *e)
{
	struct stat st;

	if (mkdirat(dfd, name, 0700) == 0)
		return 0;
	if (errno != EEXIST)
		return complain(j, e->path, "%s", strerror(errno));
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
		return 0;
	if (!j->force)
		return complain(j, e->path, "exists and is not a folder");
	if (unlinkat(dfd, name, 0) != 0 || mkdirat(dfd, name, 0700) != 0)
		return complain(j, e->path, "%s", strerror(errno));
	return 0;
}

static int
create_entry(const struct job *j, const struct fatpack_entry *e)
{
	char buf[FP_PATH_MAX + 1];
	const char *name;
	int dfd, r;

	if (!safe_path(e->path))
		return complain(j, e->path, "unsafe path, not extracted");
	if ((dfd = open_parent(j, e->path, buf, &name, 1)) < 0)
		return complain(j, e->path, "%s", strerror(errno));
	if (e->type == FATPACK_DIR)
		r = create_dir(j, dfd, name, e);
	else
		r = create_file(j, dfd, name, e);
	close_parent(j, dfd);
	return r;
}

/* Folder modes and times go last: writing a folder's files changes its
 * mtime, and a read-only mode would stop them from being written. Children
 * come after parents in path order, so going backwards sets a folder's mode
 * after everything below it is done. */
static int
finish_dirs(const struct job *j)
{
	struct fatpack_entry e;
	char buf[FP_PATH_MAX + 1];
	const char *name;
	size_t i = j->a->count;
	int pfd, fd, r;

	while (i-- > 0) {
		if (fp_reader_entry(j->a, i, &e) != 0 || e.type != FATPACK_DIR)
			continue;
		if ((pfd = open_parent(j, e.path, buf, &name, 0)) < 0)
			return complain(j, e.path, "%s", strerror(errno));
		fd = openat(pfd, name, DIR_FLAGS);
		close_parent(j, pfd);
		if (fd < 0)
			return complain(j, e.path, "%s", strerror(errno));
		r = set_attrs(fd, &e);
		close(fd);
		if (r != 0)
			return complain(j, e.path, "%s", strerror(errno));
	}
	return 0;
}

/* mkdir -p: DIR is the user's own path, so symlinks in it are followed. */
static int
make_root(const char *dir)
{
	char *p = strdup(dir), *s;
	int r = 0;

	if (p == NULL)
		return -1;
	for (s = p + 1; r == 0 && (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			r = -1;
		*s = '/';
	}
	if (r == 0 && mkdir(p, 0755) != 0 && errno != EEXIST)
		r = -1;
	free(p);
	return r;
}

int
fp_extract(const struct fp_reader *a, const char *dir, int force,
    const char *prog)
{
	struct job j = { a, dir, prog, -1, force };
	struct fatpack_entry e;
	size_t i;
	int r = 0;

	if (make_root(dir) != 0 ||
	    (j.root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, dir, strerror(errno));
		return 1;
	}
	if (!force && conflicts(&j) > 0) {
		fprintf(stderr, "%s: %s: nothing extracted\n", prog, dir);
		close(j.root);
		return 1;
	}
	for (i = 0; r == 0 && fp_reader_entry(a, i, &e) == 0; i++)
		r = create_entry(&j, &e);
	if (r == 0)
		r = finish_dirs(&j);
	close(j.root);
	return r == 0 ? 0 : 1;
}
