/*
 * deploy.h - the rules of a releases folder, one implementation for the
 * bundler's `fatpack prune` and for every artifact's `--fatpack-install
 * --keep N`, `--fatpack-rollback` and `--fatpack-releases` (the target host
 * has no fatpack, so the runtime carries them).
 *
 * A release is a fat binary directly in the folder; a file that is not one
 * is never touched. A release is never removed while a symlink in the
 * folder or in its parent (`current`) points to it, or while a process runs
 * it. Everything that changes the folder holds flock(2) on the folder
 * itself, so installs, rollbacks and prunes take turns.
 *
 * Messages are one line on stderr, "PROG: FILE: reason" (fp_msg).
 */
#ifndef FP_DEPLOY_H
#define FP_DEPLOY_H

#include <stddef.h>
#include <sys/stat.h>

/* Which names in the folder can be releases: those pattern matches through
 * match, fnmatch(3) with FNM_PERIOD (a leading '*' or '?' never matches the
 * dot of a dot file, temporary output), or, when match is NULL, every name
 * but dot files. Only the bundler's --pattern needs fnmatch: passed in, it
 * stays out of the runtime, where it and the wide-character tables it pulls
 * in would be 16 KB of every artifact. */
struct fp_names {
	const char *pattern;
	int (*match)(const char *pattern, const char *name, int flags);
};

struct fp_prune {
	const char *prog;       /* message prefix: "fatpack" or argv[0] */
	const char *dir;        /* the releases folder, as shown */
	long long older;        /* remove only files older than this (seconds),
	                         * -1: whatever their age */
	const char *older_arg;  /* as given, for "younger than 14d" */
	long keep;              /* always keep the N newest */
	struct fp_names names;  /* which names to consider */
	int dry_run, quiet;
};

struct fp_release {
	char *name;
	struct stat st;         /* lstat of the name when listed */
};

/* Waits (up to a minute, saying so unless quiet) for the exclusive flock on
 * the folder open on dfd. 0, or -1 after a message. close(dfd) unlocks. */
int fp_deploy_lock(const char *prog, int dfd, const char *dir, int quiet);

/* Removes the releases p asks to remove from the folder open on dfd, which
 * the caller has locked, printing one line per release (unless p->quiet).
 * Returns the exit status: 0, or 1 after a message. */
int fp_prune(int dfd, const struct fp_prune *p);

/* The releases of the folder open on dfd whose names names admits (NULL:
 * every name but dot files), newest first: by mtime (install order), then
 * by name. 0, or -1 with errno set. */
int fp_releases(int dfd, const struct fp_names *names,
    struct fp_release **out, size_t *n);
void fp_releases_free(struct fp_release *v, size_t n);

/* "15 days old", "1 minute old": the age as prune and the list show it. */
void fp_show_age(long long seconds, char *buf, size_t len);

/* dir "/" name, as shown in messages ("dir//" and "/" handled). */
void fp_join(const char *dir, const char *name, char *buf, size_t len);

#endif
