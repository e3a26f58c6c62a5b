/*
 * util.c - small helpers shared by the bundler's commands.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "temps.h"
#include "util.h"

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		err(1, "out of memory");
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		err(1, "out of memory");
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		err(1, "out of memory");
	return p;
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		err(1, "out of memory");
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		err(1, "out of memory");
	return s;
}

/* The folder part of path ("." when it has none), as a new string. */
static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xasprintf("%.*s", (int)(slash - path), path);
}

int
outfile_open(struct outfile *o, const char *path, unsigned mode)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	mode_t mask;
	char *dir;

	o->path = NULL;
	o->tmp = NULL;
	o->fd = -1;
	if (*base == '\0') {
		warnx("%s: output path names a folder, not a file", path);
		return -1;
	}
	dir = dir_of(path);
	o->tmp = xasprintf("%s/.%s.tmp.XXXXXX", dir, base);
	o->fd = temps_mkstemp(o->tmp);
	if (o->fd < 0) {
		if (errno == ENOENT)
			warnx("%s: folder %s does not exist", path, dir);
		else
			warn("%s", path);   /* not the temporary name: it is ours */
		free(dir);
		free(o->tmp);
		o->tmp = NULL;
		return -1;
	}
	free(dir);
	o->path = xstrdup(path);
	/* mkstemp ignores the umask: apply it, as open(2) would have */
	mask = umask(0);
	umask(mask);
	if (fchmod(o->fd, mode & 07777 & ~mask) < 0) {
		warn("%s", path);
		outfile_abort(o);
		return -1;
	}
	return 0;
}

/* Makes a rename in the folder of path durable. */
static int
fsync_dir_of(const char *path)
{
	char *dir = dir_of(path);
	int fd, rc = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0) {
		warn("%s: fsync", dir);
		rc = -1;
	}
	if (fd >= 0)
		close(fd);
	free(dir);
	return rc;
}

int
outfile_commit(struct outfile *o)
{
	int rc;

	if (fsync(o->fd) < 0) {
		warn("%s", o->path);
		outfile_abort(o);
		return -1;
	}
	rc = close(o->fd);
	o->fd = -1;
	if (rc < 0) {
		warn("%s", o->path);
		outfile_abort(o);
		return -1;
	}
	if (rename(o->tmp, o->path) < 0) {
		warn("%s", o->path);
		outfile_abort(o);
		return -1;
	}
	temps_forget(o->tmp);
	free(o->tmp);
	o->tmp = NULL;
	rc = fsync_dir_of(o->path);
	free(o->path);
	o->path = NULL;
	return rc;
}

void
outfile_abort(struct outfile *o)
{
	if (o->fd >= 0)
		close(o->fd);
	if (o->tmp != NULL)
		temps_remove(o->tmp);
	free(o->tmp);
	free(o->path);
	o->tmp = NULL;
	o->path = NULL;
	o->fd = -1;
}

int
write_all(int fd, const void *buf, size_t n)
{
	const unsigned char *p = buf;

	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
mkdir_parents(const char *path)
{
	char *p = xstrdup(path);
	int rc = 0;

	for (char *s = strchr(p + 1, '/'); s != NULL && rc == 0;
	    s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0777) < 0 && errno != EEXIST) {
			warn("%s", p);
			rc = -1;
		}
		*s = '/';
	}
	free(p);
	return rc;
}

int
usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fatpack%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see fatpack%s%s --help)\n", cmd ? " " : "",
	    cmd ? cmd : "");
	return 2;
}

int
usage_getopt(const char *cmd, int c, char **argv)
{
	char opt[3] = { '-', (char)optopt, '\0' };

	if (c == ':')
		return usage_error(cmd, "%s needs a value", argv[optind - 1]);
	return usage_error(cmd, "unknown option '%s'",
	    optopt != 0 ? opt : argv[optind - 1]);
}

ssize_t
read_full(int fd, void *buf, size_t n)
{
	unsigned char *p = buf;
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, p + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

void
stamp_of(struct file_stamp *fs, const struct stat *st)
{
	fs->dev = st->st_dev;
	fs->ino = st->st_ino;
	fs->size = st->st_size;
	fs->mtime = st->st_mtim;
	fs->ctime = st->st_ctim;
}

int
stamp_eq(const struct file_stamp *a, const struct file_stamp *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	    a->mtime.tv_sec == b->mtime.tv_sec &&
	    a->mtime.tv_nsec == b->mtime.tv_nsec &&
	    a->ctime.tv_sec == b->ctime.tv_sec &&
	    a->ctime.tv_nsec == b->ctime.tv_nsec;
}

int
open_regular(const char *path, struct stat *st, const char **why)
{
	/* O_NONBLOCK: open(2) of a FIFO would wait for a writer; a regular
	 * file reads the same with it */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, st) < 0) {
		*why = strerror(errno);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		*why = "not a regular file";
		close(fd);
		return -1;
	}
	return fd;
}

/* Seconds per unit letter, or 0 if c is not one. */
static long long
unit_seconds(char c)
{
	switch (c) {
	case 's': return 1;
	case 'm': return 60;
	case 'h': return 3600;
	case 'd': return 86400;
	case 'w': return 7 * 86400;
	default:  return 0;
	}
}

/* A unit is required ("14" could mean days as well as seconds), except for 0. */
long long
parse_duration(const char *s)
{
	long long n = 0, unit;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (LLONG_MAX - (*p - '0')) / 10)
			return -1;
		n = n * 10 + (*p - '0');
	}
	if (*p == '\0')
		return n == 0 ? 0 : -1;
	unit = unit_seconds(*p);
	if (unit == 0 || p[1] != '\0' || n > LLONG_MAX / unit)
		return -1;
	return n * unit;
}

