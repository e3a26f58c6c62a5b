/*
 * cmd_build.c - `fatpack build`: compile, check, strip, pack, write atomically.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "format/reader.h"
#include "assets.h"
#include "build.h"
#include "commands.h"
#include "config.h"
#include "elfcheck.h"
#include "libprefix.h"
#include "format/check.h"
#include "format/format.h"
#include "pack.h"
#include "sign.h"
#include "toolchain.h"
#include "temps.h"
#include "util.h"

extern char **environ;

/* What the command line says beyond struct build_opts. */
struct extra {
	char **exclude;
	size_t n_exclude;
	char **targets;                 /* --target: replace the file's list */
	size_t n_targets;
};

static void
usage(FILE *f)
{
	fputs("usage: fatpack build [OPTIONS] [SOURCE.c ... | PROGRAM]\n"
	    "\n"
	    "Compiles SOURCE.c files with the fatpack toolchain (musl, static), or\n"
	    "takes a PROGRAM linked with `fatpack cc`, strips it and appends the\n"
	    "assets as one zstd archive. With no program and no --serve, the\n"
	    "settings come from ./fatpack.ini; options override its values and\n"
	    "add to its lists (assets, excludes, cflags, libs, pkg).\n"
	    "\n"
	    "Options:\n"
	    "  -o, --output PATH        output file (default dist/NAME, and\n"
	    "                           dist/NAME-ARCH for several targets); may\n"
	    "                           hold {name} {version} {build} {arch}:\n"
	    "                           {build} is the --revision, else the short\n"
	    "                           git revision, else 12 hex digits of the\n"
	    "                           payload's hash\n"
	    "      --link PATH          symlink updated to the new output, e.g.\n"
	    "                           dist/{name} ({name} and {arch} only)\n"
	    "  -t, --target ARCH        build for ARCH: x86_64 or aarch64 (default:\n"
	    "                           this machine's); repeated, one output each\n"
	    "  -a, --assets DIR|ARCHIVE[=PREFIX]\n"
	    "                           add a folder, or a .tar[.gz|.zst|.xz] or .zip\n"
	    "                           archive, at PREFIX in the index (repeatable)\n"
	    "  -x, --exclude GLOB       leave out paths or names matching GLOB\n"
	    "                           (repeatable, all asset sources)\n"
	    "  -l, --level N            zstd level 1..19 (default 3)\n"
	    "  -j, --jobs N             compression threads (default: one per CPU)\n"
	    "      --no-dictionary      no zstd dictionary for small files, so that\n"
	    "                           zstd reads the payload without -D\n"
	    "      --serve SITE         the program is the built-in static file\n"
	    "                           server, serving SITE\n"
	    "      --listen HOST:PORT   the server's default address (with --serve)\n"
	    "      --spa-fallback PATH  asset served for unknown paths (with --serve)\n"
	    "      --cache-control V    Cache-Control header value (with --serve)\n"
	    "      --identity-cache SIZE  the server's memory for decoded files\n"
	    "                           sent with sendfile (with --serve)\n"
	    "      --name NAME          application name (default: from the first\n"
	    "                           source, the program or the site)\n"
	    "      --app-version V      application version\n"
	    "      --revision R         source revision (default: `git rev-parse\n"
	    "                           HEAD` when the current folder is in a git\n"
	    "                           work tree)\n"
	    "      --cflags STR         extra compiler flags (repeatable)\n"
	    "      --libs STR           extra link arguments, e.g. -lm (repeatable)\n"
	    "      --pkg NAME           compile and link with a library of the\n"
	    "                           library prefix (`fatpack cc --print-prefix`),\n"
	    "                           from its pkg-config file (repeatable)\n"
	    "      --mount PATH|none    where the program sees its assets as files\n"
	    "                           (default " FP_MOUNT_DEFAULT ")\n"
	    "      --override on|off    whether FATPACK_ASSETS=DIR may put files of\n"
	    "                           DIR before the assets (default on)\n"
	    "      --jail[=POLICY]      confine the program after start (default\n"
	    "                           with --serve: on; POLICY: docs/CONFIG.md)\n"
	    "      --sign KEY           sign with the secret key in the file KEY\n"
	    "                           (fatpack keygen; mode 0600) or, with\n"
	    "                           env:NAME, in the environment variable NAME;\n"
	    "                           also writes OUTPUT.minisig for minisign\n"
	    "      --require-signature  embed the public key: the artifact starts\n"
	    "                           only when its signature verifies (needs\n"
	    "                           --sign; a PROGRAM linked with `fatpack cc\n"
	    "                           --require-signature`)\n"
	    "      --no-strip           append to the program as it is\n"
	    "      --allow-dynamic      accept a dynamically linked program\n"
	    "  -q, --quiet              no progress bar, no summary line\n"
	    "  -v, --verbose            say what is done, and the summary line\n"
	    "  -h, --help               show this help\n"
	    "\n"
	    "On a terminal a progress bar shows on stderr for builds that take more\n"
	    "than half a second, and a summary line ends the build; when stderr is\n"
	    "not a terminal a successful build prints nothing unless -v is given.\n"
	    "SOURCE_DATE_EPOCH, when set, clamps asset mtimes and is the build time:\n"
	    "the same inputs then give the same bytes.\n"
	    "Exit status: 0 built, 1 failed, 2 usage error.\n", f);
}

enum {
	OPT_SERVE = 256, OPT_LISTEN, OPT_SPA, OPT_CACHE, OPT_IDENTITY, OPT_NAME,
	OPT_VERSION, OPT_REVISION, OPT_CFLAGS, OPT_LIBS, OPT_NO_STRIP, OPT_DYNAMIC,
	OPT_LINK, OPT_PKG, OPT_MOUNT, OPT_OVERRIDE, OPT_JAIL, OPT_SIGN,
	OPT_REQUIRE_SIG, OPT_NO_DICT,
};

static const struct option long_opts[] = {
	{ "output",        required_argument, NULL, 'o' },
	{ "link",          required_argument, NULL, OPT_LINK },
	{ "target",        required_argument, NULL, 't' },
	{ "assets",        required_argument, NULL, 'a' },
	{ "exclude",       required_argument, NULL, 'x' },
	{ "level",         required_argument, NULL, 'l' },
	{ "jobs",          required_argument, NULL, 'j' },
	{ "no-dictionary", no_argument,       NULL, OPT_NO_DICT },
	{ "serve",         required_argument, NULL, OPT_SERVE },
	{ "listen",        required_argument, NULL, OPT_LISTEN },
	{ "spa-fallback",  required_argument, NULL, OPT_SPA },
	{ "cache-control", required_argument, NULL, OPT_CACHE },
	{ "identity-cache", required_argument, NULL, OPT_IDENTITY },
	{ "name",          required_argument, NULL, OPT_NAME },
	{ "app-version",   required_argument, NULL, OPT_VERSION },
	{ "revision",      required_argument, NULL, OPT_REVISION },
	{ "cflags",        required_argument, NULL, OPT_CFLAGS },
	{ "libs",          required_argument, NULL, OPT_LIBS },
	{ "pkg",           required_argument, NULL, OPT_PKG },
	{ "no-strip",      no_argument,       NULL, OPT_NO_STRIP },
	{ "mount",         required_argument, NULL, OPT_MOUNT },
	{ "override",      required_argument, NULL, OPT_OVERRIDE },
	{ "jail",          optional_argument, NULL, OPT_JAIL },
	{ "allow-dynamic", no_argument,       NULL, OPT_DYNAMIC },
	{ "sign",          required_argument, NULL, OPT_SIGN },
	{ "require-signature", no_argument,   NULL, OPT_REQUIRE_SIG },
	{ "quiet",         no_argument,       NULL, 'q' },
	{ "verbose",       no_argument,       NULL, 'v' },
	{ "help",          no_argument,       NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const char short_opts[] = ":o:a:x:l:j:t:qvh";

/* ---- options ---------------------------------------------------------- */

static void
push(char ***v, size_t *n, const char *s)
{
	*v = xrealloc(*v, (*n + 2) * sizeof(**v));
	(*v)[(*n)++] = xstrdup(s);
	(*v)[*n] = NULL;
}

static void
push_words(char ***v, size_t *n, const char *s)
{
	char *copy = xstrdup(s), *save = NULL;

	for (char *w = strtok_r(copy, " \t\n", &save); w != NULL;
	    w = strtok_r(NULL, " \t\n", &save))
		push(v, n, w);
	free(copy);
}

static void
replace(char **dst, const char *s)
{
	free(*dst);
	*dst = xstrdup(s);
}

static int
parse_int(const char *opt, const char *s, int lo, int hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < lo || v > hi) {
		warnx("%s: '%s' is not a number in %d..%d", opt, s, lo, hi);
		return -1;
	}
	*out = (int)v;
	return 0;
}

/* DIR=PREFIX: the last '=' splits, so a folder may hold '=' if a prefix is
 * given ("a=b=" is folder "a=b" at the root). */
static void
add_source(struct build_opts *o, char *path, char *prefix)
{
	struct asset_source *s;

	o->assets = xrealloc(o->assets, (o->n_assets + 1) * sizeof(*o->assets));
	s = &o->assets[o->n_assets++];
	memset(s, 0, sizeof(*s));
	s->path = path;
	s->prefix = prefix;
}

static void
add_assets(struct build_opts *o, const char *arg)
{
	const char *eq = strrchr(arg, '=');

	if (eq != NULL && eq != arg)
		add_source(o, xasprintf("%.*s", (int)(eq - arg), arg),
		    xstrdup(eq + 1));
	else
		add_source(o, xstrdup(arg), xstrdup(""));
}

/* An option value the rules of format/check.h refuse (why NULL: they take
 * it), in one line; the value is shown escaped: it may hold any byte. */
static int
refuse(const char *opt, const char *v, const char *why)
{
	char esc[128];

	if (why == NULL)
		return 0;
	warnx("%s '%s': %s", opt, fp_escape(v, strlen(v), esc, sizeof(esc)), why);
	return 2;
}

static int
check_text(const char *opt, const char *s)
{
	for (const char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			warnx("%s holds a control character", opt);
			return -1;
		}
	return 0;
}

/* The link keeps one name across builds, as fatpack.ini's link does. */
static int
check_link(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || s[n - 1] == '/') {
		warnx("--link '%s' must name a file, not a folder", s);
		return -1;
	}
	if (strstr(s, "{version}") != NULL || strstr(s, "{build}") != NULL) {
		warnx("--link '%s': the link keeps one name across builds, so it "
		    "takes {name} and {arch} only", s);
		return -1;
	}
	return check_text("--link", s);
}

/* One option onto o. Returns 0, or 2 for a usage error. */
static int
apply(struct build_opts *o, struct extra *x, int c, const char *arg)
{
	switch (c) {
	case 'o':
		replace(&o->output, arg);
		o->output_line = 0;
		return 0;
	case 'a': add_assets(o, arg); return 0;
	case 'x': push(&x->exclude, &x->n_exclude, arg); return 0;
	case 't':
		return refuse("--target", arg, build_add_target(&x->targets,
		    &x->n_targets, arg));
	case 'l': return parse_int("--level", arg, 1, 19, &o->level) ? 2 : 0;
	case 'j': return parse_int("--jobs", arg, 0, 1024, &o->jobs) ? 2 : 0;
	case 'q': o->quiet = 1; return 0;
	case OPT_NO_DICT: o->no_dictionary = 1; return 0;
	case 'v': o->verbose = 1; return 0;
	case OPT_SERVE:
		o->serve = 1;
		add_source(o, xstrdup(arg), xstrdup(""));
		return 0;
	case OPT_LISTEN:
		replace(&o->listen, arg);
		return refuse("--listen", arg, fp_check_listen(arg));
	case OPT_SPA:
		replace(&o->spa_fallback, fp_skip_slashes(arg));
		o->spa_fallback_line = 0;
		return refuse("--spa-fallback", arg, fp_check_spa_fallback(arg));
	case OPT_CACHE:
		replace(&o->cache_control, arg);
		return refuse("--cache-control", arg, fp_check_cache_control(arg));
	case OPT_IDENTITY:
		replace(&o->identity_cache, arg);
		return refuse("--identity-cache", arg,
		    fp_check_identity_cache(arg));
	case OPT_NAME:
		replace(&o->name, arg);
		return refuse("--name", arg, fp_check_name(arg));
	case OPT_VERSION:
		replace(&o->version, arg);
		return refuse("--app-version", arg, fp_check_version(arg));
	case OPT_LINK: replace(&o->link, arg); return check_link(arg) ? 2 : 0;
	case OPT_REVISION:
		replace(&o->revision, arg);
		return refuse("--revision", arg, fp_check_version(arg));
	case OPT_CFLAGS: push_words(&o->cflags, &o->n_cflags, arg); return 0;
	case OPT_LIBS: push_words(&o->libs, &o->n_libs, arg); return 0;
	case OPT_PKG: push_words(&o->pkgs, &o->n_pkgs, arg); return 0;
	case OPT_MOUNT:
		replace(&o->mount, arg);
		return refuse("--mount", arg, build_check_mount(arg));
	case OPT_OVERRIDE:
		replace(&o->override, arg);
		return refuse("--override", arg, fp_check_override(arg));
	case OPT_JAIL:
		replace(&o->jail, arg != NULL ? arg : "on");
		return refuse("--jail", o->jail, fp_check_jail(o->jail));
	case OPT_NO_STRIP: o->strip = 0; return 0;
	case OPT_DYNAMIC: o->allow_dynamic = 1; return 0;
	case OPT_SIGN: replace(&o->sign, arg); return 0;
	case OPT_REQUIRE_SIG: o->require_signature = 1; return 0;
	default:
		return usage_error("build", "unknown option '%c'", c);
	}
}

static int
is_source(const char *s)
{
	size_t n = strlen(s);

	return n > 2 && strcmp(s + n - 2, ".c") == 0;
}

static int
add_positional(struct build_opts *o, const char *arg)
{
	if (is_source(arg)) {
		if (o->program != NULL)
			goto mixed;
		push(&o->sources, &o->n_sources, arg);
		return 0;
	}
	if (o->program != NULL || o->n_sources > 0)
		goto mixed;
	o->program = xstrdup(arg);
	return 0;
mixed:
	warnx("build takes SOURCE.c files or one PROGRAM, not both (at '%s')",
	    arg);
	return 2;
}

/* Whether argv names what to build (sources, a program or --serve). A first
 * pass: the fatpack file is read only when it does not, and before the
 * options are applied, so that they override it. */
static int
names_program(int argc, char **argv, int *help)
{
	int c, found = 0;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		found |= c == OPT_SERVE;
		*help |= c == 'h';
	}
	return found || optind < argc;
}

static int
parse(int argc, char **argv, struct build_opts *o, struct extra *x)
{
	int c, rc = 0, help = 0;

	build_opts_init(o);
	if (!names_program(argc, argv, &help) && !help &&
	    access(CONFIG_FILE, F_OK) == 0 && config_load(CONFIG_FILE, o) < 0)
		return 1;
	optind = 0;
	opterr = 0;
	while (rc == 0 &&
	    (c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return -1;
		}
		if (c == '?' || c == ':')
			return usage_getopt("build", c, argv);
		rc = apply(o, x, c, optarg);
	}
	for (int i = optind; rc == 0 && i < argc; i++)
		rc = add_positional(o, argv[i]);
	return rc;
}

static int
check_opts(const struct build_opts *o)
{
	int programs = (o->n_sources > 0) + (o->program != NULL) + o->serve;

	if (programs == 0) {
		warnx("nothing to build: give SOURCE.c files, a PROGRAM, --serve "
		    "SITE, or write a %s (fatpack init)", CONFIG_FILE);
		return 2;
	}
	if (programs > 1) {
		warnx("--serve runs the built-in server: it takes no SOURCE.c "
		    "or PROGRAM");
		return 2;
	}
	if (o->n_targets > 1 && ((o->output != NULL &&
	    strstr(o->output, "{arch}") == NULL) ||
	    (o->link != NULL && strstr(o->link, "{arch}") == NULL))) {
		warnx("%zu targets make one file each: put {arch} in the "
		    "output%s", o->n_targets, o->link != NULL ? " and the link" : "");
		return 2;
	}
	if (!o->serve && (o->listen || o->spa_fallback || o->cache_control ||
	    o->identity_cache)) {
		warnx("--listen, --spa-fallback, --cache-control and "
		    "--identity-cache go with --serve");
		return 2;
	}
	if (o->n_pkgs > 0 && o->n_sources == 0) {
		warnx("--pkg (pkg) compiles SOURCE.c files with a library: it "
		    "does not go with a PROGRAM or --serve");
		return 2;
	}
	if (o->require_signature && o->sign == NULL) {
		warnx("--require-signature embeds the signer's public key: it "
		    "needs --sign KEY");
		return 2;
	}
	if (o->require_signature && o->serve) {
		warnx("--require-signature: the built-in server is linked "
		    "without the signature check");
		return 2;
	}
	if (o->serve && (o->mount != NULL || strcmp(o->override, "on") != 0)) {
		warnx("--mount and --override go with a program: the built-in "
		    "server reads its assets without the mount");
		return 2;
	}
	return 0;
}

static void
free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
opts_free(struct build_opts *o, struct extra *x)
{
	free_list(o->sources, o->n_sources);
	free_list(o->cflags, o->n_cflags);
	free_list(o->libs, o->n_libs);
	free_list(o->pkgs, o->n_pkgs);
	for (size_t i = 0; i < o->n_assets; i++) {
		free(o->assets[i].path);
		free(o->assets[i].prefix);
		free_list(o->assets[i].exclude, o->assets[i].n_exclude);
	}
	free(o->assets);
	free(o->program);
	free(o->output);
	free(o->link);
	free(o->name);
	free(o->version);
	free(o->revision);
	free(o->listen);
	free(o->spa_fallback);
	free(o->cache_control);
	free(o->identity_cache);
	free(o->mount);
	free(o->jail);
	free(o->sign);
	free(o->override);
	free_list(o->targets, o->n_targets);
	free_list(x->exclude, x->n_exclude);
	free_list(x->targets, x->n_targets);
}

/* The command line's targets replace the fatpack file's. */
static void
take_targets(struct build_opts *o, struct extra *x)
{
	if (x->n_targets == 0)
		return;
	free_list(o->targets, o->n_targets);
	o->targets = x->targets;
	o->n_targets = x->n_targets;
	x->targets = NULL;
	x->n_targets = 0;
}

/* ---- names ------------------------------------------------------------ */

/* The last part of path without a trailing '/' and without suffix. */
static char *
base_name(const char *path, const char *suffix)
{
	size_t n = strlen(path), sl = strlen(suffix);
	const char *b;

	while (n > 1 && path[n - 1] == '/')
		n--;
	for (b = path + n; b > path && b[-1] != '/'; b--)
		;
	n -= (size_t)(b - path);
	if (n > sl && memcmp(b + n - sl, suffix, sl) == 0)
		n -= sl;
	return xasprintf("%.*s", (int)n, b);
}

static char *
guess_name(const struct build_opts *o)
{
	char *n = NULL, *real;

	if (o->n_sources > 0)
		return base_name(o->sources[0], ".c");
	if (o->program != NULL)
		return base_name(o->program, "");
	if (o->n_assets > 0) {
		n = base_name(o->assets[o->n_assets - 1].path, "");
		if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0) {
			free(n);
			real = realpath(o->assets[o->n_assets - 1].path, NULL);
			n = base_name(real ? real : "site", "");
			free(real);
		}
	}
	return n ? n : xstrdup("app");
}

/* The name from the first source, the program or the site, held to the rule
 * of --name (it is metadata and, through {name}, a file name); NULL after
 * saying where a name can be given instead. */
static char *
default_name(const struct build_opts *o)
{
	char *n = guess_name(o), esc[128];
	const char *why = fp_check_name(n);

	if (why == NULL)
		return n;
	fp_escape(n, strlen(n), esc, sizeof(esc));
	if (o->file != NULL)
		warnx("%s: cannot name the app from '%s': %s; set name = in [app] "
		    "or give --name", o->file, esc, why);
	else
		warnx("cannot name the app from '%s': %s; give --name", esc, why);
	free(n);
	return NULL;
}

/* Replaces each {key} of pattern by value (value NULL: an error). */
static char *
expand(const char *pattern, const char *key, const char *value)
{
	const char *p = strstr(pattern, key);
	char *s, *rest;

	if (p == NULL)
		return xstrdup(pattern);
	if (value == NULL)
		return NULL;
	rest = expand(p + strlen(key), key, value);
	s = xasprintf("%.*s%s%s", (int)(p - pattern), pattern, value, rest);
	free(rest);
	return s;
}

/* The output pattern holds {version} and there is none: the fixes are where
 * the pattern was set, the command line or the fatpack file. */
static void
no_version(const struct build_opts *o)
{
	char esc[128];

	fp_escape(o->output, strlen(o->output), esc, sizeof(esc));
	if (o->output_line != 0)
		warnx("%s:%d: output '%s' uses {version}, but no version is given: "
		    "give --app-version or set version = in [app]", o->file,
		    o->output_line, esc);
	else
		warnx("-o '%s' uses {version}, but no version is given: give "
		    "--app-version", esc);
}

/* The output path with {name}, {arch} and {version} filled in; {build}
 * stays for later (the payload's hash) unless build_id gives it now. */
static char *
output_path(const struct build_opts *o, const char *build_id)
{
	const char *pattern = o->output;
	char *a, *b, *c;

	if (pattern == NULL)
		pattern = o->n_targets > 1 ? "dist/{name}-{arch}" : "dist/{name}";
	a = expand(pattern, "{name}", o->name);
	b = expand(a, "{arch}", toolchain_target());
	free(a);
	a = b;
	b = expand(a, "{version}", o->version);
	free(a);
	if (b == NULL) {
		no_version(o);
		return NULL;
	}
	if (build_id == NULL) {
		/* named by the payload's hash once it is written: the folder
		 * the temporary file goes to must be known before that */
		const char *slash = strrchr(b, '/'), *at = strstr(b, "{build}");

		if (at != NULL && slash != NULL && at < slash) {
			warnx("output '%s': {build} without a revision can only be "
			    "in the file name, not in a folder (give --revision)",
			    b);
			free(b);
			return NULL;
		}
		return b;
	}
	c = expand(b, "{build}", build_id);
	free(b);
	return c;
}

/* ---- the source revision ---------------------------------------------- */

/* What `git rev-parse ARG HEAD` prints in the current folder, or NULL when
 * git is missing or fails (not a work tree, no commit yet): a revision is
 * a nicety, never a reason to fail a build. */
static char *
git_rev_parse(const char *arg)
{
	char *argv[] = { "git", "rev-parse", (char *)arg, "HEAD", NULL };
	posix_spawn_file_actions_t fa;
	char buf[128];
	size_t len = 0;
	ssize_t n;
	pid_t pid;
	int fds[2], status, spawned;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	spawned = posix_spawnp(&pid, "git", &fa, NULL, argv, environ) == 0;
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	while (spawned && len < sizeof(buf) - 1 &&
	    ((n = read(fds[0], buf + len, sizeof(buf) - 1 - len)) > 0 ||
	    (n < 0 && errno == EINTR)))
		len += n > 0 ? (size_t)n : 0;
	close(fds[0]);
	while (spawned && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!spawned || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return NULL;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	buf[len] = '\0';
	/* an object name, nothing else, goes into file names and metadata */
	if (len == 0 || strspn(buf, "0123456789abcdef") != len)
		return NULL;
	return xstrdup(buf);
}

/* Fills o->revision from git unless given; *build_id is what {build}
 * becomes: the given revision, the short git revision, or NULL (the
 * payload's hash, known once it is written). */
static void
find_revision(struct build_opts *o, char **build_id)
{
	*build_id = NULL;
	if (o->revision != NULL) {
		*build_id = xstrdup(o->revision);
		return;
	}
	if ((o->revision = git_rev_parse("--verify")) == NULL)
		return;
	*build_id = git_rev_parse("--short");
	if (o->verbose)
		fprintf(stderr, "fatpack: revision %s (git)\n", o->revision);
}

/* ---- steps ------------------------------------------------------------ */

/* The SPA fallback must be a file of the site, as the server requires at
 * start: the build refuses what the server would. */
static int
check_spa_fallback(const struct build_opts *o, const struct asset_list *l)
{
	char esc[128];

	if (o->spa_fallback == NULL)
		return 0;
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].type == FP_TYPE_FILE &&
		    strcmp(l->v[i].path, o->spa_fallback) == 0)
			return 0;
	fp_escape(o->spa_fallback, strlen(o->spa_fallback), esc, sizeof(esc));
	if (o->spa_fallback_line != 0)
		warnx("%s:%d: spa_fallback '%s' is not a file of the site",
		    o->file, o->spa_fallback_line, esc);
	else
		warnx("--spa-fallback '%s' is not a file of the site", esc);
	return -1;
}

/* A new empty file next to out, for an intermediate program. */
static char *
temp_next_to(const char *out, const char *what)
{
	char *dir = xstrdup(out), *slash = strrchr(dir, '/'), *path;
	int fd;

	if (slash != NULL)
		*slash = '\0';
	path = xasprintf("%s/.fatpack-%s.XXXXXX", slash ? dir : ".", what);
	free(dir);
	if ((fd = temps_mkstemp(path)) < 0) {
		warn("%s", out);   /* the temporary name is ours, not the user's */
		free(path);
		return NULL;
	}
	close(fd);
	return path;
}

static void
temp_remove(char *path)
{
	if (path == NULL)
		return;
	temps_remove(path);
	free(path);
}

static void
print_argv(const char *what, char **v, size_t n)
{
	fprintf(stderr, "fatpack: %s:", what);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, " %s", v[i]);
	fputc('\n', stderr);
}

/* Compiles and links the sources into a new temporary file. */
static char *
compile(const struct build_opts *o, const char *out)
{
	size_t npkg = 0, n, k = 0;
	char **pkg = NULL, **args, *tmp;
	int rc;

	if (o->n_pkgs > 0 &&
	    (pkg = libprefix_pkg_flags(o->pkgs, o->n_pkgs, &npkg)) == NULL)
		return NULL;
	n = o->n_sources + o->n_cflags + 2 + o->n_libs + npkg;
	args = xcalloc(n + 1, sizeof(*args));
	if ((tmp = temp_next_to(out, "cc")) == NULL) {
		libprefix_free(pkg);
		free(args);
		return NULL;
	}
	for (size_t i = 0; i < o->n_sources; i++)
		args[k++] = o->sources[i];
	for (size_t i = 0; i < o->n_cflags; i++)
		args[k++] = o->cflags[i];
	args[k++] = "-o";
	args[k++] = tmp;
	for (size_t i = 0; i < o->n_libs; i++)
		args[k++] = o->libs[i];
	for (size_t i = 0; i < npkg; i++)
		args[k++] = pkg[i];
	if (o->verbose)
		print_argv("compiling", args, n);
	rc = toolchain_run(args, n);
	free(args);
	libprefix_free(pkg);
	if (rc != 0) {
		if (rc != TOOLCHAIN_REFUSED)
			warnx("compilation failed (status %d)", rc);
		temp_remove(tmp);
		return NULL;
	}
	return tmp;
}

/* How many bytes of the program file are the program: all of it, unless it is
 * an artifact already, whose payload a new build replaces. */
static uint64_t
program_length(int fd, const struct stat *st)
{
	struct fp_reader a;
	uint64_t end, len = (uint64_t)st->st_size;

	if (fp_reader_open(&a, fd, NULL, 0) == 0) {
		end = elfcheck_image_end(fd);
		len = end > 0 && end <= a.payload_offset ? end : a.payload_offset;
		fp_reader_close(&a);
	}
	return len;
}

/* Copies len bytes of the program on fd, which must not change meanwhile. */
static int
copy_program(int out, const char *out_name, int fd, const char *name,
    uint64_t len)
{
	unsigned char buf[1 << 16];
	uint64_t done = 0;
	int r;

	while (done < len) {
		size_t n = len - done < sizeof(buf) ? (size_t)(len - done) :
		    sizeof(buf);

		if ((r = fp_read_at(fd, buf, n, done)) != 0) {
			if (r == FATPACK_ETRUNC)
				warnx("%s: changed while building", name);
			else
				warn("%s", name);
			return -1;
		}
		if (write_all(out, buf, n) < 0) {
			warn("%s", out_name);
			return -1;
		}
		done += n;
	}
	return 0;
}

/* Copies the program and the zero padding up to the payload. name is the
 * program as the user knows it. */
static int
write_program(int out, const char *out_name, const char *path,
    const char *name, const struct file_stamp *expect,
    uint64_t *payload_offset)
{
	static const unsigned char zero[FP_ALIGN];
	struct file_stamp before, after;
	struct stat st;
	const char *why;
	uint64_t len;
	int fd, rc;

	if ((fd = open_regular(path, &st, &why)) < 0) {
		warnx("%s: %s", name, why);
		return -1;
	}
	stamp_of(&before, &st);
	if (expect != NULL && !stamp_eq(expect, &before)) {
		warnx("%s: changed while building", name);
		close(fd);
		return -1;
	}
	len = program_length(fd, &st);
	rc = copy_program(out, out_name, fd, name, len);
	if (rc == 0 && fstat(fd, &st) < 0) {
		warn("%s", name);
		rc = -1;
	} else if (rc == 0) {
		stamp_of(&after, &st);
		if (!stamp_eq(&before, &after)) {
			warnx("%s: changed while building", name);
			rc = -1;
		}
	}
	close(fd);
	*payload_offset = (len + FP_ALIGN - 1) / FP_ALIGN * FP_ALIGN;
	if (rc == 0 &&
	    write_all(out, zero, (size_t)(*payload_offset - len)) < 0) {
		warn("%s", out_name);
		rc = -1;
	}
	return rc;
}

/* Whether the file at path is still the one stamped (it may have been
 * rewritten while strip read it). */
static int
same_file(const char *path, const struct file_stamp *stamp)
{
	struct file_stamp now;
	struct stat st;

	if (stat(path, &st) < 0)
		return 0;
	stamp_of(&now, &st);
	return stamp_eq(&now, stamp);
}

/* The program to append to, checked and stripped; *tmp is set when it is a
 * temporary file to remove afterwards. The user's program is the file that
 * was checked until its bytes are in the output: *checked is its stamp at
 * the check, for write_program when it copies the program itself (NULL
 * otherwise: a stripped copy is ours, and was made from the checked file). */
static const char *
prepare_program(const struct build_opts *o, const char *out, char **tmp,
    struct file_stamp *checked, const struct file_stamp **expect)
{
	const char *prog = o->program;
	char msg[512], *stripped;
	struct stat st;

	*tmp = NULL;
	*expect = NULL;
	if (o->n_sources > 0 && (prog = *tmp = compile(o, out)) == NULL)
		return NULL;
	if (o->serve && (prog = toolchain_serve_program()) == NULL)
		return NULL;
	if (elfcheck_program(prog, (o->allow_dynamic || toolchain_is_dynamic() ?
	    ELFCHECK_DYNAMIC : 0) | (o->require_signature ? ELFCHECK_SIGN : 0),
	    &st, msg, sizeof(msg)) < 0) {
		warnx("%s: %s", o->program ? o->program : prog, msg);
		return NULL;
	}
	stamp_of(checked, &st);
	if (!o->strip) {
		*expect = o->program != NULL ? checked : NULL;
		return prog;
	}
	if (o->verbose)
		fprintf(stderr, "fatpack: stripping %s\n", prog);
	stripped = temp_next_to(out, "strip");
	if (stripped == NULL || toolchain_strip(prog, stripped) < 0) {
		temp_remove(stripped);
		return NULL;
	}
	if (o->program != NULL && !same_file(prog, checked)) {
		warnx("%s: changed while building", o->program);
		temp_remove(stripped);
		return NULL;
	}
	temp_remove(*tmp);
	*tmp = stripped;
	return stripped;
}

/* The sources and the program are regular files: the compiler would wait
 * forever on a FIFO, and its message for a missing file comes late. */
static int
check_inputs(const struct build_opts *o)
{
	struct stat st;
	const char *why;
	int fd;

	for (size_t i = 0; i <= o->n_sources; i++) {
		const char *path = i < o->n_sources ? o->sources[i] : o->program;

		if (path == NULL)
			continue;
		if ((fd = open_regular(path, &st, &why)) < 0) {
			warnx("%s: %s", path, why);
			return -1;
		}
		close(fd);
	}
	return 0;
}

/* An output path that is a folder would fail only once all is compiled. */
static int
check_output(const char *out)
{
	size_t n = strlen(out);
	struct stat st;

	if ((n > 0 && out[n - 1] == '/') ||
	    (stat(out, &st) == 0 && S_ISDIR(st.st_mode))) {
		warnx("%s: is a folder; -o names the output file", out);
		return -1;
	}
	return 0;
}

/* Adds the -x patterns to every source. */
static void
share_excludes(struct build_opts *o, const struct extra *x)
{
	for (size_t i = 0; i < o->n_assets; i++)
		for (size_t k = 0; k < x->n_exclude; k++)
			push(&o->assets[i].exclude, &o->assets[i].n_exclude,
			    x->exclude[k]);
}

/* Where {build} had no revision: the payload's hash names the build. The
 * temporary file is in the same folder whatever the name. */
static void
name_by_content(struct outfile *of, char **out, const char *hash)
{
	char id[13];

	memcpy(id, hash, 12);
	id[12] = '\0';
	free(*out);
	*out = expand(of->path, "{build}", id);
	free(of->path);
	of->path = xstrdup(*out);
}

/* The link's path, {name} and {arch} filled in. */
static char *
link_path(const struct build_opts *o)
{
	char *a = expand(o->link, "{name}", o->name);
	char *b = expand(a, "{arch}", toolchain_target());

	free(a);
	return b;
}

/* Before anything is written: the link must be free for a symlink, and
 * not the output itself (update_link checks again at the end). */
static int
check_link_target(const struct build_opts *o, const char *out)
{
	char *link = link_path(o);
	struct stat st;
	int rc = 0;

	if (strcmp(link, out) == 0) {
		warnx("--link '%s' is the output itself; give the link another "
		    "name", link);
		rc = -1;
	} else if (lstat(link, &st) == 0 && !S_ISLNK(st.st_mode)) {
		warnx("%s: exists and is not a symlink; not replacing it", link);
		rc = -1;
	}
	free(link);
	return rc;
}

/* The stable symlink (o->link, {name} and {arch} only) to the new output. */
static int
update_link(const struct build_opts *o, const char *out)
{
	char *link = link_path(o), *tmp, *target;
	const char *ls = strrchr(link, '/'), *os = strrchr(out, '/');
	int rc = 0;

	/* again: a file may have appeared there while the build ran */
	if (check_link_target(o, out) < 0) {
		free(link);
		return -1;
	}
	/* same folder: a relative link survives moving the folder */
	if ((ls ? ls - link : 0) == (os ? os - out : 0) &&
	    strncmp(link, out, ls ? (size_t)(ls - link) : 0) == 0)
		target = xstrdup(os ? os + 1 : out);
	else if ((target = realpath(out, NULL)) == NULL)
		target = xstrdup(out);
	tmp = xasprintf("%s.tmp.%ld", link, (long)getpid());
	temps_add(tmp);
	unlink(tmp);
	if (mkdir_parents(link) < 0) {
		rc = -1;
	} else if (symlink(target, tmp) < 0 || rename(tmp, link) < 0) {
		warn("%s", link);
		rc = -1;
	}
	if (rc < 0)
		temps_remove(tmp);
	else
		temps_forget(tmp);
	free(tmp);
	free(target);
	free(link);
	return rc;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
human(char *buf, size_t len, uint64_t n)
{
	if (n < 1000)
		snprintf(buf, len, "%" PRIu64 " B", n);
	else if (n < 1000000)
		snprintf(buf, len, "%.1f kB", (double)n / 1e3);
	else if (n < 1000000000)
		snprintf(buf, len, "%.1f MB", (double)n / 1e6);
	else
		snprintf(buf, len, "%.2f GB", (double)n / 1e9);
}

/* A progress bar on a terminal's stderr, drawn only once a build has taken
 * half a second and at most ten times a second, so that fast builds and
 * logs show none. Plain text and carriage returns: no escape sequences. The
 * line stays narrower than the terminal, which would otherwise wrap it and
 * leave one stale line per redraw. */
struct progress {
	double start, last;
	uint64_t files, bytes;          /* totals */
	int width;                      /* columns drawn, to erase them */
};

#define PROGRESS_DELAY 0.5
#define PROGRESS_PERIOD 0.1
#define BAR_MAX 24
#define BAR_MIN 8

static int
term_columns(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

static void
progress_draw(void *arg, uint64_t files, uint64_t bytes)
{
	struct progress *p = arg;
	double t = now();
	char bar[BAR_MAX + 1], done[32], total[32], text[128];
	int pct, n, room = term_columns() - 1, barw;

	if (t - p->start < PROGRESS_DELAY || t - p->last < PROGRESS_PERIOD)
		return;
	p->last = t;
	pct = p->bytes > 0 ? (int)(bytes * 100 / p->bytes) : 100;
	human(done, sizeof(done), bytes);
	human(total, sizeof(total), p->bytes);
	n = snprintf(text, sizeof(text), "%3d%%  %s / %s  %" PRIu64 " / %"
	    PRIu64 " files", pct, done, total, files, p->files);
	barw = room - n - 3;            /* "[" bar "] " */
	barw = barw > BAR_MAX ? BAR_MAX : barw;
	if (barw < BAR_MIN) {           /* narrow: less said, nothing cut */
		barw = 0;
		n = snprintf(text, sizeof(text), "%3d%%  %s / %s", pct, done,
		    total);
		if (n > room)
			n = snprintf(text, sizeof(text), "%3d%%", pct);
	}
	if (barw > 0) {
		memset(bar, '.', (size_t)barw);
		memset(bar, '#', (size_t)(pct * barw / 100));
		bar[barw] = '\0';
		n = fprintf(stderr, "\r[%s] %s", bar, text) - 1;
	} else {
		n = fprintf(stderr, "\r%s", text) - 1;
	}
	if (n < p->width)
		fprintf(stderr, "%*s", p->width - n, "");
	if (n > p->width)
		p->width = n;
}

static void
progress_erase(struct progress *p)
{
	if (p->width > 0)
		fprintf(stderr, "\r%*s\r", p->width, "");
	p->width = 0;
}

static void
summary(const char *out, const struct pack_stats *st, double t0)
{
	char in[32], total[32];

	human(in, sizeof(in), st->in_bytes);
	human(total, sizeof(total), st->out_bytes);
	fprintf(stderr, "%s: %" PRIu64 " asset%s, %s -> %s, %.2f s\n", out,
	    st->files, st->files == 1 ? "" : "s", in, total, now() - t0);
}

/* The mount to record: none for the built-in server, which is linked
 * without it (docs/MOUNT.md). */
static const char *
mount_of(const struct build_opts *o)
{
	if (o->serve || (o->mount != NULL && strcmp(o->mount, "none") == 0))
		return NULL;
	return o->mount != NULL ? o->mount : FP_MOUNT_DEFAULT;
}

/* The jail to record: the policy given; else "on" for the built-in server
 * (docs/SERVICE.md), which enters it once its sockets are bound; else
 * none. */
static const char *
jail_of(const struct build_opts *o)
{
	if (o->jail != NULL)
		return o->jail;
	return o->serve ? "on" : NULL;
}

/* The server's address to record: the one given, else the server's
 * default, so that every --serve artifact says where it listens (`fatpack
 * oci` exposes that port). */
static const char *
listen_of(const struct build_opts *o)
{
	if (o->listen != NULL || !o->serve)
		return o->listen;
	return FP_LISTEN_DEFAULT;
}

/* The trusted comment of the detached signature (docs/SIGNING.md): when,
 * which file, which app, which payload. */
static char *
trusted_comment(const struct build_opts *o, const char *out,
    int64_t build_time, const char *payload)
{
	const char *base = strrchr(out, '/');

	return xasprintf("timestamp:%" PRId64 "\tfile:%s\tapp:%s\tversion:%s"
	    "\tpayload_sha256:%s", build_time, base != NULL ? base + 1 : out,
	    o->name, o->version != NULL ? o->version : "", payload);
}

/* Writes OUT.minisig, minisign's signature of the artifact written on
 * of->fd, into the temporary file of *mf. */
static int
write_minisig(struct outfile *mf, const struct build_opts *o,
    const struct outfile *of, const char *out, int64_t build_time,
    const struct pack_stats *st, const struct sign_key *key)
{
	char *path = xasprintf("%s.minisig", out), *text = NULL;
	char *comment = trusted_comment(o, out, build_time, st->payload_sha256);
	int rc = -1;

	if (strchr(comment, '\n') != NULL)
		warnx("%s: a name with a newline cannot be in the signature's "
		    "trusted comment", out);
	else
		text = sign_minisig(of->fd, out, key, comment);
	if (text != NULL) {
		rc = outfile_open(mf, path, 0644);
	}
	if (rc == 0 && write_all(mf->fd, text, strlen(text)) < 0) {
		warn("%s", path);
		outfile_abort(mf);
		rc = -1;
	}
	free(text);
	free(comment);
	free(path);
	return rc;
}

/* Renames the artifact and then its detached signature, if any, into
 * place. */
static int
commit_outputs(struct outfile *of, struct outfile *mf, int sign)
{
	int rc = outfile_commit(of);

	if (!sign)
		return rc;
	if (rc == 0)
		rc = outfile_commit(mf);
	else
		outfile_abort(mf);
	return rc;
}

/* Writes program, padding and payload through the atomic output file; with
 * a key, the signature frame, and OUTPUT.minisig beside it. */
static int
write_output(const struct build_opts *o, const char *prog,
    const struct file_stamp *expect, char **out, const struct asset_list *l,
    int64_t build_time, const struct sign_key *key, struct pack_stats *st,
    double t0)
{
	char sigkey[FP_PUBKEY_B64_LEN + 1];
	struct progress bar = {
		.start = t0, .files = 0, .bytes = l->total,
	};
	struct pack_meta m = {
		.name = o->name, .version = o->version, .revision = o->revision,
		.listen = listen_of(o), .spa_fallback = o->spa_fallback,
		.cache_control = o->cache_control,
		.identity_cache = o->identity_cache, .build_time = build_time,
		.mount = mount_of(o), .override = o->override,
		.jail = jail_of(o),
		.sigkey = o->require_signature ? sigkey : NULL,
	};
	/* No dictionary for the server: it sends stored frames as
	 * Content-Encoding: zstd, and browsers do not have our dictionary
	 * (docs/SERVER.md). */
	struct pack_opts po = { .level = o->level, .jobs = o->jobs, .key = key,
	    .dict = !o->serve && !o->no_dictionary };
	struct outfile of, mf;
	uint64_t payload_offset;
	int rc;

	if (key != NULL)
		fp_pubkey_b64(&key->pub, sigkey);
	for (size_t i = 0; i < l->n; i++)
		bar.files += l->v[i].type == FP_TYPE_FILE;
	if (!o->quiet && isatty(STDERR_FILENO)) {
		po.progress = progress_draw;
		po.progress_arg = &bar;
	}

	if (outfile_open(&of, *out, 0755) < 0)
		return -1;
	po.name = *out;
	rc = write_program(of.fd, *out, prog, o->program ? o->program : prog,
	    expect, &payload_offset);
	if (rc == 0)
		rc = pack_write(of.fd, payload_offset, l, &m, &po, st);
	progress_erase(&bar);
	if (rc < 0) {
		outfile_abort(&of);
		return -1;
	}
	if (strstr(of.path, "{build}") != NULL)
		name_by_content(&of, out, st->payload_sha256);
	if (key != NULL &&
	    write_minisig(&mf, o, &of, *out, build_time, st, key) < 0) {
		outfile_abort(&of);
		return -1;
	}
	return commit_outputs(&of, &mf, key != NULL);
}

/* One artifact, for the target toolchain_set_target chose. sde is
 * SOURCE_DATE_EPOCH, or NULL. */
static int
build_one(const struct build_opts *o, const char *build_id, const int64_t *sde,
    int64_t build_time, const struct sign_key *key)
{
	double t0 = now();
	struct asset_list l = { 0 };
	struct pack_stats st = { 0 };
	struct file_stamp checked;
	const struct file_stamp *expect;
	char *out = NULL, *tmp = NULL;
	const char *prog;
	int rc = 1;

	if (o->verbose && o->n_targets > 0)
		fprintf(stderr, "fatpack: building for %s\n", toolchain_target());
	/* every check before the output's folder is made */
	if ((out = output_path(o, build_id)) == NULL || check_output(out) < 0 ||
	    (o->link != NULL && check_link_target(o, out) < 0))
		goto done;
	if (assets_collect(o->assets, o->n_assets, sde, &l) < 0 ||
	    check_spa_fallback(o, &l) < 0 || mkdir_parents(out) < 0)
		goto done;
	if (o->verbose)
		fprintf(stderr, "fatpack: %zu entr%s, %" PRIu64 " bytes of assets\n",
		    l.n, l.n == 1 ? "y" : "ies", l.total);
	if ((prog = prepare_program(o, out, &tmp, &checked, &expect)) == NULL)
		goto done;
	if (write_output(o, prog, expect, &out, &l, build_time, key, &st,
	    t0) < 0)
		goto done;
	if (o->link != NULL && update_link(o, out) < 0)
		goto done;
	/* CI logs stay clean: a build that worked says so on a terminal */
	if (!o->quiet && (o->verbose || isatty(STDERR_FILENO)))
		summary(out, &st, t0);
	rc = 0;
done:
	temp_remove(tmp);
	assets_free(&l);
	free(out);
	return rc;
}

/* One artifact per target, all with the same name, revision and build
 * time: the payloads are the same bytes whatever the machine. */
static int
build(struct build_opts *o, const struct extra *x)
{
	int64_t sde, build_time;
	int have_sde = source_date_epoch(&sde), rc = 0;
	size_t n = o->n_targets > 0 ? o->n_targets : 1;
	char *build_id = NULL;
	struct sign_key key;

	if (have_sde < 0)
		return 1;
	build_time = have_sde == 0 ? sde : (int64_t)time(NULL);
	if (o->name == NULL && (o->name = default_name(o)) == NULL)
		return 1;
	share_excludes(o, x);
	if (check_inputs(o) < 0)
		return 1;
	/* every target's runtime first: no artifact for one of them when
	 * another cannot be built (the names were checked when given) */
	for (size_t i = 0; i < n; i++) {
		toolchain_set_target(o->n_targets > 0 ? o->targets[i] : NULL);
		if (toolchain_libdir() == NULL)
			return 1;
		if (o->require_signature && toolchain_require_signature() < 0)
			return 1;
	}
	if (o->sign != NULL && sign_key_load(o->sign, &key) < 0)
		return 1;
	find_revision(o, &build_id);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		toolchain_set_target(o->n_targets > 0 ? o->targets[i] : NULL);
		rc = build_one(o, build_id, have_sde == 0 ? &sde : NULL,
		    build_time, o->sign != NULL ? &key : NULL);
	}
	if (o->sign != NULL)
		sign_key_wipe(&key);
	free(build_id);
	return rc;
}

int
cmd_build(int argc, char **argv)
{
	struct build_opts o;
	struct extra x = { 0 };
	int rc = parse(argc, argv, &o, &x);

	take_targets(&o, &x);
	if (rc == 0)
		rc = check_opts(&o);
	if (rc == 0)
		rc = build(&o, &x);
	opts_free(&o, &x);
	return rc < 0 ? 0 : rc;
}
