/*
 * entry.c - what runs before the program's main().
 *
 * `fatpack cc` links with -Wl,--wrap=main, so the C library's start code calls
 * __wrap_main, which loads the payload and then either answers a --fatpack-*
 * flag given as the first argument (and exits) or calls the program's main.
 * A constructor could not do this: musl passes no argv to constructors.
 * The flags are the bundler's read commands run on this file: the work is
 * stub/inspect/'s, the same code as `fatpack ls`, `info`, `verify`, `extract`.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/check.h"
#include "format/format.h"
#include "inspect/inspect.h"
#include "runtime.h"

int __real_main(int argc, char **argv);
/* defined by a program that enters its jail itself (FATPACK_JAIL_SELF) */
extern const int fatpack_jail_self __attribute__((weak));
/* linked in by --require-signature builds only (require.c) */
int fp_require_signature(const char *prog) __attribute__((weak));
int __wrap_main(int argc, char **argv);

/* The runtime marker (docs/FORMAT.md section 5): `fatpack build` looks for it,
 * and a reader uses it to tell "payload lost" from "not a fat binary". */
__attribute__((used, section(FP_RUNTIME_SECTION)))
static const char fp_marker[] = FP_RUNTIME_MARK;

#define FLAG_PREFIX "--fatpack-"

/* What the flag asked for, once its arguments are parsed. */
struct request {
	const char *flag;     /* after the prefix: "list", "info", ... */
	const char *dir;      /* extract, install, rollback, releases, unit */
	int opt;              /* list -l, info --json, unit --socket */
	unsigned flags;       /* extract: FP_EXTRACT_* */
	const char *url;      /* health */
	int timeout;          /* health: seconds */
	long keep;            /* install: releases to keep, 0 no pruning */
};

#define HEALTH_TIMEOUT 5      /* seconds, when --timeout is not given */

static int
usage_error(const char *prog, const char *what, const char *arg)
{
	fprintf(stderr, "%s: %s %s (see %shelp)\n", prog, what, arg,
	    FLAG_PREFIX);
	return 2;
}

static int
cmd_help(void)
{
	printf("Flags answered by this fat binary (as its first argument):\n"
	    "  " FLAG_PREFIX "info [--json]              build and payload "
	    "information\n"
	    "  " FLAG_PREFIX "list [-l]                  the assets, one path "
	    "per line\n"
	    "  " FLAG_PREFIX "extract [-f] [-v] DIR      write the assets under "
	    "DIR\n"
	    "  " FLAG_PREFIX "verify                     check every checksum, "
	    "the tar stream\n"
	    "                                       and the signature\n"
	    "  " FLAG_PREFIX "offset                     the payload's offset "
	    "in this file\n"
	    "  " FLAG_PREFIX "health [--timeout S] [URL] one HTTP GET: exit 0 "
	    "on 2xx/3xx\n"
	    "  " FLAG_PREFIX "install DIR [--keep N]     copy this file to "
	    "DIR/releases/, point\n"
	    "                                       DIR/current at it, keep the "
	    "N newest\n"
	    "  " FLAG_PREFIX "rollback DIR               point DIR/current at "
	    "the release before\n"
	    "  " FLAG_PREFIX "releases DIR               the releases in DIR, "
	    "newest first\n"
	    "  " FLAG_PREFIX "unit [--socket] [DIR]      a systemd service "
	    "(or socket) unit\n"
	    "  " FLAG_PREFIX "jail [PID]                 the jail policy, and what "
	    "the kernel\n"
	    "                                     shows of process PID's "
	    "confinement\n"
	    "  " FLAG_PREFIX "help                       this list\n");
	return 0;
}

/* extract's short options, alone or together as getopt takes them in
 * `fatpack extract` ("-f", "-v", "-fv"): 0 when a is one, else -1. */
static int
extract_shorts(const char *a, struct request *q)
{
	unsigned flags = 0;
	size_t i;

	if (a[1] == '\0' || a[1] == '-')
		return -1;
	for (i = 1; a[i] != '\0'; i++) {
		if (a[i] == 'f')
			flags |= FP_EXTRACT_FORCE;
		else if (a[i] == 'v')
			flags |= FP_EXTRACT_VERBOSE;
		else
			return -1;
	}
	q->flags |= flags;
	return 0;
}

/* One option (a starts with '-') of the flag q->flag, as the bundler's
 * command takes it: 0 when taken, -1 when unknown or given twice. */
static int
option(struct request *q, const char *a, int *ended)
{
	if (strcmp(q->flag, "list") == 0 || strcmp(q->flag, "info") == 0) {
		if (q->opt || strcmp(a, strcmp(q->flag, "list") == 0 ?
		    "-l" : "--json") != 0)
			return -1;
		q->opt = 1;
		return 0;
	}
	if (strcmp(q->flag, "extract") != 0)
		return -1;
	if (strcmp(a, "--") == 0)
		*ended = 1;
	else if (strcmp(a, "--force") == 0)
		q->flags |= FP_EXTRACT_FORCE;
	else if (strcmp(a, "--verbose") == 0)
		q->flags |= FP_EXTRACT_VERBOSE;
	else
		return extract_shorts(a, q);
	return 0;
}

/* health's --timeout SECONDS (1..3600) and optional URL. */
static int
health_args(const char *prog, int argc, char **argv, struct request *q)
{
	int i;

	q->timeout = HEALTH_TIMEOUT;
	for (i = 2; i < argc; i++) {
		const char *a = argv[i];
		char *end;
		long n;

		if (strcmp(a, "--timeout") == 0) {
			if (++i == argc)
				return usage_error(prog, "missing seconds after",
				    a);
			n = strtol(argv[i], &end, 10);
			if (*argv[i] < '0' || *argv[i] > '9' || *end != '\0' ||
			    n < 1 || n > 3600)
				return usage_error(prog, "--timeout takes 1..3600 "
				    "seconds, not", argv[i]);
			q->timeout = (int)n;
		} else if (a[0] == '-' || q->url != NULL) {
			return usage_error(prog, a[0] == '-' ? "unknown option" :
			    "unexpected argument", a);
		} else {
			q->url = a;
		}
	}
	return 0;
}

/* --keep's count: 1 or more (current is always kept, so 0 would not mean
 * what it says); -1 when s is not one. */
static long
parse_keep(const char *s)
{
	char *end;
	long n;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtol(s, &end, 10);
	return errno != 0 || *end != '\0' || n < 1 ? -1 : n;
}

/* install DIR [--keep N]; rollback DIR; releases DIR; unit [--socket]
 * [DIR]. */
static int
deploy_args(const char *prog, int argc, char **argv, struct request *q)
{
	int unit = strcmp(q->flag, "unit") == 0, i;

	for (i = 2; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(q->flag, "install") == 0 && strcmp(a, "--keep") == 0) {
			if (++i == argc)
				return usage_error(prog, "missing count after", a);
			if ((q->keep = parse_keep(argv[i])) < 0)
				return usage_error(prog, "--keep takes a count of "
				    "1 or more, not", argv[i]);
		} else if (unit && !q->opt && strcmp(a, "--socket") == 0) {
			q->opt = 1;
		} else if (a[0] == '-' || q->dir != NULL) {
			return usage_error(prog, a[0] == '-' ? "unknown option" :
			    "unexpected argument", a);
		} else {
			q->dir = a;
		}
	}
	if (!unit && q->dir == NULL)
		return usage_error(prog, "missing folder after", argv[1]);
	return 0;
}

/* jail [PID]: a process number, digits only (it names a /proc folder). */
static int
jail_args(const char *prog, int argc, char **argv, struct request *q)
{
	if (argc > 3)
		return usage_error(prog, "unexpected argument", argv[3]);
	if (argc == 3 && (argv[2][0] == '\0' ||
	    strspn(argv[2], "0123456789") != strlen(argv[2]) || strlen(argv[2]) > 10))
		return usage_error(prog, "not a process number:", argv[2]);
	q->dir = argc == 3 ? argv[2] : NULL;
	return 0;
}

static int
is_deploy(const char *flag)
{
	return strcmp(flag, "install") == 0 || strcmp(flag, "rollback") == 0 ||
	    strcmp(flag, "releases") == 0 || strcmp(flag, "unit") == 0;
}

/* Options after the flag; extract also takes its folder, after "--" when
 * its name starts with '-'. */
static int
parse_args(const char *prog, int argc, char **argv, struct request *q)
{
	int extract = strcmp(q->flag, "extract") == 0, ended = 0, i;

	if (strcmp(q->flag, "health") == 0)
		return health_args(prog, argc, argv, q);
	if (is_deploy(q->flag))
		return deploy_args(prog, argc, argv, q);
	if (strcmp(q->flag, "jail") == 0)
		return jail_args(prog, argc, argv, q);
	for (i = 2; i < argc; i++) {
		const char *a = argv[i];

		if (!ended && a[0] == '-') {
			if (option(q, a, &ended) != 0)
				return usage_error(prog, "unknown option", a);
		} else if (extract && q->dir == NULL) {
			q->dir = a;
		} else {
			return usage_error(prog, "unexpected argument", a);
		}
	}
	if (extract && q->dir == NULL)
		return usage_error(prog, "missing folder after", argv[1]);
	return 0;
}

static int
known(const char *flag)
{
	static const char *const flags[] = { "info", "list", "extract",
	    "verify", "offset", "health", "install", "rollback", "releases",
	    "unit", "jail" };
	size_t i;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (strcmp(flag, flags[i]) == 0)
			return 1;
	return 0;
}

static int
answer(const struct fp_inspect *in, const struct request *q)
{
	if (strcmp(q->flag, "info") == 0)
		return fp_inspect_info(in, q->opt);
	if (strcmp(q->flag, "list") == 0)
		return fp_inspect_list(in, q->opt);
	if (strcmp(q->flag, "extract") == 0)
		return fp_inspect_extract(in, q->dir, q->flags);
	if (strcmp(q->flag, "verify") == 0)
		return fp_inspect_verify(in);
	if (strcmp(q->flag, "health") == 0)
		return fp_health(in->prog, q->url, q->timeout);
	if (strcmp(q->flag, "install") == 0)
		return fp_install(in->prog, in->r, q->dir, q->keep);
	if (strcmp(q->flag, "rollback") == 0)
		return fp_rollback(in->prog, q->dir);
	if (strcmp(q->flag, "releases") == 0)
		return fp_list_releases(in->prog, q->dir);
	if (strcmp(q->flag, "unit") == 0)
		return fp_unit(in->prog, in->r, q->dir, q->opt);
	if (strcmp(q->flag, "jail") == 0)
		return fp_jail_show(in->prog, q->dir);
	printf("%" PRIu64 "\n", in->r->payload_offset);
	return 0;
}

static int
run_flag(const char *prog, int argc, char **argv)
{
	struct request q = { argv[1] + strlen(FLAG_PREFIX), NULL, 0, 0, NULL,
	    0, 0 };
	struct fp_inspect in = { NULL, prog, prog, NULL };
	struct fp_reader full;
	char detail[256];
	int fd, rc;

	if (strcmp(q.flag, "help") == 0)
		return argc > 2 ? usage_error(prog, "unexpected argument",
		    argv[2]) : cmd_help();
	if (!known(q.flag))
		return usage_error(prog, "unknown option", argv[1]);
	if ((rc = parse_args(prog, argc, argv, &q)) != 0)
		return rc;
	/* The flags read the whole file as `fatpack X APP` does: a full open
	 * (the runtime's own is lazy), with the same first refusal. */
	if ((fd = fp_runtime_open_self()) < 0) {
		fp_msg(prog, "%s: cannot open the executable: %s", prog,
		    strerror(errno));
		return 1;
	}
	if ((rc = fp_reader_open(&full, fd, detail, sizeof(detail))) != 0) {
		fp_msg(prog, "%s: %s", prog,
		    detail[0] != '\0' ? detail : fp_strerror(rc));
		close(fd);
		return 1;
	}
	in.r = &full;
	rc = answer(&in, &q);
	fp_reader_close(&full);
	close(fd);
	return rc;
}

int
__wrap_main(int argc, char **argv)
{
	const char *prog;
	int rc;

	/* a use the linker sees, so --gc-sections keeps the marker section */
	__asm__ volatile("" : : "r"(fp_marker));
	fp_runtime_init(NULL, 0);
	prog = argv[0] != NULL && argv[0][0] != '\0' ? argv[0] : "fatpack";
	if (argc < 2 || strncmp(argv[1], FLAG_PREFIX, strlen(FLAG_PREFIX)) != 0) {
		if (fp_require_signature != NULL &&
		    fp_require_signature(prog) != 0)
			return 1;
		if (&fatpack_jail_self == NULL && fatpack_jail() != 0)
			return 1;
		return __real_main(argc, argv);
	}
	rc = run_flag(prog, argc, argv);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: writing output: %s\n", prog, strerror(errno));
		return 1;
	}
	return rc;
}
