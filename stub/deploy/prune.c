/*
 * prune.c - which releases go and which stay (deploy.h): `fatpack prune`
 * and `APP --fatpack-install --keep N` both call fp_prune.
 *
 * What is removed is only ever a regular file directly in the folder,
 * matching the pattern, that is a fat binary, older than asked, not among
 * the N newest, not the target of a symlink in the folder or in its parent
 * (`current`) and not the executable of a running process. Each of these
 * is checked again right before the unlink.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "format/reader.h"
#include "inspect/inspect.h"
#include "deploy.h"

#define LOCK_WAIT_MS 60000      /* how long to wait for another run */
#define WHY_MAX 64
#define SHOWN_MAX 4400          /* a folder and a name, in messages */

struct file_id {
	dev_t dev;
	ino_t ino;
	char why[WHY_MAX];      /* symlink name, or "pid N" */
};

struct id_set {
	struct file_id *v;
	size_t n;
	int hidden;             /* processes we were not allowed to look at */
	long hidden_pid;        /* the first of them */
};

/* --- what must never be removed ------------------------------------------ */

static int
add_id(struct id_set *s, const struct stat *st, const char *prefix,
    const char *name)
{
	struct file_id *v = realloc(s->v, (s->n + 1) * sizeof(*s->v));

	if (v == NULL)
		return -1;
	s->v = v;
	v[s->n].dev = st->st_dev;
	v[s->n].ino = st->st_ino;
	snprintf(v[s->n].why, WHY_MAX, "%s%s", prefix, name);
	s->n++;
	return 0;
}

static const struct file_id *
find_id(const struct id_set *s, const struct stat *st)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].dev == st->st_dev && s->v[i].ino == st->st_ino)
			return &s->v[i];
	return NULL;
}

static void
free_ids(struct id_set *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* A listing of the folder open on dfd, from its start; dfd stays open. */
static DIR *
dir_stream(int dfd)
{
	DIR *d;
	int fd = dup(dfd);

	if (fd < 0)
		return NULL;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return NULL;
	}
	rewinddir(d);
	return d;
}

/* The files the symlinks in the folder open on dfd point to, whatever
 * their names; each named prefix + name. */
static int
links_in(int dfd, const char *prefix, struct id_set *links)
{
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if ((d = dir_stream(dfd)) == NULL)
		return -1;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		struct stat st;

		if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISLNK(st.st_mode))
			continue;
		if (fstatat(dfd, e->d_name, &st, 0) == 0 && S_ISREG(st.st_mode))
			rc = add_id(links, &st, prefix, e->d_name);
	}
	closedir(d);
	return rc;
}

/* The symlinks of the folder and of its parent: `current` may sit next to
 * the releases (DIR/releases/current) or above them (DIR/current, the
 * layout of --fatpack-install). */
static int
scan_links(int dfd, struct id_set *links)
{
	int up, rc;

	if (links_in(dfd, "", links) < 0)
		return -1;
	up = openat(dfd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (up < 0)
		return errno == EACCES ? 0 : -1;
	rc = links_in(up, "../", links);
	close(up);
	return rc;
}

/* The executables of running processes, from /proc/PID/exe: stat(2) on it
 * gives the device and inode of the file the process runs, even if it was
 * renamed. Other users' processes need root (counted in procs->hidden). */
static int
scan_procs(struct id_set *procs)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int rc = 0;

	if (d == NULL)
		return -1;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		char path[sizeof(e->d_name) + 8];
		struct stat st;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "%s/exe", e->d_name);
		if (fstatat(dirfd(d), path, &st, 0) == 0)
			rc = add_id(procs, &st, "pid ", e->d_name);
		else if ((errno == EACCES || errno == EPERM) &&
		    procs->hidden++ == 0)
			procs->hidden_pid = strtol(e->d_name, NULL, 10);
	}
	closedir(d);
	return rc;
}

/* --- releases ------------------------------------------------------------- */

/* Whether the regular file name in the folder is a fat binary (a readable
 * trailer and index), checked on the same inode lstat saw. */
static int
is_fat(int dfd, const char *name, const struct stat *st)
{
	struct fp_reader a;
	struct stat fst;
	char detail[256];
	int fd, fat = 0;

	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fstat(fd, &fst) == 0 && fst.st_dev == st->st_dev &&
	    fst.st_ino == st->st_ino &&
	    fp_reader_open(&a, fd, detail, sizeof(detail)) == 0) {
		fp_reader_close(&a);
		fat = 1;
	}
	close(fd);
	return fat;
}

/* Newest first; names break ties so the order never depends on readdir. */
static int
cmp_newest(const void *pa, const void *pb)
{
	const struct fp_release *a = pa, *b = pb;

	if (a->st.st_mtim.tv_sec != b->st.st_mtim.tv_sec)
		return a->st.st_mtim.tv_sec > b->st.st_mtim.tv_sec ? -1 : 1;
	if (a->st.st_mtim.tv_nsec != b->st.st_mtim.tv_nsec)
		return a->st.st_mtim.tv_nsec > b->st.st_mtim.tv_nsec ? -1 : 1;
	return strcmp(b->name, a->name);
}

static int
add_release(struct fp_release **v, size_t *n, const char *name,
    const struct stat *st)
{
	struct fp_release *nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (nv == NULL)
		return -1;
	*v = nv;
	if ((nv[*n].name = strdup(name)) == NULL)
		return -1;
	nv[*n].st = *st;
	(*n)++;
	return 0;
}

static int
is_candidate(const struct fp_names *names, const char *name)
{
	if (names == NULL || names->match == NULL)
		return name[0] != '.';
	return names->match(names->pattern, name, FNM_PERIOD) == 0;
}

int
fp_releases(int dfd, const struct fp_names *names, struct fp_release **out,
    size_t *n)
{
	DIR *d;
	struct dirent *e;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if ((d = dir_stream(dfd)) == NULL)
		return -1;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		struct stat st;

		if (!is_candidate(names, e->d_name) ||
		    fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) || !is_fat(dfd, e->d_name, &st))
			continue;
		rc = add_release(out, n, e->d_name, &st);
	}
	closedir(d);
	if (rc < 0) {
		fp_releases_free(*out, *n);
		*out = NULL;
		*n = 0;
		errno = ENOMEM;
		return -1;
	}
	if (*n > 0)
		qsort(*out, *n, sizeof(**out), cmp_newest);
	return 0;
}

void
fp_releases_free(struct fp_release *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

/* --- deciding and removing ------------------------------------------------ */

void
fp_show_age(long long s, char *buf, size_t len)
{
	static const struct { long long secs; const char *unit; } units[] = {
		{ 86400, "day" }, { 3600, "hour" }, { 60, "minute" }, { 1, "second" },
	};
	size_t i = 0;

	if (s < 0)
		s = 0;
	while (i + 1 < sizeof(units) / sizeof(units[0]) && s < units[i].secs)
		i++;
	s /= units[i].secs;
	snprintf(buf, len, "%lld %s%s old", s, units[i].unit, s == 1 ? "" : "s");
}

void
fp_join(const char *dir, const char *name, char *buf, size_t len)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 1 && dir[0] == '/')
		snprintf(buf, len, "/%s", name);
	else
		snprintf(buf, len, "%.*s/%s", (int)n, dir, name);
}

static int
is_old(const struct fp_prune *p, const struct stat *st, time_t now)
{
	return p->older < 0 ||
	    (long long)now - (long long)st->st_mtime > p->older;
}

static int
is_current(const char *why)
{
	return strcmp(why, "current") == 0 || strcmp(why, "../current") == 0;
}

/* Why the release at rank i (0 = newest) stays, into why; 0 to remove it. */
static int
keep_reason(const struct fp_prune *p, const struct fp_release *a, size_t i,
    const struct id_set *links, const struct id_set *procs, time_t now,
    char *why, size_t len)
{
	const struct file_id *id;

	if ((id = find_id(links, &a->st)) != NULL)
		snprintf(why, len, is_current(id->why) ? "current" :
		    "target of %s", id->why);
	else if ((id = find_id(procs, &a->st)) != NULL)
		snprintf(why, len, "running, %s", id->why);
	else if ((long)i < p->keep)
		snprintf(why, len, "newest %ld", p->keep);
	else if (!is_old(p, &a->st, now))
		snprintf(why, len, "younger than %s", p->older_arg);
	else
		return 0;
	return 1;
}

/* Right before the unlink: the same file, still old, and nothing started
 * running it or linked to it since the first look. NULL, or why it stays. */
static const char *
recheck(int dfd, const struct fp_prune *p, const struct fp_release *a,
    time_t now)
{
	struct id_set links = { 0 }, procs = { 0 };
	struct stat st;
	const char *why = NULL;

	if (fstatat(dfd, a->name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    st.st_dev != a->st.st_dev || st.st_ino != a->st.st_ino ||
	    !is_old(p, &st, now))
		return "changed while pruning";
	if (scan_links(dfd, &links) < 0 || scan_procs(&procs) < 0)
		why = "cannot check it again";
	else if (find_id(&links, &st) != NULL)
		why = "linked while pruning";
	else if (find_id(&procs, &st) != NULL)
		why = "started while pruning";
	free_ids(&links);
	free_ids(&procs);
	return why;
}

/* Removes (or, dry, names) one release. 0 on success, -1 on error. */
static int
remove_one(int dfd, const struct fp_prune *p, const struct fp_release *a,
    time_t now)
{
	char path[SHOWN_MAX], age[64];
	const char *why = p->dry_run ? NULL : recheck(dfd, p, a, now);

	fp_join(p->dir, a->name, path, sizeof(path));
	fp_show_age((long long)now - (long long)a->st.st_mtime, age, sizeof(age));
	if (why != NULL) {
		if (!p->quiet)
			printf("kept %s (%s)\n", path, why);
	} else if (p->dry_run) {
		if (!p->quiet)
			printf("would remove %s (%s)\n", path, age);
	} else if (unlinkat(dfd, a->name, 0) < 0) {
		fp_msg(p->prog, "%s: cannot remove: %s", path, strerror(errno));
		return -1;
	} else if (!p->quiet) {
		printf("removed %s (%s)\n", path, age);
	}
	return 0;
}

static int
decide(int dfd, const struct fp_prune *p, const struct id_set *links,
    const struct id_set *procs, const struct fp_release *v, size_t n)
{
	time_t now = time(NULL);
	char why[WHY_MAX + 32], path[SHOWN_MAX];
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		if (!keep_reason(p, &v[i], i, links, procs, now, why,
		    sizeof(why))) {
			if (remove_one(dfd, p, &v[i], now) < 0)
				rc = 1;
		} else if (!p->quiet) {
			fp_join(p->dir, v[i].name, path, sizeof(path));
			printf("kept %s (%s)\n", path, why);
		}
	}
	return rc;
}

int
fp_prune(int dfd, const struct fp_prune *p)
{
	struct id_set links = { 0 }, procs = { 0 };
	struct fp_release *v = NULL;
	size_t n = 0;
	int rc = 1;

	if (scan_procs(&procs) < 0) {
		fp_msg(p->prog, "/proc: cannot see running programs, removing "
		    "nothing: %s", strerror(errno));
		free_ids(&procs);
		return 1;
	}
	if (procs.hidden > 0 && !p->quiet)
		fp_msg(p->prog, "warning: cannot see the executable of %d "
		    "process%s (pid %ld%s): permission denied", procs.hidden,
		    procs.hidden == 1 ? "" : "es", procs.hidden_pid,
		    procs.hidden == 1 ? "" : " and others");
	if (scan_links(dfd, &links) < 0 || fp_releases(dfd, &p->names, &v,
	    &n) < 0)
		fp_msg(p->prog, "%s: %s", p->dir, strerror(errno));
	else
		rc = decide(dfd, p, &links, &procs, v, n);
	fp_releases_free(v, n);
	free_ids(&procs);
	free_ids(&links);
	return rc;
}

/* flock(2) on the folder itself: no lock file to leave behind or to remove
 * by mistake. A second run waits for the first, then sees its result. */
int
fp_deploy_lock(const char *prog, int dfd, const char *dir, int quiet)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	int waited = 0;

	while (flock(dfd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			fp_msg(prog, "%s: lock: %s", dir, strerror(errno));
			return -1;
		}
		if (waited == 0 && !quiet)
			fp_msg(prog, "waiting for another prune or install on %s",
			    dir);
		if (waited >= LOCK_WAIT_MS) {
			fp_msg(prog, "%s: another prune or install still holds "
			    "the lock after %d s", dir, LOCK_WAIT_MS / 1000);
			return -1;
		}
		nanosleep(&ts, NULL);
		waited += 100;
	}
	return 0;
}
