/*
 * util.h - small helpers shared by the bundler's commands.
 */
#ifndef FP_UTIL_H
#define FP_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

/* Allocation that cannot fail: on exhaustion they exit with a message. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* An output file written atomically: a temporary file in the target's folder,
 * renamed over the target by outfile_commit. Until then the target path is
 * untouched, whatever happens to the process, and the temporary file is
 * removed however the command ends (temps.h). */
struct outfile {
	char *path;     /* final path */
	char *tmp;      /* temporary path in the same folder */
	int fd;
};
int outfile_open(struct outfile *o, const char *path, unsigned mode);
int outfile_commit(struct outfile *o);   /* fsync, rename, fsync the folder */
void outfile_abort(struct outfile *o);   /* unlink the temporary file */

/* Writes exactly n bytes (retrying on EINTR and short counts). Reading at
 * an offset is the format library's fp_read_at. */
int write_all(int fd, const void *buf, size_t n);

/* Creates the folders above path that are missing (mkdir -p of its
 * dirname), saying which one failed on stderr. */
int mkdir_parents(const char *path);
/* Reads n bytes, fewer only at the end of the file; -1 on error. */
ssize_t read_full(int fd, void *buf, size_t n);

/* What tells a file's content without reading it: when any of it differs
 * later, the file changed in between. */
struct file_stamp {
	uint64_t dev, ino;
	int64_t size;
	struct timespec mtime, ctime;
};
void stamp_of(struct file_stamp *fs, const struct stat *st);
int stamp_eq(const struct file_stamp *a, const struct file_stamp *b);

/* Opens an input file for reading, fills *st and refuses anything but a
 * regular file, without blocking on a FIFO or a device on the way. Returns
 * the descriptor, or -1 with *why set ("not a regular file" or strerror). */
int open_regular(const char *path, struct stat *st, const char **why);

/* A usage error on stderr, one line: "fatpack CMD: MESSAGE (see fatpack CMD
 * --help)", or "fatpack: MESSAGE (see fatpack --help)" when cmd is NULL.
 * Returns 2, the exit status of a usage error. */
int usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The usage error for what getopt_long(3) returned in c when it refused an
 * argument (opterr = 0, short options starting with ':'): a missing value
 * or an unknown option, named as the user typed it. Returns 2. */
int usage_getopt(const char *cmd, int c, char **argv);

/* Parses "90s", "15m", "12h", "14d", "2w" into seconds; -1 if malformed. */
long long parse_duration(const char *s);


#endif
