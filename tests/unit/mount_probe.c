/*
 * mount_probe.c - the C library's file calls on the mount, as unchanged
 * code makes them (driven by tests/t_mount.sh, built with fatpack).
 *
 *   mount_probe gen DIR      write the assets the checks expect into DIR
 *   mount_probe check MOUNT  check every call on them under MOUNT; prints
 *                            "ok - ..." / "not ok - ..." lines
 *   mount_probe cat PATH     copy PATH to stdout through fopen
 *
 * The expected bytes are computed, not read, so `check` needs nothing but
 * itself: it runs in an empty root too.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define BIG_SIZE (4u << 20)
#define THREADS 8
#define ROUNDS 40

static const char *mnt;
static int failures;

static void
report(int good, const char *name, const char *detail)
{
	printf("%sok - %s\n", good ? "" : "not ", name);
	if (!good) {
		failures++;
		if (detail != NULL)
			printf("#   %s\n", detail);
	}
	fflush(stdout);
}

/* Deterministic content: byte i of the big asset. */
static unsigned char
big_byte(size_t i)
{
	uint32_t x = (uint32_t)i * 2654435761u;

	return (unsigned char)(x >> 24 ^ x >> 11);
}

static char *
at(const char *rel)
{
	static _Thread_local char buf[4][4096];
	static _Thread_local int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s%s", mnt, rel);
	return buf[k];
}

static int
write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		return 1;
	}
	return 0;
}

static int
gen(const char *dir)
{
	char p[4096];
	unsigned char *big = malloc(BIG_SIZE);
	int rc;

	if (big == NULL)
		return 1;
	for (size_t i = 0; i < BIG_SIZE; i++)
		big[i] = big_byte(i);
#define P(rel) (snprintf(p, sizeof(p), "%s/%s", dir, rel), p)
	if ((mkdir(P(""), 0755) < 0 && errno != EEXIST) ||
	    mkdir(P("sub"), 0755) < 0 || mkdir(P("sub/deep"), 0755) < 0 ||
	    mkdir(P("sub/empty"), 0755) < 0 || mkdir(P("name with space"), 0755) < 0) {
		free(big);
		return 1;
	}
	rc = write_file(P("a.txt"), "hello\n", 6) ||
	    write_file(P("sub/b.txt"), "world\n", 6) ||
	    write_file(P("sub/deep/c.txt"), "deep\n", 5) ||
	    write_file(P("name with space/é.txt"), "utf8\n", 5) ||
	    write_file(P("empty.txt"), "", 0) ||
	    write_file(P("big.bin"), big, BIG_SIZE);
#undef P
	free(big);
	return rc;
}

/* The whole file at path through read(2), compared with want[0..n). */
static int
same_content(const char *path, const unsigned char *want, size_t n)
{
	unsigned char buf[65536];
	size_t off = 0;
	ssize_t r;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return 0;
	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		if (off + (size_t)r > n || memcmp(buf, want + off, (size_t)r) != 0)
			break;
		off += (size_t)r;
	}
	close(fd);
	return r == 0 && off == n;
}

static void
check_files(const unsigned char *big)
{
	struct stat st;
	char line[64] = "";
	FILE *f;

	report(same_content(at("/a.txt"), (const unsigned char *)"hello\n", 6),
	    "open + read a.txt", NULL);
	report(same_content(at("/sub/deep/c.txt"), (const unsigned char *)"deep\n", 5),
	    "open + read a file two folders down", NULL);
	report(same_content(at("/name with space/é.txt"), (const unsigned char *)"utf8\n", 5),
	    "a name with a space and UTF-8", NULL);
	report(same_content(at("/empty.txt"), (const unsigned char *)"", 0),
	    "an empty file", NULL);
	report(same_content(at("/big.bin"), big, BIG_SIZE), "read the 4 MB asset", NULL);
	f = fopen(at("/sub/b.txt"), "r");
	report(f != NULL && fgets(line, sizeof(line), f) != NULL &&
	    strcmp(line, "world\n") == 0, "fopen + fgets", NULL);
	if (f != NULL)
		fclose(f);
	f = fopen(at("/a.txt"), "re");
	report(f != NULL && (fcntl(fileno(f), F_GETFD) & FD_CLOEXEC),
	    "fopen \"re\" gives a close-on-exec descriptor", NULL);
	if (f != NULL)
		fclose(f);
	report(stat(at("/a.txt"), &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size == 6 && (st.st_mode & 0777) == 0644, "stat of a file", NULL);
	report(lstat(at("/big.bin"), &st) == 0 && st.st_size == BIG_SIZE,
	    "lstat of a file", NULL);
	report(fstatat(AT_FDCWD, at("/sub"), &st, 0) == 0 && S_ISDIR(st.st_mode),
	    "fstatat of a folder", NULL);
	report(stat(mnt, &st) == 0 && S_ISDIR(st.st_mode), "stat of the mount", NULL);
	report(access(at("/a.txt"), R_OK) == 0 && access(at("/sub"), X_OK) == 0 &&
	    faccessat(AT_FDCWD, at("/sub/b.txt"), F_OK, 0) == 0, "access", NULL);
}

static void
check_descriptor(const unsigned char *big)
{
	struct flock lk = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
	struct stat st;
	unsigned char b[16];
	void *map;
	int fd = openat(AT_FDCWD, at("/big.bin"), O_RDONLY | O_CLOEXEC);

	report(fd >= 0, "openat an asset", strerror(errno));
	if (fd < 0)
		return;
	report(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == BIG_SIZE,
	    "fstat of the descriptor", NULL);
	report(lseek(fd, 0, SEEK_END) == BIG_SIZE && lseek(fd, 100, SEEK_SET) == 100,
	    "lseek", NULL);
	report(pread(fd, b, sizeof(b), 1000000) == sizeof(b) &&
	    memcmp(b, big + 1000000, sizeof(b)) == 0, "pread at an offset", NULL);
	map = mmap(NULL, BIG_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	report(map != MAP_FAILED && memcmp(map, big, BIG_SIZE) == 0,
	    "mmap of the 4 MB asset matches byte for byte", NULL);
	if (map != MAP_FAILED)
		munmap(map, BIG_SIZE);
	report(fcntl(fd, F_SETLK, &lk) == 0, "fcntl read lock", strerror(errno));
	lk.l_type = F_UNLCK;
	fcntl(fd, F_SETLK, &lk);
	report(write(fd, "x", 1) < 0, "write to an opened asset fails", NULL);
	report(fcntl(fd, F_GETFD) & FD_CLOEXEC, "O_CLOEXEC kept", NULL);
	close(fd);
}

/* Every name of the folder, each once, as a sorted '/'-joined line. */
static int
listing(const char *path, char *out, size_t cap)
{
	struct dirent **names;
	size_t o = 0;
	int n = scandir(path, &names, NULL, alphasort);

	if (n < 0)
		return -1;
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		o += (size_t)snprintf(out + o, o < cap ? cap - o : 0, "%s%s",
		    i ? "/" : "", names[i]->d_name);
		free(names[i]);
	}
	free(names);
	return n;
}

static void
check_folders(void)
{
	char got[1024];
	struct dirent *de;
	int n = 0, dot = 0, sub = 0, typed = 1;
	DIR *d = opendir(mnt);

	report(d != NULL, "opendir of the mount", strerror(errno));
	if (d != NULL) {
		while ((de = readdir(d)) != NULL) {
			n++;
			dot += strcmp(de->d_name, ".") == 0;
			sub += strcmp(de->d_name, "sub") == 0;
			if (strcmp(de->d_name, "sub") == 0 && de->d_type != DT_DIR)
				typed = 0;
			if (strcmp(de->d_name, "a.txt") == 0 && de->d_type != DT_REG)
				typed = 0;
		}
		rewinddir(d);
		report(readdir(d) != NULL, "rewinddir starts over", NULL);
		closedir(d);
	}
	report(n == 7 && dot == 1 && sub == 1 && typed,
	    "readdir: every entry once, with its type", NULL);
	listing(at("/sub"), got, sizeof(got));
	report(strcmp(got, "./../b.txt/deep/empty") == 0, "scandir of a folder", got);
	report(listing(at("/sub/empty"), got, sizeof(got)) == 2,
	    "an empty folder lists . and ..", got);
	errno = 0;
	report(opendir(at("/a.txt")) == NULL && errno == ENOTDIR,
	    "opendir of a file: ENOTDIR", strerror(errno));
	errno = 0;
	report(opendir(at("/nope")) == NULL && errno == ENOENT,
	    "opendir of nothing: ENOENT", strerror(errno));
}

static void
check_paths(void)
{
	char buf[4096], *rp;
	struct stat st, up;

	report(same_content(at("//sub/./deep/..//b.txt"), (const unsigned char *)"world\n", 6),
	    "// . and .. inside the mount", NULL);
	snprintf(buf, sizeof(buf), "%.*s/", (int)(strrchr(mnt, '/') - mnt), mnt);
	report(stat(buf, &st) == 0 && stat(at("/sub/../.."), &up) == 0 &&
	    up.st_dev == st.st_dev && up.st_ino == st.st_ino,
	    "the mount's parent is the real folder", buf);
	snprintf(buf, sizeof(buf), "%s/../%s/a.txt", mnt, strrchr(mnt, '/') + 1);
	report(same_content(buf, (const unsigned char *)"hello\n", 6),
	    "out of the mount by .. and back in", buf);
	rp = realpath(at("/sub/deep/../../a.txt"), NULL);
	report(rp != NULL && strcmp(rp, at("/a.txt")) == 0, "realpath", rp);
	free(rp);
	errno = 0;
	report(readlink(at("/a.txt"), buf, sizeof(buf)) < 0 && errno == EINVAL,
	    "readlink of a file: EINVAL", strerror(errno));
	errno = 0;
	report(stat(at("/a.txt/x"), &st) < 0 && errno == ENOTDIR,
	    "a file used as a folder: ENOTDIR", strerror(errno));
	errno = 0;
	report(stat(at("/a.txt/"), &st) < 0 && errno == ENOTDIR,
	    "a file with a trailing slash: ENOTDIR", strerror(errno));
	errno = 0;
	report(open(at("/a.txt/../b"), O_RDONLY) < 0 && errno == ENOTDIR,
	    ".. after a file: ENOTDIR", strerror(errno));
	errno = 0;
	report(open(at("/nope/x"), O_RDONLY) < 0 && errno == ENOENT,
	    "a missing folder: ENOENT", strerror(errno));
	errno = 0;
	report(open(at("/sub"), O_RDWR) < 0 && errno == EISDIR,
	    "a folder opened for writing: EISDIR", strerror(errno));
	errno = 0;
	report(open(at("/a.txt"), O_RDONLY | O_DIRECTORY) < 0 && errno == ENOTDIR,
	    "O_DIRECTORY on a file: ENOTDIR", strerror(errno));
}

static void
expect_erofs(int r, const char *name)
{
	char what[128];

	snprintf(what, sizeof(what), "%s: EROFS", name);
	report(r < 0 && errno == EROFS, what, strerror(errno));
}

static void
check_writes(void)
{
	errno = 0;
	expect_erofs(open(at("/a.txt"), O_WRONLY), "open O_WRONLY");
	expect_erofs(open(at("/a.txt"), O_RDWR), "open O_RDWR");
	expect_erofs(open(at("/a.txt"), O_RDONLY | O_TRUNC), "open O_TRUNC");
	expect_erofs(open(at("/new.txt"), O_WRONLY | O_CREAT, 0644), "create");
	expect_erofs(fopen(at("/a.txt"), "w") ? 0 : -1, "fopen w");
	expect_erofs(fopen(at("/a.txt"), "r+") ? 0 : -1, "fopen r+");
	expect_erofs(fopen(at("/sub/new.txt"), "a") ? 0 : -1, "fopen a");
	expect_erofs(mkdir(at("/newdir"), 0755), "mkdir");
	expect_erofs(unlink(at("/a.txt")), "unlink");
	expect_erofs(rmdir(at("/sub/empty")), "rmdir");
	expect_erofs(rename(at("/a.txt"), at("/z.txt")), "rename");
	expect_erofs(chmod(at("/a.txt"), 0600), "chmod");
	expect_erofs(truncate(at("/a.txt"), 0), "truncate");
	expect_erofs(access(at("/a.txt"), W_OK), "access W_OK");
	expect_erofs(symlink("x", at("/link")), "symlink");
	expect_erofs(unlink(at("/no-such.txt")), "unlink of a missing name");
	expect_erofs(rename(at("/no-such.txt"), at("/b.txt")), "rename of a missing name");
	errno = 0;
	report(chmod(at("/no-such.txt"), 0600) < 0 && errno == ENOENT,
	    "chmod of a missing name: ENOENT", strerror(errno));
	errno = 0;
	report(mkdir(at("/sub"), 0755) < 0 && errno == EEXIST, "mkdir of a folder there: EEXIST",
	    strerror(errno));
	errno = 0;
	report(open(at("/a.txt"), O_RDONLY | O_CREAT | O_EXCL, 0644) < 0 &&
	    errno == EEXIST, "O_CREAT|O_EXCL of an asset: EEXIST", strerror(errno));
	report(same_content(at("/a.txt"), (const unsigned char *)"hello\n", 6),
	    "the asset is unchanged after the attempts", NULL);
}

/* The runtime keeps a memfd per opened asset. A program that puts another
 * file at that number (dup2, or a daemon closing what it does not know)
 * must not get that file's bytes for the asset. */
static void
check_kept_memfd(void)
{
	char link[300], target[256];
	struct dirent *de;
	int kept = -1, other;
	ssize_t n;
	DIR *d;

	if (!same_content(at("/sub/b.txt"), (const unsigned char *)"world\n", 6) ||
	    (d = opendir("/proc/self/fd")) == NULL)
		return;   /* no /proc: each open is a copy, nothing is kept */
	while ((de = readdir(d)) != NULL) {
		snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n > 0 && (target[n] = '\0', strstr(target, "memfd:b.txt") != NULL))
			kept = atoi(de->d_name);
	}
	closedir(d);
	report(kept >= 0, "the memfd kept for an opened asset is there", NULL);
	if (kept < 0 || (other = open(at("/a.txt"), O_RDONLY)) < 0)
		return;
	dup2(other, kept);   /* a.txt's bytes now at b.txt's kept number */
	close(other);
	report(same_content(at("/sub/b.txt"), (const unsigned char *)"world\n", 6),
	    "another file at the kept memfd's number: the asset's own bytes", NULL);
	close(kept);
	report(same_content(at("/sub/b.txt"), (const unsigned char *)"world\n", 6),
	    "the kept memfd closed by the program: opened again", NULL);
}

struct job {
	const unsigned char *big;
	int good;
};

static void *
reader(void *arg)
{
	struct job *j = arg;

	j->good = 1;
	for (int i = 0; i < ROUNDS && j->good; i++)
		j->good = same_content(at("/a.txt"), (const unsigned char *)"hello\n", 6) &&
		    same_content(at(i % 2 ? "/big.bin" : "/sub/b.txt"),
		    i % 2 ? j->big : (const unsigned char *)"world\n", i % 2 ? BIG_SIZE : 6);
	return NULL;
}

static void
check_threads(const unsigned char *big)
{
	pthread_t t[THREADS];
	struct job j[THREADS];
	int good = 1;

	for (int i = 0; i < THREADS; i++) {
		j[i].big = big;
		if (pthread_create(&t[i], NULL, reader, &j[i]) != 0)
			return report(0, "pthread_create", strerror(errno));
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		good &= j[i].good;
	}
	report(good, "8 threads opening and reading at once", NULL);
}

/* A real file outside the mount, written and read through the same calls. */
static void
check_outside(const char *dir)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/outside.txt", dir);
	f = fopen(path, "w");
	report(f != NULL && fputs("out\n", f) >= 0 && fclose(f) == 0,
	    "a file outside the mount is written", path);
	report(same_content(path, (const unsigned char *)"out\n", 4) && unlink(path) == 0,
	    "and read back, and removed", path);
}

static int
check(const char *dir)
{
	unsigned char *big = malloc(BIG_SIZE);

	if (big == NULL)
		return 1;
	for (size_t i = 0; i < BIG_SIZE; i++)
		big[i] = big_byte(i);
	mnt = dir;
	check_files(big);
	check_descriptor(big);
	check_folders();
	check_paths();
	check_writes();
	check_threads(big);
	if (getenv("FATPACK_ASSETS") == NULL)   /* else the files are the folder's */
		check_kept_memfd();
	if (getenv("PROBE_SCRATCH") != NULL)
		check_outside(getenv("PROBE_SCRATCH"));
	free(big);
	return failures != 0;
}

static int
cat(const char *path)
{
	char buf[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		perror(path);
		return 1;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stdout);
	fclose(f);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "gen") == 0)
		return gen(argv[2]);
	if (argc == 3 && strcmp(argv[1], "check") == 0)
		return check(argv[2]);
	if (argc == 3 && strcmp(argv[1], "cat") == 0)
		return cat(argv[2]);
	fprintf(stderr, "usage: mount_probe gen DIR | check MOUNT | cat PATH\n");
	return 2;
}
