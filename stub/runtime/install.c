/*
 * install.c - `APP --fatpack-install DIR [--keep N]`, `--fatpack-rollback
 * DIR` and `--fatpack-releases DIR`: the artifact installs itself, so the
 * target host needs no fatpack (docs/DEPLOY.md).
 *
 *     DIR/releases/NAME-VERSION-BUILD    one file per release
 *     DIR/current -> releases/...        what the service runs
 *
 * A release appears under its name only complete and on disk (written to a
 * temporary dot file from the executable's open descriptor, fsync, rename,
 * fsync of the folder), and `current` moves only after that, by renaming a
 * new symlink over it: a crash at any moment leaves `current` pointing at a
 * complete release. Install order is the releases' mtime (each install
 * writes a new file); rollback steps back in that order. Everything that
 * changes the tree holds the lock `fatpack prune` takes (flock on
 * DIR/releases), and pruning is stub/deploy/'s fp_prune.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "deploy/deploy.h"
#include "format/check.h"
#include "inspect/inspect.h"
#include "runtime.h"

#define RELEASES "releases"
#define CURRENT "current"
/* Temporary names: one install at a time holds the lock, so fixed names do;
 * what a killed install left is removed by the next one. */
#define TMP_RELEASE ".fatpack-install.tmp"
#define TMP_CURRENT ".current.fatpack-tmp"
#define NAME_MAX_ 240
#define SHOWN_MAX 4400
#define BUILD_HEX 12            /* a git object name or a hash, shortened */

struct tree {
	const char *prog;
	const char *dir;        /* DIR as given */
	char releases[SHOWN_MAX];  /* DIR/releases, for messages */
	int dfd, rfd;
};

/* "PROG: FOLDER/FILE: WHAT: strerror" (FOLDER alone when file is ""). */
static int
say(const struct tree *t, const char *folder, const char *file,
    const char *what)
{
	char path[SHOWN_MAX];

	fp_join(folder, file, path, sizeof(path));
	fp_msg(t->prog, "%s: %s%s%s", file[0] != '\0' ? path : folder,
	    what, what[0] != '\0' ? ": " : "", strerror(errno));
	return 1;
}

static int
say_errno(const struct tree *t, const char *file, const char *what)
{
	return say(t, t->dir, file, what);
}

/* --- the release's name ---------------------------------------------------- */

/* A metadata value into buf, checked by rule (NULL: any); "" when absent. */
static int
meta_word(const struct fp_reader *r, const char *key,
    const char *(*rule)(const char *), char *buf, size_t cap)
{
	size_t len;
	const char *v = fp_reader_meta(r, key, &len);

	buf[0] = '\0';
	if (v == NULL)
		return 0;
	if (len >= cap)
		return -1;
	memcpy(buf, v, len);
	buf[len] = '\0';
	return rule != NULL && rule(buf) != NULL ? -1 : 0;
}

static int
all_hex(const char *s)
{
	return s[0] != '\0' && strspn(s, "0123456789abcdef") == strlen(s);
}

/* NAME-VERSION-BUILD (NAME-BUILD without a version), as `fatpack build -o
 * '{name}-{version}-{build}'` names it: BUILD is the revision, a git object
 * name shortened to 12 hex digits, else 12 hex digits of the payload's hash. */
static int
release_name(const struct fp_reader *r, char *out, size_t cap)
{
	char name[NAME_MAX_], version[NAME_MAX_], build[NAME_MAX_];

	if (meta_word(r, "name", fp_check_name, name, sizeof(name)) < 0 ||
	    meta_word(r, "version", fp_check_version, version,
	    sizeof(version)) < 0 ||
	    meta_word(r, "revision", fp_check_version, build,
	    sizeof(build)) < 0 || name[0] == '\0')
		return -1;
	if (build[0] == '\0' && (meta_word(r, "payload_sha256", NULL, build,
	    sizeof(build)) < 0 || !all_hex(build)))
		return -1;
	if (all_hex(build) && strlen(build) >= 40)
		build[BUILD_HEX] = '\0';
	if (snprintf(out, cap, "%s%s%s-%s", name, version[0] != '\0' ? "-" : "",
	    version, build) >= (int)cap)
		return -1;
	return 0;
}

/* --- opening the tree ------------------------------------------------------ */

static int
make_releases(const struct tree *t)
{
	if (mkdirat(t->dfd, RELEASES, 0755) < 0)
		return errno == EEXIST ? 0 : say_errno(t, RELEASES,
		    "cannot create");
	/* 0755 whatever the umask: a service's DynamicUser= must reach it */
	if (fchmodat(t->dfd, RELEASES, 0755, 0) < 0)
		return say_errno(t, RELEASES, "chmod");
	return 0;
}

/* DIR and DIR/releases (created when create is set), both open. */
static int
open_tree(struct tree *t, int create)
{
	t->rfd = -1;
	fp_join(t->dir, RELEASES, t->releases, sizeof(t->releases));
	if ((t->dfd = open(t->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return say_errno(t, "", "");
	if (create && faccessat(t->dfd, ".", W_OK, AT_EACCESS) < 0)
		return say_errno(t, "", "not writable");
	if (create && make_releases(t) != 0)
		return 1;
	t->rfd = openat(t->dfd, RELEASES, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (t->rfd < 0)
		return say_errno(t, RELEASES, "");
	return 0;
}

static void
close_tree(struct tree *t)
{
	if (t->rfd >= 0)
		close(t->rfd);
	if (t->dfd >= 0)
		close(t->dfd);
}

/* `current` is a symlink or absent: anything else is the operator's, and
 * is not replaced. */
static int
check_current(const struct tree *t)
{
	struct stat st;

	if (fstatat(t->dfd, CURRENT, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : say_errno(t, CURRENT, "");
	if (S_ISLNK(st.st_mode))
		return 0;
	fp_msg(t->prog, "%s/%s: exists and is not a symlink; not replacing it",
	    t->dir, CURRENT);
	return 1;
}

/* --- writing --------------------------------------------------------------- */

static int
copy_all(int from, int to, uint64_t size)
{
	static char buf[1 << 16];
	uint64_t off = 0;

	while (off < size) {
		size_t want = size - off < sizeof(buf) ? (size_t)(size - off) :
		    sizeof(buf);
		ssize_t n = pread(from, buf, want, (off_t)off);

		if (n == 0)
			errno = EIO;
		if (n <= 0 && !(n < 0 && errno == EINTR))
			return -1;
		for (ssize_t w = 0, k; w < n; w += k)
			if ((k = write(to, buf + w, (size_t)(n - w))) < 0) {
				if (errno != EINTR)
					return -1;
				k = 0;
			}
		off += n > 0 ? (uint64_t)n : 0;
	}
	return 0;
}

/* The copy is this very artifact: its trailer and index read back. */
static int
readable(int fd)
{
	struct fp_reader a;
	char detail[256];

	if (fp_reader_open(&a, fd, detail, sizeof(detail)) != 0)
		return -1;
	fp_reader_close(&a);
	return 0;
}

/* This executable as DIR/releases/name: complete and on disk, or absent. */
static int
write_release(const struct tree *t, const struct fp_reader *r,
    const char *name)
{
	int fd, e, copied;

	if (unlinkat(t->rfd, TMP_RELEASE, 0) < 0 && errno != ENOENT)
		return say(t, t->releases, TMP_RELEASE, "");
	fd = openat(t->rfd, TMP_RELEASE, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
	    0755);
	if (fd < 0)
		return say(t, t->releases, TMP_RELEASE, "");
	copied = copy_all(r->fd, fd, r->file_size) == 0 && fchmod(fd, 0755) == 0 &&
	    fsync(fd) == 0;
	e = errno;
	if (copied && readable(fd) < 0) {
		copied = 0;
		e = EIO;
	}
	close(fd);
	if (copied && renameat(t->rfd, TMP_RELEASE, t->rfd, name) == 0)
		return fsync(t->rfd) == 0 ? 0 : say(t, t->releases, "", "fsync");
	if (copied)
		e = errno;
	unlinkat(t->rfd, TMP_RELEASE, 0);
	errno = e;
	return say(t, t->releases, copied ? name : TMP_RELEASE, "");
}

/* DIR/current -> releases/name, replaced in one rename. */
static int
point_current(const struct tree *t, const char *name)
{
	char target[NAME_MAX_ + sizeof(RELEASES) + 1];

	snprintf(target, sizeof(target), "%s/%s", RELEASES, name);
	if (unlinkat(t->dfd, TMP_CURRENT, 0) < 0 && errno != ENOENT)
		return say_errno(t, TMP_CURRENT, "");
	if (symlinkat(target, t->dfd, TMP_CURRENT) < 0)
		return say_errno(t, TMP_CURRENT, "");
	if (renameat(t->dfd, TMP_CURRENT, t->dfd, CURRENT) < 0) {
		int e = errno;

		unlinkat(t->dfd, TMP_CURRENT, 0);
		errno = e;
		return say_errno(t, CURRENT, "");
	}
	if (fsync(t->dfd) < 0)
		return say_errno(t, "", "fsync");
	printf("%s/%s -> %s\n", t->dir, CURRENT, target);
	return 0;
}

int
fp_install(const char *prog, const struct fp_reader *r, const char *dir,
    long keep)
{
	struct tree t = { prog, dir, "", -1, -1 };
	char name[NAME_MAX_], shown[SHOWN_MAX];
	int rc;

	if (release_name(r, name, sizeof(name)) < 0) {
		fp_msg(prog, "%s: no usable name, version or revision in the "
		    "metadata to name the release", prog);
		return 1;
	}
	if (open_tree(&t, 1) != 0 ||
	    fp_deploy_lock(prog, t.rfd, t.releases, 0) != 0 ||
	    check_current(&t) != 0 || write_release(&t, r, name) != 0) {
		close_tree(&t);
		return 1;
	}
	fp_join(t.releases, name, shown, sizeof(shown));
	printf("installed %s\n", shown);
	if ((rc = point_current(&t, name)) == 0 && keep > 0) {
		struct fp_prune p = { prog, t.releases, -1, NULL, keep,
		    { NULL, NULL }, 0, 0 };

		rc = fp_prune(t.rfd, &p);
	}
	close_tree(&t);         /* releases the lock */
	return rc;
}

/* --- rollback and the list ------------------------------------------------- */

/* The rank of current's target among the releases, or -1 after a message. */
static long
current_rank(const struct tree *t, const struct fp_release *v, size_t n)
{
	struct stat st;

	if (fstatat(t->dfd, CURRENT, &st, 0) < 0) {
		say_errno(t, CURRENT, "");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (v[i].st.st_dev == st.st_dev && v[i].st.st_ino == st.st_ino)
			return (long)i;
	fp_msg(t->prog, "%s/%s: does not point at a release in %s", t->dir,
	    CURRENT, t->releases);
	return -1;
}

int
fp_rollback(const char *prog, const char *dir)
{
	struct tree t = { prog, dir, "", -1, -1 };
	struct fp_release *v = NULL;
	size_t n = 0;
	long i;
	int rc = 1;

	if (open_tree(&t, 0) != 0 ||
	    fp_deploy_lock(prog, t.rfd, t.releases, 0) != 0 ||
	    check_current(&t) != 0) {
		close_tree(&t);
		return 1;
	}
	if (fp_releases(t.rfd, NULL, &v, &n) < 0)
		say_errno(&t, RELEASES, "");
	else if ((i = current_rank(&t, v, n)) < 0)
		;
	else if ((size_t)i + 1 >= n)
		fp_msg(prog, "%s/%s: no release installed before %s to roll back "
		    "to", dir, CURRENT, v[i].name);
	else
		rc = point_current(&t, v[i + 1].name);
	fp_releases_free(v, n);
	close_tree(&t);
	return rc;
}

/* The release's version from its own metadata, "-" when it has none. */
static void
release_version(int rfd, const char *name, char *buf, size_t cap)
{
	struct fp_reader a;
	char detail[256];
	int fd = openat(rfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);

	snprintf(buf, cap, "-");
	if (fd < 0)
		return;
	if (fp_reader_open(&a, fd, detail, sizeof(detail)) == 0) {
		if (meta_word(&a, "version", fp_check_version, buf, cap) < 0 ||
		    buf[0] == '\0')
			snprintf(buf, cap, "-");
		fp_reader_close(&a);
	}
	close(fd);
}

int
fp_list_releases(const char *prog, const char *dir)
{
	struct tree t = { prog, dir, "", -1, -1 };
	struct fp_release *v = NULL;
	struct stat cur;
	size_t n = 0;
	time_t now = time(NULL);
	int have_cur;

	if (open_tree(&t, 0) != 0) {
		close_tree(&t);
		return 1;
	}
	if (fp_releases(t.rfd, NULL, &v, &n) < 0) {
		say_errno(&t, RELEASES, "");
		close_tree(&t);
		return 1;
	}
	have_cur = fstatat(t.dfd, CURRENT, &cur, 0) == 0;
	for (size_t i = 0; i < n; i++) {
		char version[NAME_MAX_], age[64];

		release_version(t.rfd, v[i].name, version, sizeof(version));
		fp_show_age((long long)now - (long long)v[i].st.st_mtime, age,
		    sizeof(age));
		printf("%c %s  %s  %s\n", have_cur && cur.st_dev ==
		    v[i].st.st_dev && cur.st_ino == v[i].st.st_ino ? '*' : ' ',
		    v[i].name, version, age);
	}
	fp_releases_free(v, n);
	close_tree(&t);
	return 0;
}
