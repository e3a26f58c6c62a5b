/*
 * prune.c - `fatpack prune DIR --older-than DURATION [--keep N]`: remove old
 * releases from a releases folder, by mtime, as `find -mtime` would see it.
 *
 * The options are this file's; the rules (what is a release, what is never
 * removed, the lock) are stub/deploy/'s, which every artifact's
 * `--fatpack-install --keep N` calls as well.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deploy/deploy.h"
#include "commands.h"
#include "util.h"

static const char usage_text[] =
    "usage: fatpack prune DIR --older-than DURATION [--keep N] [--pattern GLOB]\n"
    "                     [--dry-run] [--quiet]\n"
    "\n"
    "Removes fat binaries in DIR whose mtime is older than DURATION (90s, 15m,\n"
    "12h, 14d, 2w), except the N newest, the target of any symlink in DIR\n"
    "or its parent (such as `current`) and any file a running process executes.\n"
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
parse_args(int argc, char **argv, struct fp_prune *p)
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
	p->prog = "fatpack";
	p->keep = 1;
	p->names.pattern = "*";
	p->names.match = fnmatch;
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
			p->names.pattern = optarg;
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

int
cmd_prune(int argc, char **argv)
{
	struct fp_prune p;
	int dfd, rc;

	rc = parse_args(argc, argv, &p);
	if (rc >= 0)
		return rc;
	dfd = open(p.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		warn("%s", p.dir);
		return 1;
	}
	if (fp_deploy_lock(p.prog, dfd, p.dir, p.quiet) < 0) {
		close(dfd);
		return 1;
	}
	rc = fp_prune(dfd, &p);
	close(dfd);     /* releases the lock */
	return rc;
}
