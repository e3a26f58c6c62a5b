/*
 * main.c - `fatpack COMMAND [ARGS]`: dispatch to the subcommands.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "util.h"
#include "format/format.h"

#ifndef FATPACK_VERSION
#error "FATPACK_VERSION must be defined by the build"
#endif

struct command {
	const char *name;
	int (*run)(int, char **);
	const char *summary;
};

static const struct command commands[] = {
	{ "build",   cmd_build,   "compile a program and append its assets" },
	{ "cc",      cmd_cc,      "compiler driver: musl, static, with the runtime" },
	{ "ls",      cmd_ls,      "list the assets of an artifact" },
	{ "cat",     cmd_cat,     "write assets of an artifact to stdout" },
	{ "extract", cmd_extract, "extract the assets of an artifact to a folder" },
	{ "info",    cmd_info,    "show an artifact's metadata and sizes" },
	{ "verify",  cmd_verify,  "check every checksum of an artifact" },
	{ "prune",   cmd_prune,   "remove old artifacts from a releases folder" },
	{ "init",    cmd_init,    "write a commented fatpack.ini" },
	{ "oci",     cmd_oci,     "write an OCI image of an artifact" },
	{ "keygen",  cmd_keygen,  "make a key pair for signing artifacts" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *
find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void
usage(FILE *f)
{
	fputs("usage: fatpack COMMAND [ARGS]\n"
	    "\n"
	    "One static executable from a C program and its assets.\n"
	    "\n"
	    "Commands:\n", f);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fputs("\n"
	    "Options:\n"
	    "  -h, --help     show this help\n"
	    "  -V, --version  show the version of fatpack and of its format\n"
	    "\n"
	    "`fatpack help COMMAND` or `fatpack COMMAND --help` shows a command's options.\n",
	    f);
}

static int
version(void)
{
	printf("fatpack %s\n", FATPACK_VERSION);
	printf("format %d.%d\n", FP_VERSION_MAJOR, FP_VERSION_MINOR);
#ifdef FATPACK_SAN_TOOLCHAIN
	puts("toolchain: sanitizer build (dynamic)");
#else
	puts("toolchain: musl static");
#endif
	return 0;
}

/* `fatpack help [COMMAND]`: the overview, or the command's own --help. */
static int
help(int argc, char **argv)
{
	const struct command *c;
	char *hargv[] = { NULL, "--help", NULL };

	if (argc < 2) {
		usage(stdout);
		return 0;
	}
	c = find_command(argv[1]);
	if (c == NULL) {
		return usage_error(NULL, "unknown command '%s'", argv[1]);
	}
	hargv[0] = argv[1];
	return c->run(2, hargv);
}

int
main(int argc, char **argv)
{
	const struct command *c;
	int rc;

	/* err(3) and warnx(3) prefix messages with this name. */
	program_invocation_name = "fatpack";
	program_invocation_short_name = "fatpack";

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
		return version();
	if (strcmp(argv[1], "help") == 0)
		return help(argc - 1, argv + 1);

	c = find_command(argv[1]);
	if (c == NULL) {
		return usage_error(NULL, "unknown command '%s'", argv[1]);
	}
	rc = c->run(argc - 1, argv + 1);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "fatpack: writing to stdout: %s\n", strerror(errno));
		return 1;
	}
	return rc;
}
