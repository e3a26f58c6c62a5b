/*
 * oci.c - the layer and the image layout archive (`fatpack oci`): ustar
 * archives written with libarchive, every header normalised (owner 0:0, no
 * user or group names, one mtime, modes 0755 or 0644), entries in a fixed
 * order.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/sha256.h"
#include "oci.h"
#include "util.h"

#define PIECE (256u * 1024)

/* --- the layer's entries --------------------------------------------------- */

static int
has_entry(const struct oci_layer *l, const char *path, size_t n)
{
	for (size_t i = 0; i < l->n; i++)
		if (strncmp(l->v[i].path, path, n) == 0 && l->v[i].path[n] == '\0')
			return 1;
	return 0;
}

/* Adds one entry; its folders are there already. */
static void
push(struct oci_layer *l, const char *path, char type, unsigned mode,
    uint64_t size, const char *src, const char *link)
{
	struct oci_file *f;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	f = &l->v[l->n++];
	f->path = xstrdup(path);
	f->type = type;
	f->mode = mode;
	f->size = size;
	f->src = src != NULL ? xstrdup(src) : NULL;
	f->link = link != NULL ? xstrdup(link) : NULL;
}

void
oci_add(struct oci_layer *l, const char *path, char type, unsigned mode,
    uint64_t size, const char *src, const char *link)
{
	/* the folders above, each once, before what they hold: a few
	 * top-level paths, so a scan of the list is cheap */
	for (const char *s = strchr(path, '/'); s != NULL; s = strchr(s + 1, '/'))
		if (!has_entry(l, path, (size_t)(s - path))) {
			char *dir = xasprintf("%.*s", (int)(s - path), path);

			push(l, dir, 'd', 0755, 0, NULL, NULL);
			free(dir);
		}
	push(l, path, type, mode, size, src, link);
}

static int
bytewise(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The names in dir, sorted bytewise; NULL after a message. */
static char **
sorted_names(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t cap = 0;

	*n = 0;
	if (d == NULL) {
		warn("%s", dir);
		return NULL;
	}
	while ((errno = 0, e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[(*n)++] = xstrdup(e->d_name);
	}
	if (errno != 0) {
		warn("%s", dir);
		closedir(d);
		free_names(v, *n);
		return NULL;
	}
	closedir(d);
	if (v != NULL)
		qsort(v, *n, sizeof(*v), bytewise);
	return v != NULL ? v : xcalloc(1, sizeof(*v));
}

static int walk(struct oci_layer *l, const char *path, const char *dir);

/* One host entry at path in the image, its folder added already; folders
 * recurse. */
static int
add_host(struct oci_layer *l, const char *path, const char *host)
{
	char target[PATH_MAX];
	struct stat st;
	ssize_t k;

	if (lstat(host, &st) < 0) {
		warn("%s", host);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		push(l, path, 'd', 0755, 0, NULL, NULL);
		return walk(l, path, host);
	}
	if (S_ISREG(st.st_mode)) {
		push(l, path, 'f', st.st_mode & 0111 ? 0755 : 0644,
		    (uint64_t)st.st_size, host, NULL);
		return 0;
	}
	if (S_ISLNK(st.st_mode)) {
		if ((k = readlink(host, target, sizeof(target) - 1)) < 0) {
			warn("%s", host);
			return -1;
		}
		target[k] = '\0';
		push(l, path, 'l', 0777, 0, NULL, target);
		return 0;
	}
	warnx("%s: neither a file, a folder nor a symbolic link", host);
	return -1;
}

/* What the host folder dir holds, at path, in bytewise order of the
 * names. */
static int
walk(struct oci_layer *l, const char *path, const char *dir)
{
	size_t n, i;
	char **names = sorted_names(dir, &n);
	int rc = 0;

	if (names == NULL)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		char *p = xasprintf("%s/%s", path, names[i]);
		char *h = xasprintf("%s/%s", dir, names[i]);

		rc = add_host(l, p, h);
		free(p);
		free(h);
	}
	free_names(names, n);
	return rc;
}

int
oci_add_tree(struct oci_layer *l, const char *path, const char *dir)
{
	oci_add(l, path, 'd', 0755, 0, NULL, NULL);
	return walk(l, path, dir);
}

void
oci_layer_free(struct oci_layer *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].src);
		free(l->v[i].link);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* --- writing tar archives ----------------------------------------------- */

/* Where a tar stream goes: hashed and counted, then written to fd or into
 * the outer archive (or nowhere, for the first pass over the layer). */
struct sink {
	const char *name;           /* the output, for messages */
	struct sha256 hash;
	uint64_t size;
	int fd;                     /* -1: not written to a file */
	struct archive *into;       /* NULL: not written into an archive */
};

static la_ssize_t
sink_write(struct archive *a, void *arg, const void *p, size_t n)
{
	struct sink *s = arg;

	sha256_update(&s->hash, p, n);
	s->size += n;
	if (s->fd >= 0 && write_all(s->fd, p, n) < 0) {
		archive_set_error(a, errno, "%s: %s", s->name, strerror(errno));
		return -1;
	}
	if (s->into != NULL && archive_write_data(s->into, p, n) != (la_ssize_t)n) {
		archive_set_error(a, EIO, "%s", archive_error_string(s->into));
		return -1;
	}
	return (la_ssize_t)n;
}

static struct archive *
tar_open(struct sink *s)
{
	struct archive *a = archive_write_new();

	sha256_init(&s->hash);
	s->size = 0;
	/* ustar: every path here is short, and it has no field a pax
	 * header could add from the host */
	if (archive_write_set_format_ustar(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open2(a, s, NULL, sink_write, NULL, NULL) !=
	    ARCHIVE_OK) {
		warnx("libarchive: %s", archive_error_string(a));
		archive_write_free(a);
		return NULL;
	}
	return a;
}

/* Writes one header: path, type, mode, size, the one mtime, owner 0:0. */
static int
tar_header(struct archive *a, const struct oci_file *f, int64_t mtime)
{
	struct archive_entry *e = archive_entry_new();
	int rc;

	archive_entry_set_pathname(e, f->path);
	archive_entry_set_filetype(e, f->type == 'd' ? AE_IFDIR :
	    f->type == 'l' ? AE_IFLNK : AE_IFREG);
	archive_entry_set_perm(e, f->mode);
	archive_entry_set_size(e, f->type == 'f' ? (la_int64_t)f->size : 0);
	archive_entry_set_mtime(e, mtime, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	if (f->type == 'l')
		archive_entry_set_symlink(e, f->link);
	rc = archive_write_header(a, e);
	archive_entry_free(e);
	return rc == ARCHIVE_OK ? 0 : -1;
}

/* Copies exactly size bytes of fd from offset 0 into the entry just
 * started; name is for messages. */
static int
tar_copy(struct archive *a, int fd, uint64_t size, const char *name)
{
	unsigned char *buf = xmalloc(PIECE);
	uint64_t off = 0;
	ssize_t k = 0;

	while (off < size) {
		size_t want = size - off < PIECE ? (size_t)(size - off) : PIECE;

		k = pread(fd, buf, want, (off_t)off);
		if (k <= 0)
			break;
		if (archive_write_data(a, buf, (size_t)k) != k) {
			warnx("%s", archive_error_string(a));
			free(buf);
			return -1;
		}
		off += (uint64_t)k;
	}
	free(buf);
	if (off < size) {
		if (k < 0)
			warn("%s", name);
		else
			warnx("%s: changed while being read", name);
		return -1;
	}
	return 0;
}

static int
layer_file(struct archive *a, const struct oci_layer *l,
    const struct oci_file *f)
{
	struct stat st;
	const char *why;
	int fd, rc;

	if (f->src == NULL)
		return tar_copy(a, l->app_fd, f->size, f->path);
	if ((fd = open_regular(f->src, &st, &why)) < 0) {
		warnx("%s: %s", f->src, why);
		return -1;
	}
	rc = tar_copy(a, fd, f->size, f->src);
	close(fd);
	return rc;
}

/* The layer's tar stream into s. */
static int
write_layer(const struct oci_layer *l, struct sink *s)
{
	struct archive *a = tar_open(s);
	int rc = a != NULL ? 0 : -1;

	for (size_t i = 0; i < l->n && rc == 0; i++) {
		rc = tar_header(a, &l->v[i], l->mtime);
		if (rc < 0)
			warnx("%s: %s", l->v[i].path, archive_error_string(a));
		else if (l->v[i].type == 'f')
			rc = layer_file(a, l, &l->v[i]);
	}
	if (a != NULL && archive_write_close(a) != ARCHIVE_OK && rc == 0) {
		warnx("%s", archive_error_string(a));
		rc = -1;
	}
	if (a != NULL)
		archive_write_free(a);
	return rc;
}

static void
sink_digest(struct sink *s, struct oci_blob *b)
{
	unsigned char d[32];
	char hex[65];

	sha256_final(&s->hash, d);
	sha256_hex(d, hex);
	snprintf(b->digest, sizeof(b->digest), "sha256:%s", hex);
	b->size = (size_t)s->size;
}

/* --- the image layout archive ------------------------------------------- */

static int
outer_entry(struct archive *a, const char *path, char type, uint64_t size,
    int64_t mtime)
{
	struct oci_file f = { (char *)path, type, type == 'd' ? 0755 : 0644,
	    size, NULL, NULL };

	if (tar_header(a, &f, mtime) == 0)
		return 0;
	warnx("%s", archive_error_string(a));
	return -1;
}

static int
outer_bytes(struct archive *a, const char *path, const char *data, size_t n,
    int64_t mtime)
{
	if (outer_entry(a, path, 'f', n, mtime) < 0)
		return -1;
	if (archive_write_data(a, data, n) != (la_ssize_t)n) {
		warnx("%s", archive_error_string(a));
		return -1;
	}
	return 0;
}

static int
outer_blob(struct archive *a, const struct oci_blob *b, int64_t mtime)
{
	char path[96];

	snprintf(path, sizeof(path), "blobs/sha256/%s", b->digest + 7);
	return outer_bytes(a, path, b->data, b->size, mtime);
}

/* The layer again, into the outer archive: it must be the blob of the
 * first pass, byte for byte, or a file changed in between. */
static int
outer_layer(struct archive *a, const struct oci_layer *l,
    const struct oci_blob *want)
{
	struct sink s = { .name = "", .fd = -1, .into = a };
	struct oci_blob got;
	char path[96];

	snprintf(path, sizeof(path), "blobs/sha256/%s", want->digest + 7);
	if (outer_entry(a, path, 'f', want->size, l->mtime) < 0 ||
	    write_layer(l, &s) < 0)
		return -1;
	sink_digest(&s, &got);
	if (got.size != want->size || strcmp(got.digest, want->digest) != 0) {
		warnx("a file of the layer changed while being read");
		return -1;
	}
	return 0;
}

static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";

int
oci_write(int fd, const char *out, const struct oci_layer *l,
    const struct oci_config *c, char manifest_digest[72])
{
	struct sink first = { .name = out, .fd = -1 };
	struct sink s = { .name = out, .fd = fd };
	struct oci_blob layer = { 0 }, config, manifest, index;
	struct archive *a;
	int rc;

	if (write_layer(l, &first) < 0)
		return -1;
	sink_digest(&first, &layer);
	oci_config_json(c, &layer, &config);
	oci_manifest_json(&config, &layer, &manifest);
	oci_index_json(c, &manifest, &index);
	if ((a = tar_open(&s)) == NULL)
		return -1;
	rc = outer_bytes(a, "oci-layout", layout, sizeof(layout) - 1, l->mtime);
	if (rc == 0)
		rc = outer_bytes(a, "index.json", index.data, index.size,
		    l->mtime);
	if (rc == 0)
		rc = outer_entry(a, "blobs", 'd', 0, l->mtime);
	if (rc == 0)
		rc = outer_entry(a, "blobs/sha256", 'd', 0, l->mtime);
	if (rc == 0)
		rc = outer_blob(a, &manifest, l->mtime);
	if (rc == 0)
		rc = outer_blob(a, &config, l->mtime);
	if (rc == 0)
		rc = outer_layer(a, l, &layer);
	if (archive_write_close(a) != ARCHIVE_OK && rc == 0) {
		warnx("%s", archive_error_string(a));
		rc = -1;
	}
	archive_write_free(a);
	memcpy(manifest_digest, manifest.digest, 72);
	free(config.data);
	free(manifest.data);
	free(index.data);
	return rc;
}
