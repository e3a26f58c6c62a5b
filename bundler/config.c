/*
 * config.c - the fatpack file (fatpack.ini, docs/CONFIG.md) and `fatpack init`.
 *
 * The file is INI, read with libinih. Every value is checked as it is read;
 * the first problem is reported as "file:line: reason" and nothing else, so a
 * user fixes one thing at a time and never wades through follow-on errors.
 */
#define INI_HANDLER_LINENO 1    /* Debian's libinih passes the line number */

#include <ctype.h>
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "commands.h"
#include "config.h"
#include "sign.h"
#include "format/check.h"
#include "toolchain.h"
#include "util.h"

#define MAX_LINE 65536          /* longest line accepted (a long sources list) */

struct cfg;
typedef int (*setter)(struct cfg *, const char *);

struct key {
	const char *section;
	const char *name;
	setter set;
	int list;               /* repeating the key appends instead of failing */
};

/* An [assets] or [assets.LABEL] section being read. */
struct asset_sec {
	char *label;
	int line;               /* first line seen, for "needs a dir" */
	int dir_line, prefix_line;
	size_t index;           /* its place in o->assets */
};

struct cfg {
	char *dir;              /* folder of the file; NULL when it is the cwd */
	struct build_opts *o;
	int line;               /* line being handled */
	int err_line;           /* first error found by the handler, 0 if none */
	char err[512];
	int seen[32];           /* line of each fixed key already set */
	struct asset_sec *secs;
	size_t n_secs;
	struct asset_sec *sec;  /* section of the key being handled */
	int sources_line, program_line, site_line;
};

static int
fail(struct cfg *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	/* keys and values are quoted as written: keep the terminal safe */
	for (char *p = c->err; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	c->err_line = c->line;
	return -1;
}

void
build_opts_init(struct build_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->level = 3;
	o->jobs = 0;
	o->strip = 1;
	o->override = xstrdup("on");
}

const char *
build_check_mount(const char *v)
{
	return strcmp(v, "none") == 0 ? NULL : fp_check_mount(v);
}

/* A value the rules of format/check.h refuse; why is NULL when they take it.
 * The value is shown escaped: it may hold any byte but NUL. */
static int
refuse(struct cfg *c, const char *key, const char *v, const char *why)
{
	char esc[128];

	if (why == NULL)
		return 0;
	return fail(c, "%s '%s': %s", key, fp_escape(v, strlen(v), esc,
	    sizeof(esc)), why);
}

/* A key whose value is kept as written once its rule (why) takes it; the
 * value before it is a default or NULL. */
static int
set_checked(struct cfg *c, const char *key, const char *v, const char *why,
    char **field)
{
	if (refuse(c, key, v, why) < 0)
		return -1;
	free(*field);
	*field = xstrdup(v);
	return 0;
}

static void
push(char ***v, size_t *n, char *s)
{
	*v = xrealloc(*v, (*n + 2) * sizeof(**v));
	(*v)[(*n)++] = s;
	(*v)[*n] = NULL;        /* argv-style, for callers that want it */
}

const char *
build_add_target(char ***v, size_t *n, const char *arch)
{
	static char why[96];

	if (!toolchain_has_target(arch)) {
		snprintf(why, sizeof(why), "fatpack builds for %s",
		    toolchain_targets());
		return why;
	}
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i], arch) == 0)
			return "given twice";
	push(v, n, xstrdup(arch));
	return NULL;
}

/* A path from the file, made usable from the current folder. */
static char *
rebase(const struct cfg *c, const char *p)
{
	if (c->dir == NULL || p[0] == '/')
		return xstrdup(p);
	return xasprintf("%s/%s", c->dir, p);
}

/* Whether s is one or more of [A-Za-z0-9], plus the characters in extra. */
static int
is_word(const char *s, const char *extra)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr(extra, *s) == NULL)
			return 0;
	return 1;
}

static int
parse_int(struct cfg *c, const char *key, const char *v, int lo, int hi, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < lo || n > hi)
		return fail(c, "%s must be %d..%d, got %s", key, lo, hi, v);
	*out = (int)n;
	return 0;
}

/* v, which must be yes or no, as 1 or 0. */
static int
parse_yes_no(struct cfg *c, const char *key, const char *v, int *out)
{
	if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0)
		return fail(c, "%s '%s': yes or no", key, v);
	*out = strcmp(v, "yes") == 0;
	return 0;
}

/* Calls fn on each whitespace-separated word of v. */
static int
each_word(struct cfg *c, const char *v, int (*fn)(struct cfg *, const char *))
{
	char *copy = xstrdup(v), *save = NULL, *w;
	int rc = 0;

	for (w = strtok_r(copy, " \t", &save); w != NULL && rc == 0;
	    w = strtok_r(NULL, " \t", &save))
		rc = fn(c, w);
	free(copy);
	return rc;
}

/* --- [app] ---------------------------------------------------------------- */

static int
set_name(struct cfg *c, const char *v)
{
	return set_checked(c, "name", v, fp_check_name(v), &c->o->name);
}

static int
set_version(struct cfg *c, const char *v)
{
	return set_checked(c, "version", v,
	    fp_check_version(v), &c->o->version);
}

static int
set_revision(struct cfg *c, const char *v)
{
	return set_checked(c, "revision", v,
	    fp_check_version(v), &c->o->revision);
}

/* The placeholders cmd_build expands in an output name. */
static int
check_pattern(struct cfg *c, const char *v)
{
	static const char *const known[] = { "{name}", "{version}", "{build}",
	    "{arch}" };
	const char *p = v;

	while ((p = strpbrk(p, "{}")) != NULL) {
		size_t i, n = 0;

		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strncmp(p, known[i], strlen(known[i])) == 0)
				n = strlen(known[i]);
		if (n == 0)
			return fail(c, "output '%s': unknown placeholder at '%.20s' "
			    "(known: {name} {version} {build} {arch})", v, p);
		p += n;
	}
	return 0;
}

static int
set_output(struct cfg *c, const char *v)
{
	size_t n = strlen(v);

	if (v[n - 1] == '/')
		return fail(c, "output '%s' names a folder, not a file", v);
	if (check_pattern(c, v) < 0)
		return -1;
	c->o->output = rebase(c, v);
	c->o->output_line = c->line;
	return 0;
}

static int
set_link(struct cfg *c, const char *v)
{
	size_t n = strlen(v);

	if (v[n - 1] == '/')
		return fail(c, "link '%s' names a folder, not a file", v);
	if (check_pattern(c, v) < 0)
		return -1;
	if (strstr(v, "{version}") != NULL || strstr(v, "{build}") != NULL)
		return fail(c, "link '%s': the link keeps one name across builds, "
		    "so it takes {name} and {arch} only", v);
	c->o->link = rebase(c, v);
	return 0;
}

static int
set_level(struct cfg *c, const char *v)
{
	return parse_int(c, "level", v, 1, 19, &c->o->level);
}

static int
set_jobs(struct cfg *c, const char *v)
{
	return parse_int(c, "jobs", v, 0, 1024, &c->o->jobs);
}

/* --- [build] -------------------------------------------------------------- */

/* Whether s holds a glob(7) character. */
static int
is_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* Escapes glob characters so that a folder name is taken literally. */
static char *
glob_escape(const char *s)
{
	char *out = xmalloc(2 * strlen(s) + 1), *q = out;

	for (; *s != '\0'; s++) {
		if (strchr("*?[]\\", *s) != NULL)
			*q++ = '\\';
		*q++ = *s;
	}
	*q = '\0';
	return out;
}

static int
add_source_glob(struct cfg *c, const char *w)
{
	char *dir = c->dir ? glob_escape(c->dir) : NULL;
	char *pat = dir && w[0] != '/' ? xasprintf("%s/%s", dir, w) : xstrdup(w);
	size_t before = c->o->n_sources;
	glob_t g;
	int rc;

	rc = glob(pat, 0, NULL, &g);
	free(pat);
	free(dir);
	for (size_t i = 0; rc == 0 && i < g.gl_pathc; i++) {
		struct stat st;

		if (stat(g.gl_pathv[i], &st) == 0 && S_ISREG(st.st_mode))
			push(&c->o->sources, &c->o->n_sources,
			    xstrdup(g.gl_pathv[i]));
	}
	globfree(&g);
	if (rc != 0 && rc != GLOB_NOMATCH)
		return fail(c, "source pattern '%s': out of memory", w);
	if (c->o->n_sources == before)
		return fail(c, "source pattern '%s' matches no file", w);
	return 0;
}

static int
add_source(struct cfg *c, const char *w)
{
	struct stat st;
	char *p;

	if (is_glob(w))
		return add_source_glob(c, w);
	p = rebase(c, w);
	if (stat(p, &st) < 0) {
		int e = errno;

		free(p);
		if (e == ENOENT || e == ENOTDIR)
			return fail(c, "source '%s' not found", w);
		return fail(c, "source '%s': %s", w, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		free(p);
		return fail(c, "source '%s' is not a file", w);
	}
	push(&c->o->sources, &c->o->n_sources, p);
	return 0;
}

static int
set_sources(struct cfg *c, const char *v)
{
	if (c->sources_line == 0)
		c->sources_line = c->line;
	return each_word(c, v, add_source);
}

static int
set_program(struct cfg *c, const char *v)
{
	struct stat st;
	char *p = rebase(c, v);

	if (stat(p, &st) < 0 || !S_ISREG(st.st_mode)) {
		free(p);
		return fail(c, "program '%s' not found", v);
	}
	c->o->program = p;
	c->program_line = c->line;
	return 0;
}

/* -Ipath and -Lpath name folders relative to the file, like everything else. */
static char *
rebase_flag(const struct cfg *c, const char *w)
{
	if ((strncmp(w, "-I", 2) == 0 || strncmp(w, "-L", 2) == 0) &&
	    w[2] != '\0' && w[2] != '/' && c->dir != NULL)
		return xasprintf("%.2s%s/%s", w, c->dir, w + 2);
	return xstrdup(w);
}

static int
add_cflag(struct cfg *c, const char *w)
{
	push(&c->o->cflags, &c->o->n_cflags, rebase_flag(c, w));
	return 0;
}

/* A word not starting with '-' is a library file (vendor/libx.a). */
static int
add_lib(struct cfg *c, const char *w)
{
	char *s = w[0] == '-' ? rebase_flag(c, w) : rebase(c, w);

	push(&c->o->libs, &c->o->n_libs, s);
	return 0;
}

static int
add_target(struct cfg *c, const char *w)
{
	return refuse(c, "target", w, build_add_target(&c->o->targets,
	    &c->o->n_targets, w));
}

static int
set_target(struct cfg *c, const char *v)
{
	return each_word(c, v, add_target);
}

static int
set_cflags(struct cfg *c, const char *v)
{
	return each_word(c, v, add_cflag);
}

static int
set_libs(struct cfg *c, const char *v)
{
	return each_word(c, v, add_lib);
}

/* A package of the library prefix: a name, not a path. */
static int
add_pkg(struct cfg *c, const char *w)
{
	push(&c->o->pkgs, &c->o->n_pkgs, xstrdup(w));
	return 0;
}

static int
set_pkg(struct cfg *c, const char *v)
{
	return each_word(c, v, add_pkg);
}

/* --- [assets] and [assets.LABEL] ----------------------------------------- */

static struct asset_source *
add_asset(struct build_opts *o)
{
	struct asset_source *a;

	o->assets = xrealloc(o->assets, (o->n_assets + 1) * sizeof(*o->assets));
	a = &o->assets[o->n_assets++];
	memset(a, 0, sizeof(*a));
	a->prefix = xstrdup("");
	return a;
}

/* A folder, or an archive file that assets.c opens with libarchive. */
static int
check_asset_path(struct cfg *c, const char *what, const char *v, char **out)
{
	struct stat st;
	char *p = rebase(c, v);

	if (stat(p, &st) < 0) {
		free(p);
		return fail(c, "%s '%s' not found", what, v);
	}
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
		free(p);
		return fail(c, "%s '%s' is neither a folder nor an archive", what, v);
	}
	*out = p;
	return 0;
}

static int
set_asset_dir(struct cfg *c, const char *v)
{
	struct asset_source *a = &c->o->assets[c->sec->index];

	if (c->sec->dir_line != 0)
		return fail(c, "duplicate key 'dir' (first set on line %d)",
		    c->sec->dir_line);
	c->sec->dir_line = c->line;
	return check_asset_path(c, "asset folder", v, &a->path);
}

/* "/css/" -> "css"; "" or "/" is the root. Index paths have no ".." and no
 * empty component (docs/FORMAT.md section 4). */
static int
set_asset_prefix(struct cfg *c, const char *v)
{
	struct asset_source *a = &c->o->assets[c->sec->index];
	const char *s = v, *e = v + strlen(v), *p;

	if (c->sec->prefix_line != 0)
		return fail(c, "duplicate key 'prefix' (first set on line %d)",
		    c->sec->prefix_line);
	c->sec->prefix_line = c->line;
	while (*s == '/')
		s++;
	while (e > s && e[-1] == '/')
		e--;
	for (p = s; p < e; ) {
		size_t n = strcspn(p, "/");

		if (n > (size_t)(e - p))
			n = (size_t)(e - p);
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.') ||
		    memchr(p, '\\', n) != NULL)
			return fail(c, "prefix '%s' must be a relative path without "
			    "'.', '..', '//' or '\\'", v);
		p += n + 1;
	}
	free(a->prefix);
	a->prefix = xasprintf("%.*s", (int)(e - s), s);
	return 0;
}

static int
add_exclude(struct cfg *c, const char *w)
{
	struct asset_source *a = &c->o->assets[c->sec->index];

	push(&a->exclude, &a->n_exclude, xstrdup(w));
	return 0;
}

static int
set_asset_exclude(struct cfg *c, const char *v)
{
	return each_word(c, v, add_exclude);
}

static int
set_mount(struct cfg *c, const char *v)
{
	return set_checked(c, "mount", v, build_check_mount(v), &c->o->mount);
}

static int
set_jail(struct cfg *c, const char *v)
{
	return set_checked(c, "jail", v, fp_check_jail(v), &c->o->jail);
}

static int
set_override(struct cfg *c, const char *v)
{
	return set_checked(c, "override", v,
	    fp_check_override(v), &c->o->override);
}

/* A file relative to the fatpack file, or env:NAME as it is. */
static int
set_sign(struct cfg *c, const char *v)
{
	free(c->o->sign);
	c->o->sign = strncmp(v, SIGN_ENV_PREFIX, strlen(SIGN_ENV_PREFIX)) == 0 ?
	    xstrdup(v) : rebase(c, v);
	return 0;
}

/* The payload's dictionary (FORMAT.md 4.3): on unless a program sends
 * stored frames itself (fatpack_frame_at), which no client can read
 * without it. */
static int
set_dictionary(struct cfg *c, const char *v)
{
	int yes = 1;

	if (parse_yes_no(c, "dictionary", v, &yes) < 0)
		return -1;
	c->o->no_dictionary = !yes;
	return 0;
}

static int
set_require_signature(struct cfg *c, const char *v)
{
	return parse_yes_no(c, "require_signature", v,
	    &c->o->require_signature);
}

/* --- [serve] -------------------------------------------------------------- */

/* The built-in server is the program; the site is the root of the assets. */
static int
set_site(struct cfg *c, const char *v)
{
	struct stat st;
	char *p = rebase(c, v);

	if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode)) {
		free(p);
		return fail(c, "site folder '%s' not found", v);
	}
	c->o->serve = 1;
	add_asset(c->o)->path = p;
	c->site_line = c->line;
	return 0;
}

/* The server's own parser: the build takes what the server takes. */
static int
set_listen(struct cfg *c, const char *v)
{
	return set_checked(c, "listen", v, fp_check_listen(v), &c->o->listen);
}

/* Whether it names a file of the site is known once the assets are
 * collected; cmd_build says so with the line kept here. */
static int
set_spa_fallback(struct cfg *c, const char *v)
{
	if (refuse(c, "spa_fallback", v, fp_check_spa_fallback(v)) < 0)
		return -1;
	c->o->spa_fallback = xstrdup(fp_skip_slashes(v));
	c->o->spa_fallback_line = c->line;
	return 0;
}

static int
set_cache_control(struct cfg *c, const char *v)
{
	return set_checked(c, "cache_control", v,
	    fp_check_cache_control(v), &c->o->cache_control);
}

static int
set_identity_cache(struct cfg *c, const char *v)
{
	return set_checked(c, "identity_cache", v,
	    fp_check_identity_cache(v), &c->o->identity_cache);
}

/* --- the handler ---------------------------------------------------------- */

static const struct key keys[] = {
	{ "app",    "name",          set_name,          0 },
	{ "app",    "version",       set_version,       0 },
	{ "app",    "revision",      set_revision,      0 },
	{ "app",    "output",        set_output,        0 },
	{ "app",    "link",          set_link,          0 },
	{ "app",    "level",         set_level,         0 },
	{ "app",    "jobs",          set_jobs,          0 },
	{ "app",    "dictionary",    set_dictionary,    0 },
	{ "app",    "jail",          set_jail,          0 },
	{ "app",    "sign",          set_sign,          0 },
	{ "app",    "require_signature", set_require_signature, 0 },
	{ "build",  "sources",       set_sources,       1 },
	{ "build",  "program",       set_program,       0 },
	{ "build",  "cflags",        set_cflags,        1 },
	{ "build",  "libs",          set_libs,          1 },
	{ "build",  "pkg",           set_pkg,           1 },
	{ "build",  "mount",         set_mount,         0 },
	{ "build",  "override",      set_override,      0 },
	{ "build",  "target",        set_target,        1 },
	{ "serve",  "site",          set_site,          0 },
	{ "serve",  "listen",        set_listen,        0 },
	{ "serve",  "spa_fallback",  set_spa_fallback,  0 },
	{ "serve",  "cache_control", set_cache_control, 0 },
	{ "serve",  "identity_cache", set_identity_cache, 0 },
	{ "assets", "dir",           set_asset_dir,     0 },
	{ "assets", "prefix",        set_asset_prefix,  0 },
	{ "assets", "exclude",       set_asset_exclude, 1 },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))
_Static_assert(NKEYS <= sizeof(((struct cfg *)0)->seen) / sizeof(int),
    "struct cfg: seen[] must have a slot per key");

/* "assets" or "assets.LABEL" -> the label ("" for plain [assets]), else NULL. */
static const char *
assets_label(const char *section)
{
	if (strcmp(section, "assets") == 0)
		return "";
	if (strncmp(section, "assets.", 7) == 0)
		return section + 7;
	return NULL;
}

static struct asset_sec *
asset_section(struct cfg *c, const char *label)
{
	struct asset_sec *s;

	for (size_t i = 0; i < c->n_secs; i++)
		if (strcmp(c->secs[i].label, label) == 0)
			return &c->secs[i];
	c->secs = xrealloc(c->secs, (c->n_secs + 1) * sizeof(*c->secs));
	s = &c->secs[c->n_secs++];
	memset(s, 0, sizeof(*s));
	s->label = xstrdup(label);
	s->line = c->line;
	s->index = c->o->n_assets;
	add_asset(c->o);
	return s;
}

/* Finds the key's entry; "assets" stands for every [assets.*] section. */
static const struct key *
find_key(struct cfg *c, const char *section, const char *name)
{
	const char *label = assets_label(section);
	const char *sec = label ? "assets" : section;
	int known_section = 0;

	if (*section == '\0') {
		fail(c, "key '%s' is outside a section (start with [app])", name);
		return NULL;
	}
	if (label && !(*label == '\0' || is_word(label, "._-"))) {
		fail(c, "section [%s]: the label after 'assets.' may hold only "
		    "letters, digits, '.', '_' and '-'", section);
		return NULL;
	}
	for (size_t i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].section, sec) != 0)
			continue;
		known_section = 1;
		if (strcmp(keys[i].name, name) == 0) {
			c->sec = label ? asset_section(c, label) : NULL;
			return &keys[i];
		}
	}
	if (!known_section)
		fail(c, "unknown section [%s] (known: [app] [build] [assets.LABEL] "
		    "[serve])", section);
	else
		fail(c, "unknown key '%s' in [%s]", name, section);
	return NULL;
}

/* Quotes are not part of the syntax; a quoted value is a mistake to point at. */
static int
check_value(struct cfg *c, const struct key *k, const char *v)
{
	size_t n = strlen(v);

	if (n >= 2 && ((v[0] == '"' && v[n - 1] == '"') ||
	    (v[0] == '\'' && v[n - 1] == '\'')))
		return fail(c, "value of '%s' is quoted: write it without quotes",
		    k->name);
	if (n == 0 && !k->list)
		return fail(c, "'%s' needs a value", k->name);
	return 0;
}

static int
handler(void *user, const char *section, const char *name, const char *value,
    int lineno)
{
	struct cfg *c = user;
	const struct key *k;
	size_t slot;

	c->line = lineno;
	k = find_key(c, section, name);
	if (k == NULL || check_value(c, k, value) < 0)
		return 0;
	/* asset keys are tracked per section, in struct asset_sec */
	slot = (size_t)(k - keys);
	if (!k->list && c->sec == NULL) {
		if (c->seen[slot] != 0) {
			fail(c, "duplicate key '%s' in [%s] (first set on line %d)",
			    name, section, c->seen[slot]);
			return 0;
		}
		c->seen[slot] = lineno;
	}
	return k->set(c, value) == 0;
}

/* Checks that need the whole file. */
static int
check_whole(struct cfg *c)
{
	for (size_t i = 0; i < c->n_secs; i++) {
		if (c->secs[i].dir_line == 0) {
			c->line = c->secs[i].line;
			if (*c->secs[i].label == '\0')
				return fail(c, "[assets] needs a dir");
			return fail(c, "[assets.%s] needs a dir", c->secs[i].label);
		}
	}
	if (c->program_line != 0 && c->sources_line != 0) {
		c->line = c->program_line > c->sources_line ?
		    c->program_line : c->sources_line;
		return fail(c, "[build] takes sources or program, not both");
	}
	if (c->site_line != 0 && (c->program_line != 0 || c->sources_line != 0)) {
		c->line = c->site_line;
		return fail(c, "[serve] site runs the built-in server: remove "
		    "[build] sources and program, or remove site");
	}
	return 0;
}

static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return NULL;
	if (slash == path)
		return xstrdup("/");
	return xasprintf("%.*s", (int)(slash - path), path);
}

/* fgets for ini_parse_stream, counting lines so that a line too long for
 * the parser, or holding a NUL byte, ends the parse with a clear error
 * instead of being split or cut. */
struct reader {
	FILE *f;
	int line;               /* lines read completely */
	size_t len;             /* bytes of the current line so far */
	int bad_line;           /* the line that was bad, or 0 */
	const char *bad;        /* and why */
};

static char *
read_line(char *buf, int size, void *stream)
{
	struct reader *r = stream;
	size_t n;

	if (r->bad_line || fgets(buf, size, r->f) == NULL)
		return NULL;
	n = strlen(buf);
	r->len += n;
	if (n > 0 && buf[n - 1] == '\n') {
		r->line++;
		r->len = 0;
		return buf;
	}
	if (r->len > MAX_LINE)
		r->bad = "line longer than 65536 bytes";
	else if (n == 0 || (n + 1 < (size_t)size && !feof(r->f)))
		r->bad = "NUL byte: not a text file";   /* fgets stopped early */
	else
		return buf;
	r->bad_line = r->line + 1;
	return NULL;
}

static void
cfg_free(struct cfg *c)
{
	for (size_t i = 0; i < c->n_secs; i++)
		free(c->secs[i].label);
	free(c->secs);
	free(c->dir);
}

int
config_load(const char *path, struct build_opts *o)
{
	struct reader r = { 0 };
	struct cfg c;
	FILE *f;
	int rc;

	memset(&c, 0, sizeof(c));
	c.dir = dir_of(path);
	c.o = o;
	o->file = path;

	f = fopen(path, "r");
	if (f == NULL) {
		warn("%s", path);
		cfg_free(&c);
		return -1;
	}
	r.f = f;
	/* Debian's libinih exposes its build options as variables. One setting
	 * per line, comments only on their own line (so ';' and '#' can appear
	 * in values), lines up to MAX_LINE, and stop at the first error. */
	ini_allow_multiline = false;
	ini_allow_inline_comments = false;
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_max_line = MAX_LINE + 3;   /* '\r', '\n' and NUL */
	ini_stop_on_first_error = true;

	rc = ini_parse_stream(read_line, &r, handler, &c);
	if (ferror(f)) {
		warn("%s: read", path);
		rc = -1;
	} else if (r.bad_line) {
		warnx("%s:%d: %s", path, r.bad_line, r.bad);
		rc = -1;
	} else if (rc < 0) {
		warnx("%s: out of memory", path);
	} else if (rc > 0 && c.err_line != rc) {
		warnx("%s:%d: syntax error (expected key = value or [section])",
		    path, rc);
	} else if (rc > 0 || check_whole(&c) < 0) {
		warnx("%s:%d: %s", path, c.err_line, c.err);
		rc = -1;
	}
	fclose(f);
	cfg_free(&c);
	return rc == 0 ? 0 : -1;
}

/* --- fatpack init --------------------------------------------------------- */

static const char init_usage[] =
    "usage: fatpack init [--force] [DIR]\n"
    "\n"
    "Writes a commented fatpack.ini into DIR (default: the current folder),\n"
    "guessing the name from the folder, the sources from its *.c files and\n"
    "the assets from public/, static/, assets/ or www/.\n"
    "\n"
    "  -f, --force   overwrite an existing fatpack.ini\n"
    "  -h, --help    show this help\n";

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names that survive the file's syntax: a whitespace-separated word that
 * config_load will not take as a glob. */
static int
plain_name(const char *s)
{
	return strpbrk(s, " \t*?[]\\;#\"'") == NULL;
}

/* The *.c files of dir/sub (sub "" for dir itself), as "sub/x.c", sorted. */
static void
find_sources(const char *dir, const char *sub, char ***v, size_t *n)
{
	char *path = *sub ? xasprintf("%s/%s", dir, sub) : xstrdup(dir);
	DIR *d = opendir(path);
	struct dirent *e;
	size_t first = *n;

	free(path);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (len > 2 && strcmp(e->d_name + len - 2, ".c") == 0 &&
		    e->d_name[0] != '.' && plain_name(e->d_name))
			push(v, n, *sub ? xasprintf("%s/%s", sub, e->d_name) :
			    xstrdup(e->d_name));
	}
	closedir(d);
	if (*n > first)
		qsort(*v + first, *n - first, sizeof(**v), cmp_str);
}

static int
is_dir(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name);
	struct stat st;
	int r = stat(p, &st) == 0 && S_ISDIR(st.st_mode);

	free(p);
	return r;
}

static const char *
find_asset_dir(const char *dir)
{
	static const char *const names[] = { "public", "static", "assets", "www" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (is_dir(dir, names[i]))
			return names[i];
	return NULL;
}

/* The folder's name, as a valid [app] name ("app" when nothing is left). */
static char *
guess_name(const char *dir)
{
	char *real = realpath(dir, NULL);
	const char *base;
	char *name, *q;

	if (real == NULL)
		return xstrdup("app");
	base = strrchr(real, '/');
	base = base ? base + 1 : real;
	name = xstrdup(base);
	free(real);
	for (q = name; *q != '\0'; q++)
		if (!isalnum((unsigned char)*q) && strchr("._-", *q) == NULL)
			*q = '-';
	for (q = name + strlen(name); q > name && q[-1] == '-'; q--)
		q[-1] = '\0';
	q = name;
	while (*q == '.' || *q == '-')
		q++;
	if (*q == '\0') {
		free(name);
		return xstrdup("app");
	}
	memmove(name, q, strlen(q) + 1);
	return name;
}

static void
write_app(FILE *f, const char *name)
{
	fprintf(f,
	    "; fatpack.ini - settings for `fatpack build` (see docs/CONFIG.md).\n"
	    "; Lines starting with ';' or '#' are comments. Paths are relative to\n"
	    "; this file. Options given to `fatpack build` override these.\n"
	    "\n"
	    "[app]\n"
	    "name = %s\n"
	    "version = 0.1.0\n"
	    "; the source revision recorded in the build (default: the git commit)\n"
	    "; revision = 1a2b3c4\n"
	    "; {name} {version} and {build} (the git revision, or a content id)\n"
	    "output = dist/{name}-{version}\n"
	    "; a stable symlink to the newest build ({name} is its only placeholder)\n"
	    "link = dist/{name}\n"
	    "; zstd level 1..19, and compression threads (0: one per core)\n"
	    "level = 3\n"
	    "jobs = 0\n"
	    "; a zstd dictionary for small files when it pays; no if the program\n"
	    "; sends stored frames itself (fatpack_frame_at)\n"
	    "dictionary = yes\n"
	    "\n", name);
}

/* With sources the program is theirs; without, the built-in server serves
 * the assets folder, or the user has to fill in sources. */
static void
write_build(FILE *f, char **src, size_t n_src, int serve)
{
	fputs("[build]\n", f);
	if (n_src == 0) {
		fputs(serve ?
		    "; No *.c file was found, so this builds the built-in server\n"
		    "; ([serve] site below). For a program of your own, list its\n"
		    "; sources and remove site.\n" :
		    "; No *.c file was found: list your sources, or a program\n"
		    "; linked with `fatpack cc`.\n", f);
		fputs("; sources = src/main.c\n"
		    "; program = build/app\n"
		    "; cflags = -O2\n"
		    "; libs = -lm\n"
		    "; libraries of `fatpack cc --print-prefix` (docs/LIBRARIES.md)\n"
		    "; pkg = zlib\n"
		    "\n", f);
		return;
	}
	fputs("; space-separated; globs such as src/*.c are expanded\n"
	    "sources =", f);
	for (size_t i = 0; i < n_src; i++)
		fprintf(f, " %s", src[i]);
	fputs("\n"
	    "; extra compiler flags and link arguments, space-separated\n"
	    "cflags = -O2\n"
	    "; libs = -lm\n"
	    "; libraries of `fatpack cc --print-prefix` (docs/LIBRARIES.md)\n"
	    "; pkg = zlib\n"
	    "\n", f);
}

static void
write_assets(FILE *f, const char *assets)
{
	fprintf(f,
	    "; One [assets.LABEL] section per folder or .tar/.zip archive.\n"
	    "%s[assets.%s]\n"
	    "%sdir = %s\n"
	    "; where its files appear in the archive (/ is the root)\n"
	    "%sprefix = /\n"
	    "; fnmatch(3) patterns on archive paths, space-separated\n"
	    "%sexclude = *.map .*\n"
	    "\n",
	    assets ? "" : "; ", assets ? assets : "public",
	    assets ? "" : "; ", assets ? assets : "public",
	    assets ? "" : "; ", assets ? "" : "; ");
}

static void
write_serve(FILE *f, const char *site)
{
	fprintf(f,
	    "; The built-in static file server (`fatpack build --serve`).\n"
	    "[serve]\n"
	    "%ssite = %s\n"
	    "; listen = :8080\n"
	    "; spa_fallback = index.html\n"
	    "; cache_control = public, max-age=3600\n",
	    site ? "" : "; ", site ? site : "public");
}

static void
write_starter(FILE *f, const char *name, char **src, size_t n_src,
    const char *assets)
{
	int serve = n_src == 0 && assets != NULL;

	write_app(f, name);
	write_build(f, src, n_src, serve);
	write_assets(f, serve ? NULL : assets);
	write_serve(f, serve ? assets : NULL);
}

static int
parse_init_args(int argc, char **argv, int *force, const char **dir)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help",  no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":fh", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			*force = 1;
			break;
		case 'h':
			fputs(init_usage, stdout);
			return 0;
		default:
			return usage_getopt("init", ch, argv);
		}
	}
	if (argc - optind > 1) {
		return usage_error("init", "takes one folder, got %d",
		    argc - optind);
	}
	*dir = optind < argc ? argv[optind] : ".";
	return -1;
}

static int
write_init_file(const char *path, const char *dir)
{
	struct outfile out;
	char **src = NULL, *name;
	size_t n_src = 0;
	FILE *f;
	int rc = 0;

	if (outfile_open(&out, path, 0644) < 0)
		return 1;
	f = fdopen(dup(out.fd), "w");
	if (f == NULL) {
		warn("%s", out.tmp);
		outfile_abort(&out);
		return 1;
	}
	find_sources(dir, "", &src, &n_src);
	find_sources(dir, "src", &src, &n_src);
	name = guess_name(dir);
	write_starter(f, name, src, n_src, find_asset_dir(dir));
	if (fclose(f) != 0) {
		warn("%s", out.tmp);
		outfile_abort(&out);
		rc = 1;
	} else if (outfile_commit(&out) < 0) {
		rc = 1;
	}
	for (size_t i = 0; i < n_src; i++)
		free(src[i]);
	free(src);
	free(name);
	return rc;
}

int
cmd_init(int argc, char **argv)
{
	const char *dir = ".";
	struct stat st;
	char *path;
	int force = 0, rc;

	rc = parse_init_args(argc, argv, &force, &dir);
	if (rc >= 0)
		return rc;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		warnx("%s: no such folder", dir);
		return 1;
	}
	path = strcmp(dir, ".") == 0 ? xstrdup(CONFIG_FILE) :
	    xasprintf("%s/%s", dir, CONFIG_FILE);
	if (!force && lstat(path, &st) == 0) {
		warnx("%s: already exists (use --force to overwrite)", path);
		free(path);
		return 1;
	}
	rc = write_init_file(path, dir);
	if (rc == 0)
		printf("wrote %s\n", path);
	free(path);
	return rc;
}
