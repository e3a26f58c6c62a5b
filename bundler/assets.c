/*
 * assets.c - collecting the assets of a build into one sorted list.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <err.h>

#include "assets.h"
#include "format/check.h"
#include "format/format.h"
#include "util.h"

/* Folder symlinks are followed, so a walk can loop; this bounds the depth. */
#define MAX_DEPTH 256

/* An asset while the list is being built: where it came from and whether it
 * is a parent folder added by us, for merging and for error messages. */
struct item {
	struct asset a;
	size_t src;        /* position of the source */
	size_t seq;        /* insertion order, for a total, stable sort */
	int implicit;      /* a parent folder nobody listed */
};

struct collect {
	const struct asset_source *s;
	size_t src;
	const char *prefix;        /* normalised */
	const int64_t *clamp;
	struct item *v;
	size_t n, cap;
	/* folder walks: the real path of the root and the folders being walked,
	 * to keep symlinks inside the root and to stop loops */
	char *root_real;
	dev_t dev[MAX_DEPTH];
	ino_t ino[MAX_DEPTH];
	int depth;
};

int
source_date_epoch(int64_t *t)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return 1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno == ERANGE) {
		warnx("SOURCE_DATE_EPOCH: '%s' is not a number of seconds since "
		    "the epoch", s);
		return -1;
	}
	*t = v;
	return 0;
}

/*
 * Puts name into index form: "." and empty parts dropped, no leading or
 * trailing slash. Refuses what could escape or confuse a reader. Returns a new
 * string ("" for the root itself) or NULL with *why set.
 */
static char *
normalise(const char *name, int allow_absolute, const char **why)
{
	size_t len = strlen(name);
	char *out = xmalloc(len + 1);
	size_t o = 0;
	const char *p = name;

	*why = NULL;
	if (*name == '/' && !allow_absolute)
		*why = "absolute path";
	for (; *why == NULL && *p != '\0'; p += *p == '/') {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			*why = "path has a '..' component";
		else if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (o > 0)
				out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
	}
	out[o] = '\0';
	/* what is left must be an index path: the reader's own rule */
	if (*why == NULL && o > 0)
		*why = fp_check_path(out, o);
	if (*why != NULL) {
		free(out);
		return NULL;
	}
	return out;
}

static char *
join(const char *prefix, const char *rel)
{
	if (*prefix == '\0')
		return xstrdup(rel);
	if (*rel == '\0')
		return xstrdup(prefix);
	return xasprintf("%s/%s", prefix, rel);
}

static int
match(const struct asset_source *s, const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	for (size_t i = 0; i < s->n_exclude; i++)
		if (fnmatch(s->exclude[i], path, 0) == 0 ||
		    fnmatch(s->exclude[i], base, 0) == 0)
			return 1;
	return 0;
}

/* Whether the index path, or one of its folders below the source's prefix,
 * matches an exclude pattern. */
static int
excluded(const struct collect *c, const char *path)
{
	size_t start = *c->prefix ? strlen(c->prefix) + 1 : 0;
	char *copy;
	int hit = 0;

	if (c->s->n_exclude == 0)
		return 0;
	if (match(c->s, path))
		return 1;
	copy = xstrdup(path);
	for (size_t i = start; copy[i] != '\0' && !hit; i++) {
		if (copy[i] != '/')
			continue;
		copy[i] = '\0';
		hit = match(c->s, copy);
		copy[i] = '/';
	}
	free(copy);
	return hit;
}

static struct item *
add(struct collect *c, char *path, int type, mode_t mode, int64_t mtime)
{
	struct item *it;

	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 1024;
		c->v = xrealloc(c->v, c->cap * sizeof(*c->v));
	}
	if (c->clamp != NULL && mtime > *c->clamp)
		mtime = *c->clamp;
	it = &c->v[c->n];
	memset(it, 0, sizeof(*it));
	it->a.path = path;
	it->a.type = type;
	it->a.mode = type == FP_TYPE_DIR || (mode & 0111) ? 0755 : 0644;
	it->a.mtime = mtime;
	it->a.origin = c->s->path;
	it->src = c->src;
	it->seq = c->n;
	c->n++;
	return it;
}

/* ---- folders --------------------------------------------------------- */

static int walk(struct collect *c, const char *dir, const char *rel);

/* Whether real (a resolved path) is the root or below it. */
static int
inside_root(const struct collect *c, const char *real)
{
	size_t n = strlen(c->root_real);

	if (strcmp(c->root_real, "/") == 0)
		return 1;
	return strncmp(real, c->root_real, n) == 0 &&
	    (real[n] == '\0' || real[n] == '/');
}

/* Follows a symlink of a folder source: *st becomes the target's, *real its
 * resolved path. Refuses links that leave the folder or dangle. */
static int
follow(struct collect *c, const char *disk, const char *rel, struct stat *st,
    char **real)
{
	char target[PATH_MAX];
	ssize_t n = readlink(disk, target, sizeof(target) - 1);

	target[n < 0 ? 0 : n] = '\0';
	*real = realpath(disk, NULL);
	if (*real == NULL) {
		warnx("%s: %s: broken symlink (-> %s)", c->s->path, rel, target);
		return -1;
	}
	if (!inside_root(c, *real)) {
		warnx("%s: %s: symlink points outside the asset folder (-> %s)",
		    c->s->path, rel, target);
		return -1;
	}
	if (stat(*real, st) < 0) {
		warn("%s: %s", c->s->path, rel);
		return -1;
	}
	return 0;
}

static int
enter(struct collect *c, const char *disk, const char *rel,
    const struct stat *st)
{
	int rc;

	for (int i = 0; i < c->depth; i++)
		if (c->dev[i] == st->st_dev && c->ino[i] == st->st_ino) {
			warnx("%s: %s: symlink loop", c->s->path, rel);
			return -1;
		}
	if (c->depth == MAX_DEPTH) {
		warnx("%s: %s: folders nested too deep", c->s->path, rel);
		return -1;
	}
	c->dev[c->depth] = st->st_dev;
	c->ino[c->depth] = st->st_ino;
	c->depth++;
	rc = walk(c, disk, rel);
	c->depth--;
	return rc;
}

/* One entry of a folder: disk is its path on disk, rel its path in the
 * source. Takes ownership of disk. */
static int
visit(struct collect *c, char *disk, const char *rel)
{
	struct stat st;
	char *path = join(c->prefix, rel), *real = NULL;
	int rc = 0;

	if (excluded(c, path))
		goto out;
	if (lstat(disk, &st) < 0) {
		warn("%s: %s", c->s->path, rel);
		rc = -1;
		goto out;
	}
	if (S_ISLNK(st.st_mode) && follow(c, disk, rel, &st, &real) < 0) {
		rc = -1;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		add(c, path, FP_TYPE_DIR, st.st_mode, st.st_mtime);
		path = NULL;
		rc = enter(c, real ? real : disk, rel, &st);
	} else if (S_ISREG(st.st_mode)) {
		struct item *it = add(c, path, FP_TYPE_FILE, st.st_mode,
		    st.st_mtime);

		it->a.size = (uint64_t)st.st_size;
		/* the user's name for it; a link retargeted since is caught by
		 * the stamp */
		it->a.file = disk;
		stamp_of(&it->a.stamp, &st);
		disk = NULL;
		path = NULL;
	} else {
		warnx("%s: %s: not a regular file or folder (device, fifo or "
		    "socket)", c->s->path, rel);
		rc = -1;
	}
out:
	free(path);
	free(real);
	free(disk);
	return rc;
}

static int
walk(struct collect *c, const char *dir, const char *rel)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int rc = 0;

	if (d == NULL) {
		warn("%s: %s", c->s->path, *rel ? rel : ".");
		return -1;
	}
	while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
		const char *why;
		char *name, *child;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		name = normalise(de->d_name, 0, &why);
		if (name == NULL) {
			warnx("%s: %s%s%s: %s", c->s->path, rel, *rel ? "/" : "",
			    de->d_name, why);
			rc = -1;
			break;
		}
		child = join(rel, name);
		rc = visit(c, xasprintf("%s/%s", dir, de->d_name), child);
		free(child);
		free(name);
	}
	if (rc == 0 && errno != 0) {
		warn("%s: %s", c->s->path, *rel ? rel : ".");
		rc = -1;
	}
	closedir(d);
	return rc;
}

static int
collect_folder(struct collect *c, const struct stat *st)
{
	c->root_real = realpath(c->s->path, NULL);
	if (c->root_real == NULL) {
		warn("%s", c->s->path);
		return -1;
	}
	c->depth = 0;
	return enter(c, c->s->path, "", st);
}

/* ---- archives -------------------------------------------------------- */

/* Reads the current entry's content into a new buffer; *size is what the
 * archive holds (zip entries may not declare their size up front). */
static int
read_content(struct collect *c, struct archive *ar, struct archive_entry *e,
    const char *name, unsigned char **out, uint64_t *size)
{
	/* the header's size is a hint, not a promise: a small archive may
	 * claim a terabyte, so the buffer grows with what is really read */
	la_int64_t hint = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
	size_t cap = hint > 0 && hint < (1 << 20) ? (size_t)hint : 65536, len = 0;
	unsigned char *buf = malloc(cap + 1), *more;

	for (;;) {
		la_ssize_t r;

		if (buf != NULL && len == cap) {
			more = cap < SIZE_MAX / 2 - 65536 ?
			    realloc(buf, cap * 2 + 65536 + 1) : NULL;
			if (more == NULL)
				free(buf);
			buf = more;
			cap = cap * 2 + 65536;
		}
		if (buf == NULL) {
			warnx("%s: %s: out of memory", c->s->path, name);
			return -1;
		}
		r = archive_read_data(ar, buf + len, cap - len);
		if (r < 0) {
			warnx("%s: %s: %s", c->s->path, name,
			    archive_error_string(ar));
			free(buf);
			return -1;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	*out = buf;
	*size = len;
	return 0;
}

/* Refuses, with a message, every kind of entry but files and folders. */
static int
check_kind(struct collect *c, struct archive_entry *e, const char *name)
{
	const char *link = archive_entry_hardlink(e);

	if (link != NULL) {
		warnx("%s: hard links are not supported in asset archives: "
		    "%s => %s", c->s->path, name, link);
		return -1;
	}
	switch (archive_entry_filetype(e)) {
	case AE_IFREG:
	case AE_IFDIR:
		return 0;
	case AE_IFLNK:
		link = archive_entry_symlink(e);
		warnx("%s: symlinks are not supported in asset archives: %s -> %s",
		    c->s->path, name, link ? link : "?");
		return -1;
	default:
		warnx("%s: %s: not a regular file or folder (device, fifo or "
		    "socket)", c->s->path, name);
		return -1;
	}
}

static int
archive_entry_add(struct collect *c, struct archive *ar,
    struct archive_entry *e)
{
	const char *name = archive_entry_pathname_utf8(e), *why;
	int64_t mtime;
	char *rel, *path;
	struct item *it;

	if (name == NULL)
		name = archive_entry_pathname(e);
	if (name == NULL) {
		warnx("%s: an entry has no readable path", c->s->path);
		return -1;
	}
	if (check_kind(c, e, name) < 0)
		return -1;
	rel = normalise(name, 0, &why);
	if (rel == NULL) {
		warnx("%s: %s: %s", c->s->path, name, why);
		return -1;
	}
	path = join(c->prefix, rel);
	free(rel);
	if (*path == '\0' || excluded(c, path)) {
		free(path);   /* "./", the archive's own root */
		return 0;
	}
	mtime = archive_entry_mtime_is_set(e) ? archive_entry_mtime(e) : 0;
	if (archive_entry_filetype(e) == AE_IFDIR) {
		add(c, path, FP_TYPE_DIR, 0755, mtime);
		return 0;
	}
	it = add(c, path, FP_TYPE_FILE, archive_entry_perm(e), mtime);
	return read_content(c, ar, e, name, &it->a.data, &it->a.size);
}

/* Formats read: every archive format libarchive knows except mtree, which
 * names files on the build machine and would pull them into the artifact. */
static void
support_formats(struct archive *ar)
{
	archive_read_support_filter_all(ar);
	archive_read_support_format_tar(ar);
	archive_read_support_format_gnutar(ar);
	archive_read_support_format_zip(ar);
	archive_read_support_format_7zip(ar);
	archive_read_support_format_cpio(ar);
	archive_read_support_format_ar(ar);
	archive_read_support_format_iso9660(ar);
	archive_read_support_format_xar(ar);
	archive_read_support_format_rar(ar);
	archive_read_support_format_rar5(ar);
	archive_read_support_format_lha(ar);
	archive_read_support_format_cab(ar);
}

static int
collect_archive(struct collect *c)
{
	struct archive *ar;
	struct archive_entry *e;
	struct stat st;
	const char *why;
	int fd, r, rc = 0;

	if ((fd = open_regular(c->s->path, &st, &why)) < 0) {
		warnx("%s: %s", c->s->path, why);
		return -1;
	}
	if ((ar = archive_read_new()) == NULL)
		errx(1, "out of memory");
	support_formats(ar);
	if (archive_read_open_fd(ar, fd, 1 << 16) != ARCHIVE_OK) {
		warnx("%s: not a folder or a readable archive: %s", c->s->path,
		    archive_error_string(ar));
		archive_read_free(ar);
		close(fd);
		return -1;
	}
	while (rc == 0 && (r = archive_read_next_header(ar, &e)) != ARCHIVE_EOF) {
		if (r < ARCHIVE_WARN) {
			warnx("%s: %s", c->s->path, archive_error_string(ar));
			rc = -1;
			break;
		}
		rc = archive_entry_add(c, ar, e);
	}
	archive_read_free(ar);
	close(fd);
	return rc;
}

/* ---- the list -------------------------------------------------------- */

static int
cmp_item(const void *x, const void *y)
{
	const struct item *a = x, *b = y;
	int c = strcmp(a->a.path, b->a.path);   /* bytewise: unsigned char */

	if (c != 0)
		return c;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

/* Adds every folder above each entry; their mtime becomes the newest of
 * what they hold (see merge). */
static void
add_parents(struct collect *c)
{
	size_t n = c->n;

	for (size_t i = 0; i < n; i++) {
		char *p = c->v[i].a.path;
		size_t src = c->v[i].src;
		int64_t mtime = c->v[i].a.mtime;
		const char *origin = c->v[i].a.origin;

		for (char *s = strchr(p, '/'); s != NULL; s = strchr(s + 1, '/')) {
			struct item *it = add(c, xasprintf("%.*s", (int)(s - p), p),
			    FP_TYPE_DIR, 0755, mtime);

			it->implicit = 1;
			it->src = src;
			it->a.origin = origin;
			p = c->v[i].a.path;   /* add() may move the array */
		}
	}
}

static void
item_free(struct item *it)
{
	free(it->a.path);
	free(it->a.file);
	free(it->a.data);
}

/* Merges the run v[0..n) of one path into *out: folders fold together, any
 * other repetition is an error naming both sources. */
static int
merge(struct item *v, size_t n, struct asset *out)
{
	struct item *keep = NULL;
	int64_t newest = INT64_MIN;

	for (size_t i = 0; i < n; i++) {
		if (v[i].a.type == FP_TYPE_FILE && n > 1) {
			/* name the first of the pair first */
			struct item *x = &v[0], *y = &v[i == 0 ? 1 : i];

			if (x->a.type == y->a.type)
				warnx("%s: duplicate path, in %s and in %s",
				    x->a.path, x->a.origin, y->a.origin);
			else
				warnx("%s: a %s in %s and a %s in %s", x->a.path,
				    x->a.type == FP_TYPE_DIR ? "folder" : "file",
				    x->a.origin,
				    y->a.type == FP_TYPE_DIR ? "folder" : "file",
				    y->a.origin);
			return -1;
		}
		if (!v[i].implicit && keep == NULL)
			keep = &v[i];
		if (v[i].a.mtime > newest)
			newest = v[i].a.mtime;
	}
	if (keep == NULL) {
		keep = &v[0];
		keep->a.mtime = newest;
	}
	*out = keep->a;
	memset(&keep->a, 0, sizeof(keep->a));
	return 0;
}

static int
finish(struct collect *c, struct asset_list *l)
{
	const char *why;
	size_t i = 0;
	int rc = 0;

	add_parents(c);
	if (c->n > 0)   /* no sources: c->v is NULL, which qsort may not take */
		qsort(c->v, c->n, sizeof(*c->v), cmp_item);
	l->v = xcalloc(c->n, sizeof(*l->v));
	while (i < c->n && rc == 0) {
		size_t j = i + 1;

		while (j < c->n && strcmp(c->v[j].a.path, c->v[i].a.path) == 0)
			j++;
		rc = merge(&c->v[i], j - i, &l->v[l->n]);
		/* a prefix and a path that are each fine can still join into
		 * one the index may not hold (too long) */
		if (rc == 0 && (why = fp_check_path(l->v[l->n].path,
		    strlen(l->v[l->n].path))) != NULL) {
			warnx("%s: %s: %s", l->v[l->n].origin, l->v[l->n].path,
			    why);
			l->n++;         /* assets_free releases it */
			rc = -1;
		}
		if (rc == 0) {
			l->total += l->v[l->n].size;
			l->n++;
		}
		i = j;
	}
	return rc;
}

static int
collect_one(struct collect *c)
{
	const char *why;
	char *prefix = normalise(c->s->prefix ? c->s->prefix : "", 1, &why);
	struct stat st;
	int rc;

	if (prefix == NULL) {
		warnx("%s: prefix '%s': %s", c->s->path, c->s->prefix, why);
		return -1;
	}
	if (stat(c->s->path, &st) < 0) {
		warn("%s", c->s->path);
		free(prefix);
		return -1;
	}
	c->prefix = prefix;
	if (*prefix != '\0')
		add(c, xstrdup(prefix), FP_TYPE_DIR, 0755, st.st_mtime);
	if (S_ISDIR(st.st_mode))
		rc = collect_folder(c, &st);
	else
		rc = collect_archive(c);
	free(c->root_real);
	c->root_real = NULL;
	free(prefix);
	c->prefix = NULL;
	return rc;
}

int
assets_collect(const struct asset_source *src, size_t n,
    const int64_t *clamp, struct asset_list *l)
{
	struct collect *c = xcalloc(1, sizeof(*c));
	int rc = 0;

	memset(l, 0, sizeof(*l));
	c->clamp = clamp;
	for (size_t i = 0; i < n && rc == 0; i++) {
		c->s = &src[i];
		c->src = i;
		rc = collect_one(c);
	}
	if (rc == 0)
		rc = finish(c, l);
	for (size_t i = 0; i < c->n; i++)
		item_free(&c->v[i]);
	free(c->v);
	free(c);
	if (rc < 0)
		assets_free(l);
	return rc;
}

/* ---- contents -------------------------------------------------------- */

static int
changed(const struct asset *a, char *msg, size_t msg_len)
{
	snprintf(msg, msg_len, "%s: changed while building", a->file);
	return -1;
}

/* Reads exactly a->size bytes, in pieces to fn. Asking for one byte more at
 * the end tells a grown file. */
static int
read_pieces(const struct asset *a, int fd, asset_fn *fn, void *arg,
    char *msg, size_t msg_len)
{
	size_t cap = a->size < ASSET_PIECE ? (size_t)a->size : ASSET_PIECE;
	unsigned char *buf = malloc(cap + 1);
	uint64_t left = a->size;
	int rc = 0;

	if (buf == NULL) {
		snprintf(msg, msg_len, "%s: out of memory", a->file);
		return -1;
	}
	do {
		size_t n = left < cap ? (size_t)left : cap;
		ssize_t r = read_full(fd, buf, n == left ? n + 1 : n);

		if (r < 0) {
			snprintf(msg, msg_len, "%s: %s", a->file, strerror(errno));
			rc = -1;
		} else if ((size_t)r != n) {
			rc = changed(a, msg, msg_len);
		} else if (n > 0) {
			rc = fn(arg, buf, n);
		}
		left -= n;
	} while (rc == 0 && left > 0);
	free(buf);
	return rc;
}

/* Reads the content of folder file a from fd, opened for it, as arg says;
 * returns 0, or -1 with a one-line reason in msg. */
typedef int read_fn(const struct asset *a, int fd, void *arg, char *msg,
    size_t msg_len);

/* Runs body on folder file a, open, checking that the file is the one
 * collected, unchanged, before and after. */
static int
read_folder_file(const struct asset *a, read_fn *body, void *arg, char *msg,
    size_t msg_len)
{
	struct file_stamp now;
	struct stat st;
	const char *why;
	int fd, rc;

	if ((fd = open_regular(a->file, &st, &why)) < 0) {
		snprintf(msg, msg_len, "%s: %s", a->file, why);
		return -1;
	}
	stamp_of(&now, &st);
	if (!stamp_eq(&now, &a->stamp))
		rc = changed(a, msg, msg_len);
	else
		rc = body(a, fd, arg, msg, msg_len);
	if (rc == 0 && fstat(fd, &st) < 0) {
		snprintf(msg, msg_len, "%s: %s", a->file, strerror(errno));
		rc = -1;
	}
	if (rc == 0) {
		stamp_of(&now, &st);
		if (!stamp_eq(&now, &a->stamp))
			rc = changed(a, msg, msg_len);
	}
	close(fd);
	return rc;
}

struct pieces {
	asset_fn *fn;
	void *arg;
};

static int
read_in_pieces(const struct asset *a, int fd, void *arg, char *msg,
    size_t msg_len)
{
	struct pieces *pc = arg;

	return read_pieces(a, fd, pc->fn, pc->arg, msg, msg_len);
}

/* Reads exactly a->size bytes into buf, which has room for one more: asking
 * for it tells a grown file. */
static int
read_whole(const struct asset *a, int fd, void *buf, char *msg,
    size_t msg_len)
{
	ssize_t r = read_full(fd, buf, (size_t)a->size + 1);

	if (r < 0) {
		snprintf(msg, msg_len, "%s: %s", a->file, strerror(errno));
		return -1;
	}
	if ((uint64_t)r != a->size)
		return changed(a, msg, msg_len);
	return 0;
}

int
asset_read(const struct asset *a, asset_fn *fn, void *arg, char *msg,
    size_t msg_len)
{
	struct pieces pc = { fn, arg };

	if (a->file != NULL)
		return read_folder_file(a, read_in_pieces, &pc, msg, msg_len);
	for (uint64_t off = 0; off < a->size; off += ASSET_PIECE) {
		uint64_t n = a->size - off < ASSET_PIECE ? a->size - off :
		    ASSET_PIECE;

		if (fn(arg, a->data + off, (size_t)n) < 0)
			return -1;
	}
	return 0;
}

int
asset_load(const struct asset *a, const unsigned char **data,
    unsigned char **own, char *msg, size_t msg_len)
{
	*own = NULL;
	if (a->file == NULL) {
		*data = a->data;
		return 0;
	}
	if (a->size >= SIZE_MAX || (*own = malloc((size_t)a->size + 1)) == NULL) {
		snprintf(msg, msg_len, "%s: out of memory", a->file);
		return -1;
	}
	*data = *own;
	if (read_folder_file(a, read_whole, *own, msg, msg_len) == 0)
		return 0;
	free(*own);
	*own = NULL;
	return -1;
}

void
assets_free(struct asset_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].file);
		free(l->v[i].data);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}
