/*
 * cmd_read.c - `fatpack ls`, `cat`, `extract`, `info`, `verify`: reading an
 * artifact without running it, through the format's one reader (archive.h).
 */
#include <archive.h>
#include <archive_entry.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "format/reader.h"
#include "commands.h"
#include "elfcheck.h"
#include "format/format.h"
#include "format/sha256.h"
#include "util.h"

#define IO_CHUNK (1u << 17)

/* --- shared: options, opening, metadata ---------------------------------- */

static const struct option help_only[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int
bad_option(const char *cmd, char **argv)
{
	if (optopt != 0)
		warnx("%s: unknown option '-%c' (see fatpack %s --help)", cmd, optopt, cmd);
	else
		warnx("%s: unknown option '%s' (see fatpack %s --help)", cmd,
		    argv[optind - 1], cmd);
	return 2;
}

static int
bad_usage(const char *cmd, const char *usage)
{
	fprintf(stderr, "usage: %s\n(see fatpack %s --help)\n", usage, cmd);
	return 2;
}

/* What a FATPACK_E* code means, for messages about one asset. */
static const char *
errtext(int rc)
{
	switch (rc) {
	case FATPACK_ENOTFAT:   return "not a fat binary";
	case FATPACK_ELOST:     return "payload lost";
	case FATPACK_ETRUNC:    return "truncated";
	case FATPACK_ECHECKSUM: return "checksum mismatch";
	case FATPACK_EVERSION:  return "unsupported format version";
	case FATPACK_ECORRUPT:  return "corrupt frame";
	case FATPACK_ENOENT:    return "no such asset";
	case FATPACK_EISDIR:    return "is a folder";
	case FATPACK_EIO:       return strerror(errno);
	case FATPACK_ENOMEM:    return "out of memory";
	default:                return "unknown error";
	}
}

/* Opens app and reads its trailer and index. Returns the descriptor, or -1
 * after saying why on stderr. */
static int
open_app(const char *app, struct fp_reader *a)
{
	char detail[512] = "";
	struct stat st;
	int fd, rc;

	fd = open(app, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		warn("%s", app);
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		warnx("%s: not a regular file", app);
		close(fd);
		return -1;
	}
	rc = fp_reader_open(a, fd, detail, sizeof(detail));
	if (rc != 0) {
		warnx("%s: %s", app, detail[0] ? detail : errtext(rc));
		close(fd);
		return -1;
	}
	return fd;
}

static void
close_app(struct fp_reader *a, int fd)
{
	fp_reader_close(a);
	close(fd);
}

/* One key=value line of the metadata. */
struct kv {
	const char *key, *val;
	size_t klen, vlen;
};

/* Steps *pos through the metadata; 0 at its end. */
static int
meta_next(const struct fp_reader *a, size_t *pos, struct kv *kv)
{
	const char *p, *end = a->meta + a->meta_size, *eq, *nl;

	if (a->meta == NULL || *pos >= a->meta_size)
		return 0;
	p = a->meta + *pos;
	nl = memchr(p, '\n', (size_t)(end - p));
	if (nl == NULL)
		nl = end;
	eq = memchr(p, '=', (size_t)(nl - p));
	kv->key = p;
	kv->klen = eq ? (size_t)(eq - p) : (size_t)(nl - p);
	kv->val = eq ? eq + 1 : nl;
	kv->vlen = (size_t)(nl - kv->val);
	*pos = (size_t)(nl - a->meta) + 1;
	return 1;
}

static int
kv_is(const struct kv *kv, const char *key)
{
	return kv->klen == strlen(key) && memcmp(kv->key, key, kv->klen) == 0;
}

/* A metadata value as a new string, or NULL. */
static char *
meta_dup(const struct fp_reader *a, const char *key)
{
	size_t len;
	const char *v = fp_reader_meta(a, key, &len);

	return v ? xasprintf("%.*s", (int)len, v) : NULL;
}

/* Parses a decimal (optionally negative) integer; -1 if v is not one. */
static int
parse_int(const char *v, size_t len, long long *out)
{
	char buf[32], *end;

	if (v == NULL || len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, v, len);
	buf[len] = '\0';
	errno = 0;
	*out = strtoll(buf, &end, 10);
	return errno || *end != '\0' ? -1 : 0;
}

/* UTC time in ISO 8601 ("2024-05-01T12:00:00Z"). */
static const char *
iso_time(int64_t t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if ((int64_t)tt != t || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, 32, "%" PRId64, t);
	return buf;
}

/* Index form of a path typed by a user: no leading or trailing '/'. */
static void
index_path(const char *s, const char **p, size_t *len)
{
	while (*s == '/')
		s++;
	*len = strlen(s);
	while (*len > 0 && s[*len - 1] == '/')
		(*len)--;
	*p = s;
}

/* --- the tar stream: decoding its frames, walking its entries ------------ */

/* The tar stream frames (payload bytes 0..index_offset-1), decoded as
 * libarchive reads them. */
struct tarsrc {
	int fd;
	uint64_t pos, end;          /* absolute file offsets still to read */
	ZSTD_DCtx *dctx;
	ZSTD_inBuffer in;
	unsigned char *inbuf, *outbuf;
	int frame_done;             /* the decoder ended a frame and holds nothing */
};

static int
tarsrc_fail(struct archive *ar, const char *what)
{
	archive_set_error(ar, EIO, "tar stream: %s", what);
	return -1;
}

static int
tarsrc_refill(struct archive *ar, struct tarsrc *s)
{
	size_t n = s->end - s->pos < IO_CHUNK ? (size_t)(s->end - s->pos) : IO_CHUNK;

	if (pread_all(s->fd, s->inbuf, n, s->pos) < 0)
		return tarsrc_fail(ar, errno == EIO ? "file ends early" : strerror(errno));
	s->pos += n;
	s->in.src = s->inbuf;
	s->in.size = n;
	s->in.pos = 0;
	return 0;
}

static la_ssize_t
tarsrc_read(struct archive *ar, void *ud, const void **buf)
{
	struct tarsrc *s = ud;
	ZSTD_outBuffer out = { s->outbuf, IO_CHUNK, 0 };

	for (;;) {
		size_t r;

		if (s->in.pos == s->in.size && s->pos < s->end &&
		    tarsrc_refill(ar, s) < 0)
			return -1;
		if (s->in.pos == s->in.size && s->pos == s->end && s->frame_done)
			return 0;
		r = ZSTD_decompressStream(s->dctx, &out, &s->in);
		if (ZSTD_isError(r))
			return tarsrc_fail(ar,
			    ZSTD_getErrorCode(r) == ZSTD_error_checksum_wrong ?
			    "checksum mismatch" : ZSTD_getErrorName(r));
		s->frame_done = r == 0;
		if (out.pos > 0) {
			*buf = s->outbuf;
			return (la_ssize_t)out.pos;
		}
		if (s->in.pos == s->in.size && s->pos == s->end && !s->frame_done)
			return tarsrc_fail(ar, "truncated frame");
	}
}

static void
tarsrc_init(struct tarsrc *s, const struct fp_reader *a, int fd)
{
	s->fd = fd;
	s->pos = a->payload_offset;
	s->end = a->payload_offset + a->index_offset;
	s->in = (ZSTD_inBuffer){ NULL, 0, 0 };
	s->frame_done = 1;
	s->inbuf = xmalloc(IO_CHUNK);
	s->outbuf = xmalloc(IO_CHUNK);
	s->dctx = ZSTD_createDCtx();
	if (s->dctx == NULL)
		errx(1, "out of memory");
	/* the format caps windows at 8 MiB: a larger one is corrupt, not a
	 * reason to allocate more */
	ZSTD_DCtx_setParameter(s->dctx, ZSTD_d_windowLogMax, FP_WINDOW_LOG_MAX);
}

static void
tarsrc_free(struct tarsrc *s)
{
	ZSTD_freeDCtx(s->dctx);
	free(s->inbuf);
	free(s->outbuf);
}

/* Walks the tar stream, checking each entry against the index; with a disk
 * writer, also writes it. Every index entry must appear, once, in order. */
struct walk {
	const char *app;
	const struct fp_reader *a;
	struct archive *disk;   /* NULL: only check */
	int force;              /* overwrite existing files */
	int verbose;
	size_t next;            /* index position the next tar entry must have */
};

/* The index entry a tar header stands for, or -1 after a message. */
static long
walk_match(struct walk *w, struct archive_entry *te, struct fatpack_entry *e)
{
	const char *tp = archive_entry_pathname(te);
	size_t len;
	long i;
	int dir = archive_entry_filetype(te) == AE_IFDIR;

	if (tp == NULL) {
		warnx("%s: tar stream: an entry without a path", w->app);
		return -1;
	}
	len = strlen(tp);
	if (dir && len > 0 && tp[len - 1] == '/')
		len--;
	i = fp_reader_find(w->a, tp, len);
	if (i < 0) {
		warnx("%s: tar stream: entry '%s' is not in the index", w->app, tp);
		return -1;
	}
	if ((size_t)i != w->next) {
		warnx("%s: tar stream: entry '%s' is out of index order", w->app, tp);
		return -1;
	}
	if (fp_reader_entry(w->a, (size_t)i, e) != 0) {
		warnx("%s: index entry %ld is unreadable", w->app, i);
		return -1;
	}
	if (archive_entry_filetype(te) != (e->type == FATPACK_DIR ? AE_IFDIR : AE_IFREG) ||
	    (!dir && (uint64_t)archive_entry_size(te) != e->size) ||
	    archive_entry_perm(te) != (e->mode & 07777)) {
		warnx("%s: %s: tar header disagrees with the index (type, size or mode)",
		    w->app, e->path);
		return -1;
	}
	w->next++;
	return i;
}

/* Copies the content of the current tar entry to the disk writer (if any),
 * checking its SHA-256 against the index as it goes. */
static int
walk_data(struct walk *w, struct archive *ar, const struct fatpack_entry *e)
{
	struct sha256 h;
	unsigned char digest[32];
	uint64_t done = 0;
	const void *buf;
	size_t n;
	la_int64_t off;
	int r;

	sha256_init(&h);
	while ((r = archive_read_data_block(ar, &buf, &n, &off)) == ARCHIVE_OK) {
		if (off < 0 || (uint64_t)off != done) {
			warnx("%s: %s: tar stream: unexpected sparse data", w->app, e->path);
			return -1;
		}
		sha256_update(&h, buf, n);
		done += n;
		if (w->disk != NULL &&
		    archive_write_data_block(w->disk, buf, n, off) < ARCHIVE_OK) {
			warnx("%s: %s: %s", w->app, e->path, archive_error_string(w->disk));
			return -1;
		}
	}
	if (r != ARCHIVE_EOF) {
		warnx("%s: %s: %s", w->app, e->path, archive_error_string(ar));
		return -1;
	}
	sha256_final(&h, digest);
	if (done != e->size || memcmp(digest, e->sha256, 32) != 0) {
		warnx("%s: %s: content does not match the index (SHA-256)", w->app, e->path);
		return -1;
	}
	return 0;
}

/* Starts writing entry e to disk. libarchive's NO_OVERWRITE quietly skips
 * an existing file; here it is an error, so the user learns about it. */
static int
disk_header(struct walk *w, struct archive_entry *te, const struct fatpack_entry *e)
{
	struct stat st;

	/* e->path, not the tar name: a folder's tar name ends in '/', and lstat
	 * would then follow a symlink planted where the folder goes. */
	if (!w->force && lstat(e->path, &st) == 0 &&
	    (e->type != FATPACK_DIR || !S_ISDIR(st.st_mode))) {
		warnx("%s: %s: already exists (use --force to overwrite)", w->app, e->path);
		return -1;
	}
	/* permission bits only: no set-id or sticky bits from an archive */
	archive_entry_set_perm(te, e->mode & 0777);
	if (archive_write_header(w->disk, te) < ARCHIVE_OK) {
		warnx("%s: %s: %s", w->app, e->path, archive_error_string(w->disk));
		return -1;
	}
	return 0;
}

/* One tar entry: checked, and written when extracting. A file whose bytes
 * turn out wrong is removed again: no corrupt asset is left on disk. */
static int
walk_entry(struct walk *w, struct archive *ar, struct archive_entry *te)
{
	struct fatpack_entry e;
	int rc;

	if (walk_match(w, te, &e) < 0)
		return -1;
	if (w->disk != NULL && disk_header(w, te, &e) < 0)
		return -1;
	rc = e.type == FATPACK_FILE ? walk_data(w, ar, &e) : 0;
	if (w->disk != NULL && archive_write_finish_entry(w->disk) < ARCHIVE_OK) {
		warnx("%s: %s: %s", w->app, e.path, archive_error_string(w->disk));
		rc = -1;
	}
	if (rc < 0 && w->disk != NULL && e.type == FATPACK_FILE)
		unlink(archive_entry_pathname(te));
	if (rc == 0 && w->verbose)
		printf("%s%s\n", e.path, e.type == FATPACK_DIR ? "/" : "");
	return rc;
}

static int
walk_tar(struct walk *w, int fd)
{
	struct tarsrc src;
	struct archive *ar = archive_read_new();
	struct archive_entry *te;
	int r, rc = 0;

	if (ar == NULL)
		errx(1, "out of memory");
	tarsrc_init(&src, w->a, fd);
	archive_read_support_format_tar(ar);
	if (archive_read_open(ar, &src, NULL, tarsrc_read, NULL) != ARCHIVE_OK) {
		warnx("%s: %s", w->app, archive_error_string(ar));
		rc = -1;
	}
	while (rc == 0 && (r = archive_read_next_header(ar, &te)) != ARCHIVE_EOF) {
		if (r < ARCHIVE_WARN) {
			warnx("%s: %s", w->app, archive_error_string(ar));
			rc = -1;
		} else {
			rc = walk_entry(w, ar, te);
		}
	}
	if (rc == 0 && w->next != w->a->count) {
		warnx("%s: tar stream ends before index entry '%s'", w->app,
		    w->a->paths[w->next]);
		rc = -1;
	}
	archive_read_free(ar);
	tarsrc_free(&src);
	return rc;
}

/* --- fatpack ls ---------------------------------------------------------- */

static const char ls_usage[] = "fatpack ls [-l] APP";

static void
mode_string(const struct fatpack_entry *e, char s[11])
{
	static const char rwx[] = "rwxrwxrwx";

	s[0] = e->type == FATPACK_DIR ? 'd' : '-';
	for (int i = 0; i < 9; i++)
		s[i + 1] = (e->mode & (0400u >> i)) ? rwx[i] : '-';
	s[10] = '\0';
}

static void
ls_long(const struct fp_reader *a)
{
	struct fatpack_entry e;
	int szw = 1, mimew = 1;
	char mode[11], t[32];

	for (size_t i = 0; i < a->count; i++) {
		if (fp_reader_entry(a, i, &e) != 0)
			continue;
		int n = snprintf(NULL, 0, "%" PRIu64, e.size);
		int m = (int)strlen(e.mime[0] ? e.mime : "-");

		szw = n > szw ? n : szw;
		mimew = m > mimew ? m : mimew;
	}
	for (size_t i = 0; i < a->count; i++) {
		if (fp_reader_entry(a, i, &e) != 0)
			continue;
		mode_string(&e, mode);
		printf("%s %*" PRIu64 " %s %-*s %s%s\n", mode, szw, e.size,
		    iso_time(e.mtime, t), mimew, e.mime[0] ? e.mime : "-", e.path,
		    e.type == FATPACK_DIR ? "/" : "");
	}
}

int
cmd_ls(int argc, char **argv)
{
	struct fp_reader a;
	struct fatpack_entry e;
	int c, lng = 0, fd;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "lh", help_only, NULL)) != -1) {
		switch (c) {
		case 'l':
			lng = 1;
			break;
		case 'h':
			printf("usage: %s\n\n"
			    "Lists the entries of an artifact in path order, folders with a\n"
			    "trailing '/'.\n\n"
			    "  -l   long form: mode, size, mtime (UTC), MIME type, path\n",
			    ls_usage);
			return 0;
		default:
			return bad_option("ls", argv);
		}
	}
	if (argc - optind != 1)
		return bad_usage("ls", ls_usage);
	if ((fd = open_app(argv[optind], &a)) < 0)
		return 1;
	if (lng) {
		ls_long(&a);
	} else {
		for (size_t i = 0; i < a.count; i++)
			if (fp_reader_entry(&a, i, &e) == 0)
				printf("%s%s\n", e.path, e.type == FATPACK_DIR ? "/" : "");
	}
	close_app(&a, fd);
	return 0;
}

/* --- fatpack cat --------------------------------------------------------- */

static const char cat_usage[] = "fatpack cat APP PATH...";

/* Writes one asset to stdout; nothing of it if it fails its checks. */
static int
cat_one(const char *app, const struct fp_reader *a, const char *arg)
{
	const char *p;
	size_t len, size;
	long i;
	void *data;
	int rc;

	index_path(arg, &p, &len);
	i = fp_reader_find(a, p, len);
	if (i < 0) {
		warnx("%s: no asset '%s'", app, arg);
		return -1;
	}
	rc = fp_reader_decode(a, (size_t)i, &data, &size);
	if (rc != 0) {
		warnx("%s: %s: %s", app, a->paths[i], errtext(rc));
		return -1;
	}
	rc = write_all(STDOUT_FILENO, data, size);
	free(data);
	if (rc < 0) {
		warn("writing to stdout");
		return -1;
	}
	return 0;
}

int
cmd_cat(int argc, char **argv)
{
	struct fp_reader a;
	int c, fd, rc = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", help_only, NULL)) != -1) {
		if (c != 'h')
			return bad_option("cat", argv);
		printf("usage: %s\n\n"
		    "Writes the decoded content of each asset to stdout, after checking\n"
		    "its zstd checksum and its SHA-256 against the index.\n", cat_usage);
		return 0;
	}
	if (argc - optind < 2)
		return bad_usage("cat", cat_usage);
	if ((fd = open_app(argv[optind], &a)) < 0)
		return 1;
	for (int i = optind + 1; i < argc; i++)
		if (cat_one(argv[optind], &a, argv[i]) < 0)
			rc = 1;
	close_app(&a, fd);
	return rc;
}

/* --- fatpack extract ----------------------------------------------------- */

static const char extract_usage[] = "fatpack extract [--force] [-v] APP DIR";

/* mkdir -p */
static int
make_dirs(const char *dir)
{
	char *p = xstrdup(dir), *s = p;
	int rc = 0;

	while (rc == 0 && s != NULL) {
		s = strchr(s + 1, '/');
		if (s != NULL)
			*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST) {
			warn("%s", p);
			rc = -1;
		}
		if (s != NULL)
			*s = '/';
	}
	free(p);
	return rc;
}

static struct archive *
disk_writer(int force)
{
	struct archive *disk = archive_write_disk_new();
	int flags = ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
	    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_TIME |
	    ARCHIVE_EXTRACT_PERM;

	if (disk == NULL)
		errx(1, "out of memory");
	if (!force)
		flags |= ARCHIVE_EXTRACT_NO_OVERWRITE;
	archive_write_disk_set_options(disk, flags);
	return disk;
}

int
cmd_extract(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fp_reader a;
	struct walk w = { 0 };
	int c, fd, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "fvh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			w.force = 1;
			break;
		case 'v':
			w.verbose = 1;
			break;
		case 'h':
			printf("usage: %s\n\n"
			    "Extracts the assets into DIR (created if missing), checking that\n"
			    "the tar stream agrees with the index and every SHA-256.\n"
			    "Nothing is written outside DIR.\n\n"
			    "  -f, --force     overwrite existing files\n"
			    "  -v, --verbose   list each entry as it is extracted\n",
			    extract_usage);
			return 0;
		default:
			return bad_option("extract", argv);
		}
	}
	if (argc - optind != 2)
		return bad_usage("extract", extract_usage);
	w.app = argv[optind];
	if ((fd = open_app(w.app, &a)) < 0)
		return 1;
	w.a = &a;
	/* libarchive refuses absolute entry paths; relative ones land in DIR */
	if (make_dirs(argv[optind + 1]) < 0) {
		close_app(&a, fd);
		return 1;
	}
	if (chdir(argv[optind + 1]) < 0) {
		warn("%s", argv[optind + 1]);
		close_app(&a, fd);
		return 1;
	}
	w.disk = disk_writer(w.force);
	rc = walk_tar(&w, fd);
	if (archive_write_close(w.disk) != ARCHIVE_OK && rc == 0) {
		warnx("%s: %s", argv[optind + 1], archive_error_string(w.disk));
		rc = -1;
	}
	archive_write_free(w.disk);
	close_app(&a, fd);
	return rc < 0;
}

/* --- fatpack info -------------------------------------------------------- */

static const char info_usage[] = "fatpack info [--json] APP";

struct totals {
	uint64_t decoded, compressed;
	size_t assets;
};

static void
count(const struct fp_reader *a, struct totals *t)
{
	struct fatpack_entry e;
	struct fatpack_frame f;

	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < a->count; i++) {
		if (fp_reader_entry(a, i, &e) != 0 || e.type != FATPACK_FILE)
			continue;
		t->assets++;
		t->decoded += e.size;
		if (fp_reader_frame(a, i, &f) == 0)
			t->compressed += f.length;
	}
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t len;
	uint32_t c;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, c = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, c = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, c = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (len == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	return len;
}

/* A JSON string; bytes that are not UTF-8 become U+FFFD. */
static void
json_str(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	putchar('"');
	for (size_t i = 0; i < n;) {
		size_t len = utf8_len(p + i, n - i);

		if (len == 0) {
			fputs("\\ufffd", stdout);
			i++;
		} else if (len > 1) {
			fwrite(p + i, 1, len, stdout);
			i += len;
		} else {
			if (p[i] == '"' || p[i] == '\\')
				printf("\\%c", p[i]);
			else if (p[i] < 0x20 || p[i] == 0x7f)
				printf("\\u%04x", p[i]);
			else
				putchar(p[i]);
			i++;
		}
	}
	putchar('"');
}

static void
json_meta(const struct fp_reader *a, const char *key)
{
	size_t len;
	const char *v = fp_reader_meta(a, key, &len);

	printf("  \"%s\": ", key);
	if (v != NULL)
		json_str(v, len);
	else
		fputs("null", stdout);
	fputs(",\n", stdout);
}

static void
info_json(const char *app, const struct fp_reader *a, const struct totals *t)
{
	size_t len, pos = 0;
	const char *v = fp_reader_meta(a, "build_time", &len);
	long long bt;
	char iso[32];
	struct kv kv;
	int first = 1;

	fputs("{\n  \"file\": ", stdout);
	json_str(app, strlen(app));
	fputs(",\n", stdout);
	json_meta(a, "name");
	json_meta(a, "version");
	json_meta(a, "revision");
	if (parse_int(v, len, &bt) == 0)
		printf("  \"build_time\": %lld,\n  \"build_time_iso\": \"%s\",\n", bt,
		    iso_time(bt, iso));
	else
		fputs("  \"build_time\": null,\n  \"build_time_iso\": null,\n", stdout);
	json_meta(a, "fatpack_version");
	printf("  \"format_version\": \"%u.%u\",\n", a->version_major, a->version_minor);
	printf("  \"payload_offset\": %" PRIu64 ",\n", a->payload_offset);
	printf("  \"payload_size\": %" PRIu64 ",\n", a->payload_size);
	json_meta(a, "payload_sha256");
	printf("  \"index_size\": %" PRIu64 ",\n", a->index_size);
	printf("  \"asset_count\": %zu,\n", t->assets);
	printf("  \"entries\": %" PRIu32 ",\n", a->count);
	printf("  \"total_size\": %" PRIu64 ",\n", t->decoded);
	printf("  \"compressed_size\": %" PRIu64 ",\n", t->compressed);
	fputs("  \"meta\": {", stdout);
	while (meta_next(a, &pos, &kv)) {
		fputs(first ? "\n    " : ",\n    ", stdout);
		json_str(kv.key, kv.klen);
		fputs(": ", stdout);
		json_str(kv.val, kv.vlen);
		first = 0;
	}
	fputs(first ? "}\n}\n" : "\n  }\n}\n", stdout);
}

static void
info_text(const char *app, const struct fp_reader *a, const struct totals *t)
{
	size_t pos = 0;
	struct kv kv;
	long long bt;
	char iso[32];

	printf("%s: fatpack format %u.%u\n", app, a->version_major, a->version_minor);
	printf("  %-18s %" PRIu64 "  (tail -c +%" PRIu64 " %s | zstd -dc | tar -tv)\n",
	    "payload offset", a->payload_offset, a->payload_offset + 1, app);
	printf("  %-18s %" PRIu64 "\n", "payload size", a->payload_size);
	printf("  %-18s %" PRIu64 "\n", "index size", a->index_size);
	printf("  %-18s %" PRIu32 " (%zu assets)\n", "entries", a->count, t->assets);
	printf("  %-18s %" PRIu64 "\n", "total size", t->decoded);
	printf("  %-18s %" PRIu64, "compressed size", t->compressed);
	if (t->decoded > 0)
		printf(" (%.1f%%)", 100.0 * (double)t->compressed / (double)t->decoded);
	putchar('\n');
	while (meta_next(a, &pos, &kv)) {
		printf("  %-18.*s %.*s", (int)kv.klen, kv.key, (int)kv.vlen, kv.val);
		if (kv_is(&kv, "build_time") && parse_int(kv.val, kv.vlen, &bt) == 0)
			printf(" (%s)", iso_time(bt, iso));
		putchar('\n');
	}
}

int
cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fp_reader a;
	struct totals t;
	int c, fd, json = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'h':
			printf("usage: %s\n\n"
			    "Shows the format version, payload location and sizes, and every\n"
			    "build metadata key (name, version, revision, build time, ...).\n\n"
			    "  --json   one JSON object instead\n", info_usage);
			return 0;
		default:
			return bad_option("info", argv);
		}
	}
	if (argc - optind != 1)
		return bad_usage("info", info_usage);
	if ((fd = open_app(argv[optind], &a)) < 0)
		return 1;
	count(&a, &t);
	if (json)
		info_json(argv[optind], &a, &t);
	else
		info_text(argv[optind], &a, &t);
	close_app(&a, fd);
	return 0;
}

/* --- fatpack verify ------------------------------------------------------ */

static const char verify_usage[] = "fatpack verify APP";

/* Decodes every content frame; the number of assets that fail. */
static int
verify_frames(const char *app, const struct fp_reader *a)
{
	struct fatpack_entry e;
	void *data;
	size_t size;
	int bad = 0, rc;

	for (size_t i = 0; i < a->count; i++) {
		if ((rc = fp_reader_entry(a, i, &e)) != 0) {
			warnx("%s: index entry %zu: %s", app, i, errtext(rc));
			bad++;
			continue;
		}
		if (e.type != FATPACK_FILE)
			continue;
		if ((rc = fp_reader_decode(a, i, &data, &size)) != 0) {
			warnx("%s: %s: %s", app, e.path, errtext(rc));
			bad++;
			continue;
		}
		free(data);
	}
	return bad;
}

/* Recomputes payload_sha256 over the tar stream frames. */
static int
verify_payload_hash(const char *app, const struct fp_reader *a, int fd)
{
	char *want = meta_dup(a, "payload_sha256"), got[65];
	unsigned char *buf = xmalloc(IO_CHUNK), digest[32];
	uint64_t off = a->payload_offset, end = a->payload_offset + a->index_offset;
	struct sha256 h;
	int rc = 0;

	sha256_init(&h);
	while (off < end) {
		size_t n = end - off < IO_CHUNK ? (size_t)(end - off) : IO_CHUNK;

		if (pread_all(fd, buf, n, off) < 0) {
			warn("%s: reading the payload", app);
			rc = -1;
			break;
		}
		sha256_update(&h, buf, n);
		off += n;
	}
	sha256_final(&h, digest);
	sha256_hex(digest, got);
	if (rc == 0 && want == NULL) {
		warnx("%s: metadata has no payload_sha256", app);
		rc = -1;
	} else if (rc == 0 && strcmp(want, got) != 0) {
		warnx("%s: payload SHA-256 mismatch (metadata %s, actual %s)", app, want, got);
		rc = -1;
	}
	free(want);
	free(buf);
	return rc;
}

/* The metadata's asset_count agrees with the index. */
static int
verify_asset_count(const char *app, const struct fp_reader *a, size_t assets)
{
	size_t len;
	const char *v = fp_reader_meta(a, "asset_count", &len);
	long long n;

	if (v == NULL)
		return 0;
	if (parse_int(v, len, &n) < 0 || n < 0 || (unsigned long long)n != assets) {
		warnx("%s: metadata asset_count is %.*s, the index holds %zu assets", app,
		    (int)len, v, assets);
		return -1;
	}
	return 0;
}

int
cmd_verify(int argc, char **argv)
{
	struct fp_reader a;
	struct totals t;
	struct walk w = { 0 };
	int c, fd, bad;
	const char *app;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", help_only, NULL)) != -1) {
		if (c != 'h')
			return bad_option("verify", argv);
		printf("usage: %s\n\n"
		    "Checks everything without running the program: trailer and index\n"
		    "checksums, every content frame (zstd checksum, size, SHA-256), the\n"
		    "payload SHA-256, that the tar stream agrees with the index, and that\n"
		    "the program holds the fatpack runtime.\n", verify_usage);
		return 0;
	}
	if (argc - optind != 1)
		return bad_usage("verify", verify_usage);
	app = argv[optind];
	if ((fd = open_app(app, &a)) < 0)
		return 1;
	count(&a, &t);
	bad = verify_frames(app, &a);
	bad += verify_payload_hash(app, &a, fd) < 0;
	bad += verify_asset_count(app, &a, t.assets) < 0;
	if (!elfcheck_has_runtime(fd)) {
		warnx("%s: the program does not contain the fatpack runtime", app);
		bad++;
	}
	/* a broken frame already said why; the stream walk would repeat it */
	if (bad == 0) {
		w.app = app;
		w.a = &a;
		bad += walk_tar(&w, fd) < 0;
	}
	if (bad == 0)
		printf("%s: OK (%zu assets, %" PRIu64 " bytes, %" PRIu32 " entries)\n",
		    app, t.assets, t.decoded, a.count);
	close_app(&a, fd);
	return bad != 0;
}
