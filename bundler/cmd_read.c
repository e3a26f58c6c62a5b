/*
 * cmd_read.c - `fatpack ls`, `cat`, `extract`, `info`, `verify`: reading an
 * artifact without running it. Options and opening are here; the work is
 * stub/inspect/'s, the same code that answers `APP --fatpack-list` and the
 * other flags inside a fat binary. `cat` is the bundler's alone.
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "format/check.h"
#include "inspect/inspect.h"
#include "sign.h"
#include "util.h"

static const char prog[] = "fatpack";

static const struct option help_only[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* What a command accepts: getopt's short and long options, and which of
 * their values are flags of the command (each sets its bit in the order
 * given, 'h' is --help); then how many arguments follow the artifact, and
 * the stub/inspect call that does the work. */
struct opts {
	const char *cmd, *shorts;
	const struct option *longs;
	const char *flags;
	const char *help;
	int nargs;              /* APP and what follows it; -n: at least n */
	const char *nargs_msg;  /* the usage error when their count is wrong */
	int (*run)(const struct fp_inspect *in, unsigned seen, char **rest);
};

/* Returns -1 to go on with the flags in *seen, else the exit status (help
 * shown, or a usage error). */
static int
parse(int argc, char **argv, const struct opts *o, unsigned *seen)
{
	const char *at;
	int c;

	optind = 0;
	opterr = 0;
	*seen = 0;
	while ((c = getopt_long(argc, argv, o->shorts, o->longs, NULL)) != -1) {
		if (c == 'h') {
			fputs(o->help, stdout);
			return 0;
		}
		if (c == '?' || c == ':' || (at = strchr(o->flags, c)) == NULL)
			return usage_getopt(o->cmd, c, argv);
		*seen |= 1u << (at - o->flags);
	}
	return -1;
}

/* Parses the options, opens the artifact and hands it to o->run. */
static int
run_read(int argc, char **argv, const struct opts *o)
{
	struct fp_reader r;
	struct fp_inspect in = { &r, NULL, prog, NULL };
	unsigned seen;
	int rc;

	if ((rc = parse(argc, argv, o, &seen)) >= 0)
		return rc;
	if (o->nargs >= 0 ? argc - optind != o->nargs : argc - optind < -o->nargs)
		return usage_error(o->cmd, "%s", o->nargs_msg);
	in.file = argv[optind];
	if (fp_inspect_open(prog, in.file, &r) < 0)
		return 1;
	rc = o->run(&in, seen, argv + optind + 1);
	fp_inspect_close(&r);
	return rc;
}

/* --- fatpack ls ---------------------------------------------------------- */

static int
run_list(const struct fp_inspect *in, unsigned seen, char **rest)
{
	(void)rest;
	return fp_inspect_list(in, seen != 0);
}

int
cmd_ls(int argc, char **argv)
{
	static const struct opts o = { "ls", "lh", help_only, "l",
	    "usage: fatpack ls [-l] APP\n\n"
	    "Lists the entries of an artifact in path order, folders with a\n"
	    "trailing '/'. `APP --fatpack-list [-l]` prints the same.\n\n"
	    "  -l   long form: mode, size, mtime (UTC), MIME type, path\n" ,
	    1, "takes one APP", run_list };

	return run_read(argc, argv, &o);
}

/* --- fatpack cat --------------------------------------------------------- */

/* Index form of a path typed by a user: no leading or trailing '/'. */
static void
index_path(const char *s, const char **p, size_t *len)
{
	while (*s == '/')
		s++;
	*len = strlen(s);
	while (*len > 0 && s[*len - 1] == '/')
		(*len)--;
	*p = s;
}

/* Writes one asset to stdout; nothing of it if it fails its checks. */
static int
cat_one(const char *app, const struct fp_reader *r, const char *arg)
{
	const char *p;
	size_t len, size;
	long i;
	void *data;
	int rc;

	index_path(arg, &p, &len);
	if ((i = fp_reader_find(r, p, len)) < 0) {
		fp_msg(prog, "%s: no asset '%s'", app, arg);
		return -1;
	}
	if ((rc = fp_reader_decode(r, (size_t)i, &data, &size)) != 0) {
		fp_msg(prog, "%s: %.*s: %s", app, (int)len, p, fp_strerror(rc));
		return -1;
	}
	rc = write_all(STDOUT_FILENO, data, size);
	free(data);
	if (rc < 0) {
		warn("writing to stdout");
		return -1;
	}
	return 0;
}

static int
run_cat(const struct fp_inspect *in, unsigned seen, char **rest)
{
	int rc = 0;

	(void)seen;
	for (; *rest != NULL; rest++)
		if (cat_one(in->file, in->r, *rest) < 0)
			rc = 1;
	return rc;
}

int
cmd_cat(int argc, char **argv)
{
	static const struct opts o = { "cat", "h", help_only, "",
	    "usage: fatpack cat APP PATH...\n\n"
	    "Writes the decoded content of each asset to stdout, after checking\n"
	    "its zstd checksum and its SHA-256 against the index.\n",
	    -2, "takes APP and one or more PATHs", run_cat };

	return run_read(argc, argv, &o);
}

/* --- fatpack extract ----------------------------------------------------- */

static int
run_extract(const struct fp_inspect *in, unsigned seen, char **rest)
{
	return fp_inspect_extract(in, rest[0], seen);
}

int
cmd_extract(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	/* the bits of "fv" are those of FP_EXTRACT_FORCE and _VERBOSE */
	static const struct opts o = { "extract", "fvh", longs, "fv",
	    "usage: fatpack extract [-f] [-v] APP DIR\n\n"
	    "Extracts the assets into DIR (created if missing) after every check\n"
	    "of `fatpack verify` and a search for conflicts: when one fails,\n"
	    "nothing is written. Links are neither followed nor created, and\n"
	    "nothing is written outside DIR. `APP --fatpack-extract [-f] [-v] DIR`\n"
	    "does the same.\n\n"
	    "  -f, --force     replace existing files and links (never folders)\n"
	    "  -v, --verbose   list each entry as it is extracted\n" ,
	    2, "takes APP and DIR", run_extract };

	return run_read(argc, argv, &o);
}

/* --- fatpack info -------------------------------------------------------- */

static int
run_info(const struct fp_inspect *in, unsigned seen, char **rest)
{
	(void)rest;
	return fp_inspect_info(in, seen != 0);
}

int
cmd_info(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	/* 'j' is --json's value only: there is no -j */
	static const struct opts o = { "info", "h", longs, "j",
	    "usage: fatpack info [--json] APP\n\n"
	    "Shows the format version, payload location and sizes, and every\n"
	    "build metadata key (name, version, revision, build time, ...).\n"
	    "`APP --fatpack-info [--json]` prints the same.\n\n"
	    "  --json   one JSON object instead\n" ,
	    1, "takes one APP", run_info };

	return run_read(argc, argv, &o);
}

/* --- fatpack verify ------------------------------------------------------ */

static const char verify_help[] =
    "usage: fatpack verify [--key PUB] APP\n\n"
    "Checks everything without running the program: trailer and index\n"
    "checksums, every content frame (zstd checksum, size, SHA-256), the\n"
    "payload SHA-256, asset_count, that the program holds the fatpack\n"
    "runtime, that the tar stream agrees with the index, entry by entry,\n"
    "and the signature: with --key, that PUB signed the artifact; without,\n"
    "by the key the artifact embeds (--require-signature), if any.\n"
    "`APP --fatpack-verify` runs the same checks.\n\n"
    "  -k, --key PUB   the signer's public key (minisign's format,\n"
    "                  fatpack keygen)\n";

int
cmd_verify(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "key",  required_argument, NULL, 'k' },
		{ "help", no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fp_pubkey key;
	struct fp_reader r;
	struct fp_inspect in = { &r, NULL, prog, NULL };
	const char *keyfile = NULL;
	int c, rc;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "k:h", longs, NULL)) != -1) {
		if (c == 'h') {
			fputs(verify_help, stdout);
			return 0;
		}
		if (c != 'k')
			return usage_getopt("verify", c, argv);
		keyfile = optarg;
	}
	if (argc - optind != 1)
		return usage_error("verify", "takes one APP");
	if (keyfile != NULL && sign_pubkey_load(keyfile, &key) < 0)
		return 1;
	in.key = keyfile != NULL ? &key : NULL;
	in.file = argv[optind];
	if (fp_inspect_open(prog, in.file, &r) < 0)
		return 1;
	rc = fp_inspect_verify(&in);
	fp_inspect_close(&r);
	return rc;
}
