/*
 * build.h - what `fatpack build` is asked to do. Filled from the fatpack file
 * (bundler/config.c) first, then from the command line (bundler/cmd_build.c),
 * so flags override the file.
 */
#ifndef FP_BUILD_H
#define FP_BUILD_H

#include <stddef.h>

struct asset_source {
	char *path;       /* folder, or .tar/.tar.* /.zip archive read with libarchive */
	char *prefix;     /* where it lands in the index ("" for the root) */
	char **exclude;   /* fnmatch(3) patterns matched against the index path */
	size_t n_exclude;
};

struct build_opts {
	/* the program: C sources compiled with the fatpack toolchain, or one
	 * program already linked with `fatpack cc`, or the built-in server */
	char **sources;   size_t n_sources;
	char *program;
	int serve;                      /* --serve: the program is fatpack-serve */
	char **cflags;    size_t n_cflags;   /* extra compiler flags */
	char **libs;      size_t n_libs;     /* extra link arguments (-lm, ...) */
	char **pkgs;      size_t n_pkgs;     /* pkg-config packages of the library prefix */

	struct asset_source *assets;    size_t n_assets;

	/* the machines to build for (`uname -m` names), one artifact each;
	 * none: the host's */
	char **targets;   size_t n_targets;

	char *output;       /* path or pattern: {name} {version} {build} {arch} */
	char *link;         /* stable symlink to the newest output, or NULL:
	                     * {name} {arch} */
	char *name;
	char *version;
	char *revision;     /* source revision; NULL: ask git */
	int level;          /* zstd level, 1..19; default 3 */
	int jobs;           /* compression threads; 0 = one per core */
	int no_dictionary;  /* --no-dictionary: plain zstd reads the payload */
	int strip;          /* strip the program before appending (default 1) */
	int allow_dynamic;  /* accept a dynamically linked program (tests, sanitizers) */

	/* where the assets appear as files (FP_MOUNT_DEFAULT when NULL; "none":
	 * nowhere), and whether FATPACK_ASSETS may override them ("on"/"off") */
	char *mount;
	char *override;

	/* the jail policy (docs/CONFIG.md); NULL: "on" with --serve, else
	 * none */
	char *jail;

	/* the secret key to sign with (a file, or env:NAME), or NULL; and
	 * whether the artifact embeds its public key and checks its
	 * signature before main (docs/SIGNING.md) */
	char *sign;
	int require_signature;

	/* built-in server settings (stored as serve.* metadata) */
	char *listen;
	char *spa_fallback;
	char *cache_control;
	char *identity_cache;

	/* for the checks that need every setting: the fatpack file read (NULL:
	 * none), and its lines that set output and spa_fallback (0: not there,
	 * or overridden on the command line) */
	const char *file;
	int output_line, spa_fallback_line;

	int quiet, verbose;
};

void build_opts_init(struct build_opts *o);

/* The mount setting (--mount, mount =): "none", or a mount path as
 * fp_check_mount takes it. NULL when fine, else why not. */
const char *build_check_mount(const char *v);

/* Adds arch to a list of targets: NULL when fine, else why not (not a
 * machine fatpack builds for, or given twice). */
const char *build_add_target(char ***v, size_t *n, const char *arch);

#endif
