/*
 * extract.c - writing the assets to a folder (`fatpack extract`,
 * `--fatpack-extract`).
 *
 * Nothing is written before everything is known to be right: the artifact
 * passes every check of verify (so the tar stream holds no link and agrees
 * with the index, which is what is written from), and no entry conflicts
 * with what is already in the folder. Then everything is created relative
 * to a descriptor of the folder, one path component at a time with
 * O_NOFOLLOW, so a symlink under it (planted before or during the
 * extraction) is never followed and nothing is written outside it. Files are
 * created with O_EXCL; with --force an existing one is unlinked first, never
 * written through.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "format/check.h"
#include "format/format.h"
#include "common.h"

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#define FILE_FLAGS (O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC)

struct job {
	const struct fp_inspect *in;
	const char *dir;
	int root;            /* descriptor of dir */
	unsigned flags;      /* FP_EXTRACT_* */
};

/* "PROG: DIR/PATH: reason"; returns -1 for the caller to pass on. */
static int
complain(const struct job *j, const char *path, const char *why)
{
	size_t n = strlen(j->dir);

	fp_msg(j->in->prog, "%s%s%s: %s", j->dir,
	    n > 0 && j->dir[n - 1] == '/' ? "" : "/", path, why);
	return -1;
}

/* Opens the folder that holds the last component of path, walking from the
 * root without following symlinks; with create, missing folders are made
 * (their entries come first in path order and fix their modes later).
 * Returns a descriptor (possibly j->root: see close_parent) and points
 * *name at the last component inside buf; -1 with errno on failure. */
static int
open_parent(const struct job *j, const char *path, char *buf,
    const char **name, int create)
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

/* --- before writing: every conflict --------------------------------------- */

/* What stands in the way of entry e, or NULL. A folder is never replaced
 * (that would take removing what it holds); anything else only with
 * --force. */
static const char *
conflict(const struct job *j, const struct fatpack_entry *e,
    const struct stat *st)
{
	int force = j->flags & FP_EXTRACT_FORCE;

	if (e->type == FATPACK_DIR)
		return S_ISDIR(st->st_mode) || force ? NULL :
		    "exists and is not a folder (use --force to replace it)";
	if (S_ISDIR(st->st_mode))
		return "exists and is a folder, not replaced";
	return force ? NULL : "exists (use --force to overwrite)";
}

static size_t
conflicts(const struct job *j)
{
	struct fatpack_entry e;
	char buf[FP_PATH_MAX + 1];
	const char *name, *why;
	struct stat st;
	size_t i, n = 0;
	int fd;

	for (i = 0; fp_reader_entry(j->in->r, i, &e) == 0; i++) {
		/* a parent that is missing is made; one that is not a folder
		 * is an entry too, and reported as such */
		if ((fd = open_parent(j, e.path, buf, &name, 0)) < 0)
			continue;
		if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    (why = conflict(j, &e, &st)) != NULL) {
			complain(j, e.path, why);
			n++;
		}
		close_parent(j, fd);
	}
	return n;
}

/* --- writing ---------------------------------------------------------------- */

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

/* With --force, what is at name goes (the conflict pass made sure it is
 * not a folder); a symlink is removed, not followed. */
static int
create_at(const struct job *j, int dfd, const char *name)
{
	int fd = openat(dfd, name, FILE_FLAGS, 0600);

	if (fd < 0 && errno == EEXIST && (j->flags & FP_EXTRACT_FORCE) &&
	    unlinkat(dfd, name, 0) == 0)
		fd = openat(dfd, name, FILE_FLAGS, 0600);
	return fd;
}

/* The content is decoded (and its checksums checked) before the file is
 * created; a file that cannot be written whole is removed again. */
static int
create_file(const struct job *j, int dfd, const char *name,
    const struct fatpack_entry *e)
{
	void *data;
	size_t size;
	int fd, rc, saved;

	if ((rc = fp_reader_decode(j->in->r, e->index, &data, &size)) != 0)
		return complain(j, e->path, fp_strerror(rc));
	if ((fd = create_at(j, dfd, name)) < 0) {
		free(data);
		return complain(j, e->path, strerror(errno));
	}
	rc = write_all(fd, data, size) != 0 || set_attrs(fd, e) != 0;
	saved = errno;
	free(data);
	if (close(fd) != 0 && rc == 0) {
		rc = 1;
		saved = errno;
	}
	if (rc == 0)
		return 0;
	unlinkat(dfd, name, 0);
	return complain(j, e->path, strerror(saved));
}

static int
create_dir(const struct job *j, int dfd, const char *name,
    const struct fatpack_entry *e)
{
	struct stat st;

	if (mkdirat(dfd, name, 0700) == 0)
		return 0;
	if (errno != EEXIST)
		return complain(j, e->path, strerror(errno));
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode))
		return 0;
	if (!(j->flags & FP_EXTRACT_FORCE))
		return complain(j, e->path, "exists and is not a folder");
	if (unlinkat(dfd, name, 0) != 0 || mkdirat(dfd, name, 0700) != 0)
		return complain(j, e->path, strerror(errno));
	return 0;
}

static int
create_entry(const struct job *j, const struct fatpack_entry *e)
{
	char buf[FP_PATH_MAX + 1];
	const char *name;
	int dfd, rc;

	/* the reader checked every path (FORMAT.md 4); this is the second
	 * line of defence, because here a bad path writes outside DIR */
	if (fp_check_path(e->path, e->path_len) != NULL)
		return complain(j, e->path, "unsafe path, not extracted");
	if ((dfd = open_parent(j, e->path, buf, &name, 1)) < 0)
		return complain(j, e->path, strerror(errno));
	if (e->type == FATPACK_DIR)
		rc = create_dir(j, dfd, name, e);
	else
		rc = create_file(j, dfd, name, e);
	close_parent(j, dfd);
	if (rc == 0 && (j->flags & FP_EXTRACT_VERBOSE)) {
		fp_put_clean(stdout, e->path, e->path_len);
		printf("%s\n", e->type == FATPACK_DIR ? "/" : "");
	}
	return rc;
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
	size_t i = j->in->r->count;
	int pfd, fd, rc;

	while (i-- > 0) {
		if (fp_reader_entry(j->in->r, i, &e) != 0 || e.type != FATPACK_DIR)
			continue;
		if ((pfd = open_parent(j, e.path, buf, &name, 0)) < 0)
			return complain(j, e.path, strerror(errno));
		fd = openat(pfd, name, DIR_FLAGS);
		close_parent(j, pfd);
		if (fd < 0)
			return complain(j, e.path, strerror(errno));
		rc = set_attrs(fd, &e);
		close(fd);
		if (rc != 0)
			return complain(j, e.path, strerror(errno));
	}
	return 0;
}

/* mkdir -p: DIR is the user's own path, so symlinks in it are followed. */
static int
make_root(const char *dir)
{
	char *p = strdup(dir), *s;
	int rc = 0;

	if (p == NULL)
		return -1;
	for (s = p + 1; rc == 0 && (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			rc = -1;
		*s = '/';
	}
	if (rc == 0 && mkdir(p, 0755) != 0 && errno != EEXIST)
		rc = -1;
	free(p);
	return rc;
}

static int
write_all_entries(struct job *j)
{
	struct fatpack_entry e;
	size_t i;

	for (i = 0; fp_reader_entry(j->in->r, i, &e) == 0; i++)
		if (create_entry(j, &e) != 0)
			return 1;
	return finish_dirs(j) != 0;
}

int
fp_inspect_extract(const struct fp_inspect *in, const char *dir,
    unsigned flags)
{
	struct job j = { in, dir, -1, flags };
	int rc;

	if (dir[0] == '\0') {
		fp_msg(in->prog, "extract: the folder name is empty");
		return 1;
	}
	if (fp_check_all(in, NULL) > 0) {
		fp_msg(in->prog, "%s: nothing extracted", dir);
		return 1;
	}
	if (make_root(dir) != 0 ||
	    (j.root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		fp_msg(in->prog, "%s: %s", dir, strerror(errno));
		return 1;
	}
	if (conflicts(&j) > 0) {
		fp_msg(in->prog, "%s: nothing extracted", dir);
		close(j.root);
		return 1;
	}
	rc = write_all_entries(&j);
	close(j.root);
	return rc;
}
