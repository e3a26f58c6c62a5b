/*
 * util.h - small helpers shared by the bundler's commands.
 */
#ifndef FP_UTIL_H
#define FP_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Allocation that cannot fail: on exhaustion they exit with a message. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* An output file written atomically: a temporary file in the target's folder,
 * renamed over the target by outfile_commit. Until then the target path is
 * untouched, whatever happens to the process. */
struct outfile {
	char *path;     /* final path */
	char *tmp;      /* temporary path in the same folder */
	int fd;
};
int outfile_open(struct outfile *o, const char *path, unsigned mode);
int outfile_commit(struct outfile *o);   /* fsync, rename, fsync the folder */
void outfile_abort(struct outfile *o);   /* unlink the temporary file */

/* Writes/reads exactly n bytes (retrying on EINTR and short counts). */
int write_all(int fd, const void *buf, size_t n);
int pread_all(int fd, void *buf, size_t n, uint64_t off);

/* A usage error on stderr, one line: "fatpack CMD: MESSAGE (see fatpack CMD
 * --help)", or "fatpack: MESSAGE (see fatpack --help)" when cmd is NULL.
 * Returns 2, the exit status of a usage error. */
int usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Parses "90s", "15m", "12h", "14d", "2w" into seconds; -1 if malformed. */
long long parse_duration(const char *s);

/* Little-endian stores. */
void put_le16(unsigned char *p, uint16_t v);
void put_le32(unsigned char *p, uint32_t v);
void put_le64(unsigned char *p, uint64_t v);

#endif
