/*
 * prune.c - `fatpack prune DIR --older-than DURATION [--keep N]`: remove old
 * releases from a releases folder, by mtime, as `find -mtime` would see it.
 *
 * What is removed is only ever a regular file directly in DIR, matching the
 * pattern, that is a fat binary, older than asked, not among the N newest,
 * not the target of a symlink in DIR (`current`) and not the executable of a
 * running process. Each of these is checked again right before the unlink.
 * A lock on DIR itself serialises overlapping runs (cron).
 */
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "format/reader.h"
#include "commands.h"
#include "util.h"

#define LOCK_WAIT_MS 60000      /* how long to wait for another prune */

struct prune_opts {
	const char *dir;
	const char *older_arg;  /* as given, for "younger than 14d" */
	long long older;        /* seconds */
	long keep;
	const char *pattern;
	int dry_run, quiet;
};

struct file_id {
	dev_t dev;
	ino_t ino;
	char *why;              /* symlink name, or "pid N" */
};

struct id_set {
	struct file_id *v;
	size_t n;
	int hidden;             /* processes we were not allowed to look at */
	long hidden_pid;        /* the first of them */
};

struct artifact {
	char *name;
	struct stat st;
};

static const char usage_text[] =
    "usage: fatpack prune DIR --older-than DURATION [--keep N] [--pattern GLOB]\n"
    "                     [--dry-run] [--quiet]\n"
    "\n"
    "Removes fat binaries in DIR whose mtime is older than DURATION (90s, 15m,\n"
    "12h, 14d, 2w), except the N newest, the target of any symlink in DIR\n"
    "(such as `current`) and any file a running process executes.\n"
    "\n"
    "  --older-than D   remove only files last modified more than D ago\n"
    "  --keep N         always keep the N newest artifacts (default 1)\n"
    "  --pattern GLOB   only consider file names matching GLOB (default *)\n"
    "  -n, --dry-run    say what would be removed, remove nothing\n"
    "  -q, --quiet      print nothing but errors\n"
    "  -h, --help       show this help\n";

static long
parse_keep(const char *s)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || n < 0)
		return -1;
	return n;
}

/* Returns -1 when the options are usable, else the exit status. */
static int
parse_args(int argc, char **argv, struct prune_opts *p)
{
	static const struct option opts[] = {
		{ "older-than", required_argument, NULL, 'o' },
		{ "keep",       required_argument, NULL, 'k' },
		{ "pattern",    required_argument, NULL, 'p' },
		{ "dry-run",    no_argument,       NULL, 'n' },
		{ "quiet",      no_argument,       NULL, 'q' },
		{ "help",       no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(p, 0, sizeof(*p));
	p->keep = 1;
	p->pattern = "*";
	p->older = -1;
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":nqh", opts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			p->older_arg = optarg;
			p->older = parse_duration(optarg);
			if (p->older < 0)
				return usage_error("prune", "bad duration '%s' "
				    "(e.g. 90s, 15m, 12h, 14d, 2w)", optarg);
			break;
		case 'k':
			p->keep = parse_keep(optarg);
			if (p->keep < 0)
				return usage_error("prune",
				    "--keep wants a count, got '%s'", optarg);
			break;
		case 'p':
			if (strchr(optarg, '/') != NULL)
				return usage_error("prune", "--pattern '%s' "
				    "matches file names, it cannot hold '/'",
				    optarg);
			p->pattern = optarg;
			break;
		case 'n':
			p->dry_run = 1;
			break;
		case 'q':
			p->quiet = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return usage_getopt("prune", ch, argv);
		}
	}
	if (argc - optind != 1)
		return usage_error("prune", "takes one folder, got %s",
		    argc - optind == 0 ? "none" : "more");
	if (p->older < 0)
		return usage_error("prune",
		    "--older-than is required (e.g. --older-than 14d)");
	p->dir = argv[optind];
	return -1;
}

/* --- what must never be removed ------------------------------------------ */

static void
add_id(struct id_set *s, const struct stat *st, char *why)
{
	s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	s->v[s->n].dev = st->st_dev;
	s->v[s->n].ino = st->st_ino;
	s->v[s->n].why = why;
	s->n++;
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
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].why);
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

/* The files the symlinks in DIR point to, whatever their names. */
static int
scan_links(int dfd, struct id_set *links)
{
	DIR *d;
	struct dirent *e;

	if ((d = dir_stream(dfd)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		struct stat st;

		if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISLNK(st.st_mode))
			continue;
		if (fstatat(dfd, e->d_name, &st, 0) == 0 && S_ISREG(st.st_mode))
			add_id(links, &st, xstrdup(e->d_name));
	}
	closedir(d);
	return 0;
}

/* The executables of running processes, from /proc/PID/exe: stat(2) on it
 * gives the device and inode of the file the process runs, even if it was
 * renamed. Other users' processes need root (counted in procs->hidden). */
static int
scan_procs(struct id_set *procs)
{
	DIR *d = opendir("/proc");
	struct dirent *e;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		char path[sizeof(e->d_name) + 8];
		struct stat st;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "%s/exe", e->d_name);
		if (fstatat(dirfd(d), path, &st, 0) == 0)
			add_id(procs, &st, xasprintf("pid %s", e->d_name));
		else if ((errno == EACCES || errno == EPERM) &&
		    procs->hidden++ == 0)
			procs->hidden_pid = strtol(e->d_name, NULL, 10);
	}
	closedir(d);
	return 0;
}

/* --- candidates ----------------------------------------------------------- */

/* Whether the regular file name in DIR is a fat binary (a readable trailer
 * and index), checked on the same inode lstat saw. */
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
	const struct artifact *a = pa, *b = pb;

	if (a->st.st_mtim.tv_sec != b->st.st_mtim.tv_sec)
		return a->st.st_mtim.tv_sec > b->st.st_mtim.tv_sec ? -1 : 1;
	if (a->st.st_mtim.tv_nsec != b->st.st_mtim.tv_nsec)
		return a->st.st_mtim.tv_nsec > b->st.st_mtim.tv_nsec ? -1 : 1;
	return strcmp(b->name, a->name);
}

static int
list_artifacts(int dfd, const struct prune_opts *p, struct artifact **out,
    size_t *n)
{
	DIR *d;
	struct dirent *e;

	*out = NULL;
	*n = 0;
	if ((d = dir_stream(dfd)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		struct stat st;

		/* FNM_PERIOD: dot files (a build's temporary output) never match */
		if (fnmatch(p->pattern, e->d_name, FNM_PERIOD) != 0 ||
		    fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) || !is_fat(dfd, e->d_name, &st))
			continue;
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		(*out)[*n].name = xstrdup(e->d_name);
		(*out)[*n].st = st;
		(*n)++;
	}
	closedir(d);
	if (*n > 0)
		qsort(*out, *n, sizeof(**out), cmp_newest);
	return 0;
}

/* --- deciding and removing ------------------------------------------------ */

static char *
show_age(long long s)
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
	return xasprintf("%lld %s%s old", s, units[i].unit, s == 1 ? "" : "s");
}

static int
is_old(const struct prune_opts *p, const struct stat *st, time_t now)
{
	return (long long)now - (long long)st->st_mtime > p->older;
}

/* Why the artifact at rank i (0 = newest) stays, or NULL to remove it. */
static char *
keep_reason(const struct prune_opts *p, const struct artifact *a, size_t i,
    const struct id_set *links, const struct id_set *procs, time_t now)
{
	const struct file_id *id;

	if ((id = find_id(links, &a->st)) != NULL)
		return strcmp(id->why, "current") == 0 ? xstrdup("current") :
		    xasprintf("target of %s", id->why);
	if ((id = find_id(procs, &a->st)) != NULL)
		return xasprintf("running, %s", id->why);
	if ((long)i < p->keep)
		return xasprintf("newest %ld", p->keep);
	if (!is_old(p, &a->st, now))
		return xasprintf("younger than %s", p->older_arg);
	return NULL;
}

/* Right before the unlink: the same file, still old, and nothing started
 * running it or linked to it since the first look. Returns why it stays. */
static char *
recheck(int dfd, const struct prune_opts *p, const struct artifact *a,
    time_t now)
{
	struct id_set links = { 0 }, procs = { 0 };
	struct stat st;
	char *why = NULL;

	if (fstatat(dfd, a->name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    st.st_dev != a->st.st_dev || st.st_ino != a->st.st_ino ||
	    !is_old(p, &st, now))
		return xstrdup("changed while pruning");
	if (scan_links(dfd, &links) < 0 || scan_procs(&procs) < 0)
		why = xstrdup("cannot check it again");
	else if (find_id(&links, &st) != NULL)
		why = xstrdup("linked while pruning");
	else if (find_id(&procs, &st) != NULL)
		why = xstrdup("started while pruning");
	free_ids(&links);
	free_ids(&procs);
	return why;
}

static char *
show_path(const char *dir, const char *name)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 1 && dir[0] == '/')
		return xasprintf("/%s", name);
	return xasprintf("%.*s/%s", (int)n, dir, name);
}

/* Removes (or, dry, names) one artifact. 0 on success, -1 on error. */
static int
remove_one(int dfd, const struct prune_opts *p, const struct artifact *a,
    time_t now)
{
	char *path = show_path(p->dir, a->name);
	char *age = show_age((long long)now - (long long)a->st.st_mtime);
	char *why = p->dry_run ? NULL : recheck(dfd, p, a, now);
	int rc = 0;

	if (why != NULL) {
		if (!p->quiet)
			printf("kept %s (%s)\n", path, why);
	} else if (p->dry_run) {
		if (!p->quiet)
			printf("would remove %s (%s)\n", path, age);
	} else if (unlinkat(dfd, a->name, 0) < 0) {
		warn("%s: cannot remove", path);
		rc = -1;
	} else if (!p->quiet) {
		printf("removed %s (%s)\n", path, age);
	}
	free(why);
	free(age);
	free(path);
	return rc;
}

static int
prune(int dfd, const struct prune_opts *p)
{
	struct id_set links = { 0 }, procs = { 0 };
	struct artifact *arts;
	size_t n;
	time_t now = time(NULL);
	int rc = 0;

	if (scan_procs(&procs) < 0) {
		warn("/proc: cannot see running programs, removing nothing");
		return 1;
	}
	if (procs.hidden > 0 && !p->quiet)
		warnx("warning: cannot see the executable of %d process%s "
		    "(pid %ld%s): permission denied", procs.hidden,
		    procs.hidden == 1 ? "" : "es", procs.hidden_pid,
		    procs.hidden == 1 ? "" : " and others");
	if (scan_links(dfd, &links) < 0 || list_artifacts(dfd, p, &arts, &n) < 0) {
		warn("%s", p->dir);
		free_ids(&procs);
		free_ids(&links);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		char *why = keep_reason(p, &arts[i], i, &links, &procs, now);

		if (why == NULL) {
			if (remove_one(dfd, p, &arts[i], now) < 0)
				rc = 1;
		} else if (!p->quiet) {
			char *path = show_path(p->dir, arts[i].name);

			printf("kept %s (%s)\n", path, why);
			free(path);
		}
		free(why);
		free(arts[i].name);
	}
	free(arts);
	free_ids(&procs);
	free_ids(&links);
	return rc;
}

/* flock(2) on the folder itself: no lock file to leave behind or to remove
 * by mistake. A second run waits for the first, then sees its result. */
static int
lock_dir(int dfd, const struct prune_opts *p)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	int waited = 0;

	while (flock(dfd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			warn("%s: lock", p->dir);
			return -1;
		}
		if (waited == 0 && !p->quiet)
			fprintf(stderr, "fatpack: waiting for another prune on %s\n",
			    p->dir);
		if (waited >= LOCK_WAIT_MS) {
			warnx("%s: another prune is still running after %d s",
			    p->dir, LOCK_WAIT_MS / 1000);
			return -1;
		}
		nanosleep(&ts, NULL);
		waited += 100;
	}
	return 0;
}

int
cmd_prune(int argc, char **argv)
{
	struct prune_opts p;
	int dfd, rc;

	rc = parse_args(argc, argv, &p);
	if (rc >= 0)
		return rc;
	dfd = open(p.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		warn("%s", p.dir);
		return 1;
	}
	if (lock_dir(dfd, &p) < 0) {
		close(dfd);
		return 1;
	}
	rc = prune(dfd, &p);
	close(dfd);     /* releases the lock */
	return rc;
}
