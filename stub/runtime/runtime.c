/*
 * runtime.c - the public API of include/fatpack.h over one process-wide
 * archive: the executable's own payload.
 *
 * Loading reads the trailer and the index headers only (a lazy reader,
 * docs/FORMAT.md 7.1), so start-up costs the same for one asset or 20,000:
 * an entry is checked when a call first touches it. Contents are decoded on
 * first use into a cache of atomic pointers: a thread that misses decodes
 * outside any lock and publishes with compare-and-swap; if another thread
 * won the race, the loser frees its copy and uses the winner's. Published
 * buffers are never freed, so a pointer handed out stays valid for the life
 * of the process.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "fatpack.h"
#include "format/check.h"
#include "mount.h"
#include "runtime.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int status = FATPACK_ENOTFAT;
static char status_detail[256];
static struct fp_reader archive;
static _Atomic(void *) *cache;     /* one slot per entry, NULL until decoded */
static _Atomic int *checked;       /* 0 unknown, 1 good, else a FATPACK_E* code */
static char *meta;                 /* the metadata, '\n' turned into NUL */

/* open(2) itself: the C library's open goes through the mount
 * (stub/runtime/wrap.c), which waits for this very load. */
static int
open_raw(const char *path)
{
	return (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
}

/* The executable itself. Opened once and never by path again, so a rename
 * or a delete of the file does not change what this process reads. */
static int
open_self(void)
{
	const char *path;
	int fd = open_raw("/proc/self/exe");

	if (fd >= 0)
		return fd;
	/* no /proc (a chroot or a jail): the path the kernel was given, which
	 * is still right because nothing has run chdir() yet */
	path = (const char *)getauxval(AT_EXECFN);
	if (path == NULL)
		return -1;
	return open_raw(path);
}

int
fp_runtime_open_self(void)
{
	return open_self();
}

static int
load(void)
{
	int fd, r;

	if ((fd = open_self()) < 0) {
		snprintf(status_detail, sizeof(status_detail),
		    "cannot open the executable: %s", strerror(errno));
		return FATPACK_EIO;
	}
	r = fp_reader_open_lazy(&archive, fd, status_detail,
	    sizeof(status_detail));
	if (r != 0) {
		close(fd);
		return r;
	}
	cache = fp_slots_alloc(archive.count, sizeof(*cache));
	checked = fp_slots_alloc(archive.count, sizeof(*checked));
	meta = malloc((size_t)archive.meta_size + 1);
	if (cache == NULL || checked == NULL || meta == NULL) {
		snprintf(status_detail, sizeof(status_detail), "out of memory");
		fp_slots_free(cache, archive.count, sizeof(*cache));
		fp_slots_free(checked, archive.count, sizeof(*checked));
		free(meta);
		cache = NULL;
		checked = NULL;
		meta = NULL;
		fp_reader_close(&archive);
		close(fd);
		return FATPACK_ENOMEM;
	}
	memcpy(meta, archive.meta, archive.meta_size);
	meta[archive.meta_size] = '\0';
	for (char *p = meta; (p = memchr(p, '\n', archive.meta_size -
	    (size_t)(p - meta))) != NULL; p++)
		*p = '\0';
	return 0;
}

static void
init_once(void)
{
	int saved = errno;

	status = load();
	errno = saved;
}

/* Every entry point goes through here: the API works even when called from a
 * constructor that runs before entry.c loads the payload. */
static int
ready(void)
{
	pthread_once(&once, init_once);
	return status;
}

int
fp_runtime_init(char *detail, size_t len)
{
	int r = ready();

	if (detail != NULL && len > 0)
		snprintf(detail, len, "%s", r != 0 ? status_detail : "");
	return r;
}

const struct fp_reader *
fp_runtime_archive(void)
{
	return ready() == 0 ? &archive : NULL;
}

int
fatpack_status(void)
{
	return ready();
}

const char *
fatpack_strerror(int err)
{
	return fp_strerror(err);
}

size_t
fatpack_count(void)
{
	return ready() == 0 ? archive.count : 0;
}

/* The position of path, or FATPACK_ENOENT or FATPACK_ECORRUPT. */
static long
find(const char *path)
{
	return path != NULL ? fp_reader_find(&archive, path, strlen(path)) :
	    FATPACK_ENOENT;
}

int
fatpack_stat(const char *path, struct fatpack_entry *out)
{
	long i;
	int r;

	if ((r = ready()) != 0)
		return r;
	if ((i = find(path)) < 0)
		return (int)i;
	return fp_reader_entry(&archive, (size_t)i, out);
}

int
fatpack_entry_at(size_t i, struct fatpack_entry *out)
{
	int r;

	if ((r = ready()) != 0)
		return r;
	return fp_reader_entry(&archive, i, out);
}

/* Entry i, when the program may ask for its bytes: the payload is open and
 * i is a file, as fatpack_get_at and fatpack_check_at want it. */
static int
file_at(size_t i, struct fatpack_entry *e)
{
	int r;

	if ((r = ready()) != 0 || (r = fp_reader_entry(&archive, i, e)) != 0)
		return r;
	return e->type == FATPACK_DIR ? FATPACK_EISDIR : 0;
}

int
fatpack_get_at(size_t i, const void **data, size_t *size)
{
	struct fatpack_entry e;
	void *mine, *seen;
	size_t n;
	int r;

	if ((r = file_at(i, &e)) != 0)
		return r;
	seen = atomic_load_explicit(&cache[i], memory_order_acquire);
	if (seen == NULL) {
		if ((r = fp_reader_decode(&archive, i, &mine, &n)) != 0)
			return r;
		if (atomic_compare_exchange_strong_explicit(&cache[i], &seen, mine,
		    memory_order_acq_rel, memory_order_acquire))
			seen = mine;
		else
			free(mine);
	}
	*data = seen;
	*size = (size_t)e.size;
	return 0;
}

/* --- the override folder (FATPACK_ASSETS, docs/MOUNT.md) ----------------- */

/* A file read from the override folder: read once, kept for the life of
 * the process like a decoded asset. */
struct file {
	struct file *next;
	char *path;
	void *data;
	size_t size;
};

static pthread_mutex_t files_lock = PTHREAD_MUTEX_INITIALIZER;
static struct file *files;

/* The whole of the regular file at dir/path, NUL-terminated: 0,
 * FATPACK_ENOENT (not there: the asset answers), FATPACK_EISDIR,
 * FATPACK_EIO or FATPACK_ENOMEM. */
static int
read_file(const char *dir, const char *path, void **out, size_t *size)
{
	char full[PATH_MAX];
	struct stat st;
	size_t done = 0;
	ssize_t n;
	char *buf;
	int fd, r = FATPACK_EIO;

	if (snprintf(full, sizeof(full), "%s/%s", dir, path) >= (int)sizeof(full))
		return FATPACK_ENOENT;
	if ((fd = open(full, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT || errno == ENOTDIR ? FATPACK_ENOENT :
		    errno == EISDIR ? FATPACK_EISDIR : FATPACK_EIO;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = S_ISDIR(st.st_mode) ? FATPACK_EISDIR : FATPACK_EIO;
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		r = FATPACK_ENOMEM;
		goto out;
	}
	while (done < (size_t)st.st_size &&
	    (n = read(fd, buf + done, (size_t)st.st_size - done)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			goto out;
		}
		done += (size_t)n;
	}
	buf[done] = '\0';
	*out = buf;
	*size = done;
	r = 0;
out:
	close(fd);
	return r;
}

/* The override folder's copy of path: 0, or FATPACK_ENOENT when there is
 * no folder or it does not hold path. */
static int
override_get(const char *path, const void **data, size_t *size)
{
	const char *dir = fp_mount_override_dir();
	struct file *f;
	int r = 0;

	if (dir == NULL || path == NULL || fp_check_path(path, strlen(path)) != NULL)
		return FATPACK_ENOENT;
	pthread_mutex_lock(&files_lock);
	for (f = files; f != NULL && strcmp(f->path, path) != 0; f = f->next)
		;
	if (f == NULL && (f = calloc(1, sizeof(*f))) != NULL) {
		if ((f->path = strdup(path)) == NULL ||
		    (r = read_file(dir, path, &f->data, &f->size)) != 0) {
			free(f->path);
			free(f);
			f = NULL;
		} else {
			f->next = files;
			files = f;
		}
	} else if (f == NULL)
		r = FATPACK_ENOMEM;
	pthread_mutex_unlock(&files_lock);
	if (f != NULL) {
		*data = f->data;
		*size = f->size;
	}
	return r;
}

int
fatpack_get(const char *path, const void **data, size_t *size)
{
	long i;
	int r;

	if ((r = override_get(path, data, size)) != FATPACK_ENOENT)
		return r;
	if ((r = ready()) != 0)
		return r;
	if ((i = find(path)) < 0)
		return (int)i;
	return fatpack_get_at((size_t)i, data, size);
}

/* --- a FILE * over an asset ---------------------------------------------- */

/* fopencookie rather than fmemopen: musl's fmemopen refuses a size of 0,
 * and an empty asset must still open as an empty stream. */
struct stream {
	const char *data;
	size_t size, pos;
};

static ssize_t
stream_read(void *cookie, char *buf, size_t len)
{
	struct stream *s = cookie;
	size_t n = s->size - s->pos;

	if (n > len)
		n = len;
	if (n > SSIZE_MAX)
		n = SSIZE_MAX;
	memcpy(buf, s->data + s->pos, n);
	s->pos += n;
	return (ssize_t)n;
}

static int
stream_seek(void *cookie, off_t *off, int whence)
{
	struct stream *s = cookie;
	off_t base;

	switch (whence) {
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = (off_t)s->pos; break;
	case SEEK_END: base = (off_t)s->size; break;
	default: errno = EINVAL; return -1;
	}
	if (*off < -base || *off > (off_t)s->size - base) {
		errno = EINVAL;
		return -1;
	}
	s->pos = (size_t)(base + *off);
	*off = (off_t)s->pos;
	return 0;
}

static int
stream_close(void *cookie)
{
	free(cookie);
	return 0;
}

static int
errno_of(int err)
{
	switch (err) {
	case FATPACK_ENOENT: return ENOENT;
	case FATPACK_EISDIR: return EISDIR;
	case FATPACK_ENOMEM: return ENOMEM;
	default:             return EIO;
	}
}

FILE *
fatpack_fopen(const char *path)
{
	static const cookie_io_functions_t io = {
		.read = stream_read, .seek = stream_seek, .close = stream_close,
	};
	struct stream *s;
	const void *data;
	size_t size;
	FILE *f;
	int r;

	if ((r = fatpack_get(path, &data, &size)) != 0) {
		errno = errno_of(r);
		return NULL;
	}
	if ((s = malloc(sizeof(*s))) == NULL)
		return NULL;
	*s = (struct stream){ data, size, 0 };
	if ((f = fopencookie(s, "r", io)) == NULL)
		free(s);
	return f;
}

int
fatpack_frame_at(size_t i, struct fatpack_frame *out)
{
	int r;

	if ((r = ready()) != 0 || (r = fp_reader_frame(&archive, i, out)) != 0)
		return r;
	/* a client given it could not decode it (fatpack.h) */
	if ((r = fp_reader_frame_dict(&archive, out)) != 0)
		return r > 0 ? FATPACK_EDICT : r;
	return 0;
}

int
fatpack_check_at(size_t i)
{
	struct fatpack_entry e;
	void *bytes;
	size_t n;
	int r;

	if ((r = file_at(i, &e)) != 0)
		return r;
	if (atomic_load_explicit(&cache[i], memory_order_acquire) != NULL)
		return 0;
	if ((r = atomic_load_explicit(&checked[i], memory_order_acquire)) != 0)
		return r == 1 ? 0 : r;
	/* Out of memory says nothing about the frame: not remembered. */
	if ((r = fp_reader_decode(&archive, i, &bytes, &n)) == FATPACK_ENOMEM)
		return r;
	if (r == 0)
		free(bytes);
	atomic_store_explicit(&checked[i], r == 0 ? 1 : r, memory_order_release);
	return r;
}

const char *
fatpack_meta(const char *key)
{
	size_t klen, off = 0;

	if (ready() != 0 || key == NULL)
		return NULL;
	klen = strlen(key);
	while (off < archive.meta_size) {
		const char *line = meta + off;
		size_t n = strlen(line);

		if (n > klen && memcmp(line, key, klen) == 0 && line[klen] == '=')
			return line + klen + 1;
		off += n + 1;
	}
	return NULL;
}

uint64_t
fatpack_payload_offset(void)
{
	return ready() == 0 ? archive.payload_offset : 0;
}
