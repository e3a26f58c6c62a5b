/*
 * libprefix.c - the library prefix: where third-party libraries built with
 * `fatpack cc` are installed, and pkg-config restricted to it.
 *
 * The libraries of a prefix are built for one toolchain: the default folder
 * names its target, so a machine holds one prefix per target (x86_64 and
 * aarch64 musl, and the sanitizer build's).
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libprefix.h"
#include "toolchain.h"
#include "util.h"

extern char **environ;

/* The target of the toolchain: the machine (fatpack build --target), and
 * the sanitizer toolchain's glibc objects with ASan apart, since they cannot
 * mix with the musl ones. */
const char *
libprefix_target(void)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "%s-linux-%s", toolchain_target(),
	    toolchain_is_dynamic() ? "gnu-san" : "musl");
	return buf;
}

/* An environment variable's value when it is set and not empty. */
static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* The prefix for the current target, made once per target. */
static const char *
make_prefix(void)
{
	const char *v;

	if ((v = env("FATPACK_PREFIX")) != NULL) {
		if (*v != '/') {
			warnx("FATPACK_PREFIX=%s: not an absolute path", v);
			return NULL;
		}
		return xstrdup(v);
	}
	/* The XDG base directory rules ignore a relative XDG_DATA_HOME. */
	if ((v = env("XDG_DATA_HOME")) != NULL && *v == '/')
		return xasprintf("%s/fatpack/%s", v, libprefix_target());
	if ((v = env("HOME")) == NULL || *v != '/') {
		warnx("no library prefix: HOME is not an absolute path; "
		    "set FATPACK_PREFIX");
		return NULL;
	}
	return xasprintf("%s/.local/share/fatpack/%s", v, libprefix_target());
}

const char *
libprefix(void)
{
	/* one entry per target and toolchain: two, never full */
	static struct { char *target; const char *path; } cache[4];
	const char *t = libprefix_target();
	size_t i;

	for (i = 0; i < 4 && cache[i].target != NULL; i++)
		if (strcmp(cache[i].target, t) == 0)
			return cache[i].path;
	if (i == 4 || (cache[i].path = make_prefix()) == NULL)
		return NULL;
	cache[i].target = xstrdup(t);
	return cache[i].path;
}

int
libprefix_pkg_env(void)
{
	const char *pre = libprefix();
	char *dir;

	if (pre == NULL)
		return -1;
	dir = xasprintf("%s/lib/pkgconfig", pre);
	setenv("PKG_CONFIG_LIBDIR", dir, 1);
	unsetenv("PKG_CONFIG_PATH");
	unsetenv("PKG_CONFIG_SYSROOT_DIR");
	free(dir);
	return 0;
}

/* Runs v (searched in PATH) with its stdout into a new string *out and its
 * stderr on /dev/null: its exit status, or -1 if it could not run or was
 * killed. */
static int
capture(char *const *v, char **out)
{
	posix_spawn_file_actions_t fa;
	size_t len = 0, cap = 256;
	char *buf = xmalloc(cap);
	int fd[2], st, rc;
	ssize_t r;
	pid_t pid;

	*out = buf;
	*buf = '\0';
	if (pipe2(fd, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null",
	    O_WRONLY, 0);
	rc = posix_spawnp(&pid, v[0], &fa, NULL, v, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fd[1]);
	while (rc == 0 && (r = read(fd[0], buf + len, cap - len - 1)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		if ((len += (size_t)r) + 1 == cap)
			*out = buf = xrealloc(buf, cap *= 2);
	}
	close(fd[0]);
	buf[len] = '\0';
	if (rc != 0)
		return -1;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Whether pkg-config knows the package name in the prefix; when not, one
 * line saying so, naming the file it looked for. */
static int
pkg_exists(const char *name)
{
	char *v[] = { "pkg-config", "--exists", "--static", "--", (char *)name,
	    NULL };
	const char *dir = getenv("PKG_CONFIG_LIBDIR");
	char *out, *pc;
	int rc;

	if (*name == '\0' || *name == '-') {
		warnx("pkg '%s': not a package name", name);
		return 0;
	}
	rc = capture(v, &out);
	free(out);
	if (rc == 0)
		return 1;
	if (rc < 0) {
		warnx("pkg-config: cannot run it (install pkg-config)");
		return 0;
	}
	pc = xasprintf("%s/%s.pc", dir, name);
	if (access(pc, F_OK) == 0)
		warnx("%s: pkg-config refuses it (does it require a package "
		    "that is not in %s?); see docs/LIBRARIES.md", pc, dir);
	else
		warnx("%s: no such library in %s (no %s.pc): build it with "
		    "CC=\"fatpack cc\" into that prefix, see docs/LIBRARIES.md",
		    name, libprefix(), name);
	free(pc);
	return 0;
}

static void
push(char ***v, size_t *n, const char *s, size_t len)
{
	*v = xrealloc(*v, (*n + 2) * sizeof(**v));
	(*v)[*n] = xmalloc(len + 1);
	memcpy((*v)[*n], s, len);
	(*v)[*n][len] = '\0';
	(*v)[++*n] = NULL;
}

/* pkg-config's output as words: split at blanks, a backslash makes the
 * next character part of the word (pkg-config escapes spaces that way). */
static char **
split_words(const char *s, size_t *n)
{
	char **v = xcalloc(1, sizeof(*v));
	char *word = xmalloc(strlen(s) + 1);
	size_t len = 0;

	*n = 0;
	for (;; s++) {
		if (*s == '\\' && s[1] != '\0') {
			word[len++] = *++s;
			continue;
		}
		if (*s != '\0' && strchr(" \t\n", *s) == NULL) {
			word[len++] = *s;
			continue;
		}
		if (len > 0)
			push(&v, n, word, len);
		len = 0;
		if (*s == '\0')
			break;
	}
	free(word);
	return v;
}

char **
libprefix_pkg_flags(char *const *names, size_t nnames, size_t *n)
{
	char **v, **words, *out;
	size_t k = 0;
	int rc;

	if (libprefix_pkg_env() < 0)
		return NULL;
	for (size_t i = 0; i < nnames; i++)
		if (!pkg_exists(names[i]))
			return NULL;
	v = xcalloc(nnames + 5, sizeof(*v));
	v[k++] = "pkg-config";
	v[k++] = "--static";
	v[k++] = "--cflags";
	v[k++] = "--libs";
	for (size_t i = 0; i < nnames; i++)
		v[k++] = names[i];
	rc = capture(v, &out);
	free(v);
	if (rc != 0) {
		warnx("pkg-config --static --cflags --libs failed (status %d) "
		    "in %s", rc, getenv("PKG_CONFIG_LIBDIR"));
		free(out);
		return NULL;
	}
	words = split_words(out, n);
	free(out);
	return words;
}

void
libprefix_free(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}
