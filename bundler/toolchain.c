/*
 * toolchain.c - where the runtime lives, and the compiler driver behind
 * `fatpack cc` and `fatpack build`.
 */
#include <elf.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "format/reader.h"
#include "libcheck.h"
#include "libprefix.h"
#include "runtime/wraps.h"
#include "toolchain.h"
#include "util.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/*
 * -z noseparate-code: the ELF headers and read-only data share the code's
 * segment, without the two page pads around it (8 KB on x86_64; the cost:
 * those bytes are mapped executable too, as before binutils 2.31).
 * docs/BENCH.md, "Size of a fat binary".
 */
static const char *const static_link_flags[] = { "-static", "-Wl,--wrap=main",
	"-Wl,--gc-sections", "-Wl,-z,noseparate-code" };
/* aarch64's linker starts the RELRO part of the data on a 64 KB page of the
 * file (24 KB of every fat binary), for a PT_GNU_RELRO that a static musl
 * program never applies (only musl's dynamic linker does). On x86_64,
 * -z norelro would cost a page pad instead. */
static const char *const aarch64_link_flags[] = { "-Wl,-z,norelro" };
#ifdef FATPACK_SAN_TOOLCHAIN
#define DEFAULT_CC "clang -fsanitize=address,undefined -fno-sanitize-recover=all " \
	"-fno-omit-frame-pointer -g"
/* The sanitizer runtime needs a dynamic glibc program; libzstd is the system's. */
static const char *const host_link_flags[] = { "-Wl,--wrap=main" };
#else
#define DEFAULT_CC "musl-gcc"
#define host_link_flags static_link_flags
#endif
static const char *const link_libs[] = { "-lfatpack", "-lzstd", "-pthread" };
/* --require-signature: the runtime's check before main (stub/runtime/
 * require.c), pulled out of libfatpack.a, and libsodium for it */
static const char *const sign_link[] = { "-Wl,-u,fp_require_signature",
	"-lfatpack", "-lsodium" };

#if defined(__x86_64__)
#define HOST_MACHINE EM_X86_64
#define CROSS_MACHINE EM_AARCH64
#elif defined(__aarch64__)
#define HOST_MACHINE EM_AARCH64
#define CROSS_MACHINE EM_X86_64
#else
#error "fatpack runs on x86_64 or aarch64: add the host to targets[]"
#endif

/*
 * The machines fatpack builds for, by ELF machine number. The host's is the
 * native target: its runtime is in lib/fatpack/, its compiler musl-gcc (or
 * FATPACK_CC, or the sanitizer toolchain). The other is a cross target: its
 * runtime, and a musl built for it, are in lib/fatpack/ARCH/ (make aarch64,
 * scripts/setup.sh --target aarch64); its compiler is Debian's
 * ARCH-linux-gnu-gcc with that musl's specs, and it is always static.
 */
static const unsigned targets[] = { HOST_MACHINE, CROSS_MACHINE };
#define N_TARGETS NELEM(targets)

static size_t target;    /* index into targets[]: 0 is the host's */
static int require_signature;

static int
is_native(void)
{
	return target == 0;
}

/* The index of arch in targets[] (NULL: the host's), or -1. */
static int
find_target(const char *arch)
{
	if (arch == NULL)
		return 0;
	for (size_t i = 0; i < N_TARGETS; i++)
		if (strcmp(arch, fp_machine_name(targets[i])) == 0)
			return (int)i;
	return -1;
}

int
toolchain_has_target(const char *arch)
{
	return find_target(arch) >= 0;
}

int
toolchain_set_target(const char *arch)
{
	int i = find_target(arch);

	if (i < 0)
		return -1;
	target = (size_t)i;
	return 0;
}

const char *
toolchain_targets(void)
{
	return "x86_64 or aarch64";
}

unsigned
toolchain_machine(void)
{
	return targets[target];
}

const char *
toolchain_target(void)
{
	return fp_machine_name(targets[target]);
}

/* Cut path at its last '/' (a path with none becomes "."). */
static void
strip_last(char *path)
{
	char *slash = strrchr(path, '/');

	if (slash == NULL)
		strcpy(path, ".");
	else if (slash == path)
		path[1] = '\0';
	else
		*slash = '\0';
}

/* The install prefix: FATPACK_HOME, or the folder above the one holding
 * the fatpack executable (build/ mirrors an installed tree). Not the library
 * prefix (libprefix.c). */
static const char *
home(void)
{
	static char *cached;
	const char *home = getenv("FATPACK_HOME");
	char *exe;

	if (cached != NULL)
		return cached;
	if (home != NULL && *home != '\0')
		return cached = xstrdup(home);
	exe = realpath("/proc/self/exe", NULL);
	if (exe == NULL) {
		warn("cannot find the fatpack executable (/proc/self/exe); "
		    "set FATPACK_HOME to the install prefix");
		return NULL;
	}
	strip_last(exe);   /* .../bin/fatpack -> .../bin */
	strip_last(exe);   /* .../bin -> ... */
	return cached = exe;
}

/* The runtime's folder for the target: lib/fatpack, or lib/fatpack/ARCH
 * for a cross target. */
const char *
toolchain_libdir(void)
{
	static char *cached[N_TARGETS];
	const char *pre, *arch = toolchain_target();
	char *dir, *lib;

	if (cached[target] != NULL)
		return cached[target];
	if ((pre = home()) == NULL)
		return NULL;
	dir = xasprintf("%s/lib/fatpack%s%s", strcmp(pre, "/") ? pre : "",
	    is_native() ? "" : "/", is_native() ? "" : arch);
	lib = xasprintf("%s/libfatpack.a", dir);
	if (access(lib, R_OK) == 0) {
		free(lib);
		return cached[target] = dir;
	}
	if (is_native())
		warnx("runtime not found in %s (set FATPACK_HOME to the install prefix)",
		    dir);
	else
		warnx("runtime for %s not found in %s: build it in fatpack's "
		    "source with `make %s` (then make install), or set "
		    "FATPACK_HOME to the install prefix", arch, dir, arch);
	free(lib);
	free(dir);
	return NULL;
}

const char *
toolchain_includedir(void)
{
	static char *cached;
	const char *pre;
	char *dir, *h;

	if (cached != NULL)
		return cached;
	if ((pre = home()) == NULL)
		return NULL;
	dir = xasprintf("%s/include", strcmp(pre, "/") ? pre : "");
	h = xasprintf("%s/fatpack.h", dir);
	if (access(h, R_OK) < 0) {
		warnx("fatpack.h not found in %s (set FATPACK_HOME to the install prefix)",
		    dir);
		free(h);
		free(dir);
		return NULL;
	}
	free(h);
	return cached = dir;
}

const char *
toolchain_serve_program(void)
{
	static char *cached[N_TARGETS];
	const char *lib;
	char *path;

	if (cached[target] != NULL)
		return cached[target];
	if ((lib = toolchain_libdir()) == NULL)
		return NULL;
	path = xasprintf("%s/fatpack-serve", lib);
	if (access(path, X_OK) < 0) {
		warnx("built-in server not found: %s (set FATPACK_HOME to the install prefix)",
		    path);
		free(path);
		return NULL;
	}
	return cached[target] = path;
}

int
toolchain_is_dynamic(void)
{
#ifdef FATPACK_SAN_TOOLCHAIN
	return is_native();
#else
	return 0;
#endif
}

/* A growing NULL-terminated argument vector. */
struct argv {
	char **v;
	size_t n, cap;
};

static void
argv_add(struct argv *a, const char *s)
{
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 32;
		a->v = xrealloc(a->v, a->cap * sizeof(*a->v));
	}
	a->v[a->n++] = xstrdup(s);
	a->v[a->n] = NULL;
}

static void
argv_free(struct argv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
}

/* The GNU triplet of a cross target's Debian tools: aarch64-linux-gnu. */
static const char *
cross_triplet(void)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "%s-linux-gnu", toolchain_target());
	return buf;
}

/* The cross compiler: Debian's gcc for the target, made a musl-gcc by the
 * specs of the musl beside the target's runtime. */
static int
add_cross_compiler(struct argv *a)
{
	const char *lib = toolchain_libdir();
	char *cc, *specs;

	if (lib == NULL)
		return -1;
	cc = xasprintf("%s-gcc", cross_triplet());
	specs = xasprintf("%s/musl/lib/musl-gcc.specs", lib);
	argv_add(a, cc);
	argv_add(a, "-specs");
	argv_add(a, specs);
	free(specs);
	free(cc);
	return 0;
}

/* The compiler command, FATPACK_CC split on whitespace ("clang -g" is fine).
 * FATPACK_CC is the native target's compiler. */
static int
add_compiler(struct argv *a)
{
	const char *cc = getenv("FATPACK_CC");
	char *copy, *word, *save;
	size_t before = a->n;

	if (!is_native())
		return add_cross_compiler(a);
	if (cc == NULL || strspn(cc, " \t\n") == strlen(cc))
		cc = DEFAULT_CC;
	copy = xstrdup(cc);
	for (word = strtok_r(copy, " \t\n", &save); word != NULL;
	    word = strtok_r(NULL, " \t\n", &save))
		argv_add(a, word);
	free(copy);
	if (a->n > before)
		return 0;
	warnx("FATPACK_CC names no compiler");
	return -1;
}

/* musl-gcc does not search /usr/include (glibc's headers): an install into
 * /usr adds its folder after musl's, so only fatpack.h comes from there. */
static void
add_include(struct argv *a, const char *inc)
{
	if (strcmp(inc, "/usr/include") == 0) {
		argv_add(a, "-idirafter");
		argv_add(a, inc);
	} else {
		char *opt = xasprintf("-I%s", inc);

		argv_add(a, opt);
		free(opt);
	}
}

/* Whether the compiler would link with these arguments: not when it is told
 * to stop early (-c -S -E, -M/-MM imply -E) or only asked about itself. */
static int
is_link(char *const *args, size_t nargs)
{
	static const char *const stop[] = { "-c", "-S", "-E", "-M", "-MM",
	    "-fsyntax-only", "--version", "-dumpversion", "-dumpmachine",
	    "-dumpspecs", "--help" };

	if (nargs == 1 && strcmp(args[0], "-v") == 0)
		return 0;
	for (size_t i = 0; i < nargs; i++) {
		if (strncmp(args[i], "-print-", 7) == 0 ||
		    strncmp(args[i], "--print-", 8) == 0)
			return 0;
		for (size_t j = 0; j < NELEM(stop); j++)
			if (strcmp(args[i], stop[j]) == 0)
				return 0;
	}
	return 1;
}

/* fatpack builds programs: a shared library could not hold the runtime's
 * start-up nor be loaded by a static program. */
static int
refuse_shared(char *const *args, size_t nargs)
{
	for (size_t i = 0; i < nargs; i++) {
		if (strcmp(args[i], "-shared") != 0)
			continue;
		warnx("cc -shared: fatpack links static programs only; build "
		    "libraries static (configure --disable-shared, cmake "
		    "-DBUILD_SHARED_LIBS=OFF, meson -Ddefault_library=static)");
		return -1;
	}
	return 0;
}

/* FLAG followed by the library prefix's folder sub (-I.../include,
 * -L.../lib). They go after the arguments, so that a project's own -I and
 * -L folders come first. */
static void
add_libprefix(struct argv *a, const char *flag, const char *pre,
    const char *sub)
{
	char *opt = xasprintf("%s%s/%s", flag, pre, sub);

	argv_add(a, opt);
	free(opt);
}

/* The mount's calls (stub/runtime/wraps.h), as linker flags. */
#define WRAP_FLAG(name) "-Wl,--wrap=" #name,
static const char *const wrap_flags[] = { FP_WRAPS(WRAP_FLAG) };
/* glibc's large-file names: for the sanitizer toolchain's programs, the
 * only ones built for glibc (a cross target's are musl's) */
static const char *const glibc_wrap_flags[] = { FP_WRAPS_GLIBC(WRAP_FLAG) };

static void
add_link(struct argv *a, const char *libdir)
{
	char *opt = xasprintf("-L%s", libdir);

	if (is_native())
		for (size_t i = 0; i < NELEM(host_link_flags); i++)
			argv_add(a, host_link_flags[i]);
	else
		for (size_t i = 0; i < NELEM(static_link_flags); i++)
			argv_add(a, static_link_flags[i]);
	for (size_t i = 0; i < NELEM(wrap_flags); i++)
		argv_add(a, wrap_flags[i]);
	if (toolchain_is_dynamic())
		for (size_t i = 0; i < NELEM(glibc_wrap_flags); i++)
			argv_add(a, glibc_wrap_flags[i]);
	else if (toolchain_machine() == EM_AARCH64)
		for (size_t i = 0; i < NELEM(aarch64_link_flags); i++)
			argv_add(a, aarch64_link_flags[i]);
	argv_add(a, opt);
	free(opt);
	if (require_signature)
		for (size_t i = 0; i < NELEM(sign_link); i++)
			argv_add(a, sign_link[i]);
	for (size_t i = 0; i < NELEM(link_libs); i++)
		argv_add(a, link_libs[i]);
}

int
toolchain_require_signature(void)
{
	if (!is_native()) {
		warnx("--require-signature: builds for %s only (libsodium is "
		    "built for this machine's musl)", fp_machine_name(targets[0]));
		return -1;
	}
	require_signature = 1;
	return 0;
}

#define TEE_MAX (1 << 20)   /* of a compiler's stderr kept for libcheck */

/* Copies what comes from fd to stderr as it comes, and returns its first
 * TEE_MAX bytes as a string. */
static char *
tee_stderr(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = xmalloc(cap), chunk[4096];
	ssize_t r;

	while ((r = read(fd, chunk, sizeof(chunk))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		write_all(STDERR_FILENO, chunk, (size_t)r);
		if (len + (size_t)r >= cap && cap < TEE_MAX)
			buf = xrealloc(buf, cap = cap * 2 + (size_t)r);
		if (len + (size_t)r < cap) {
			memcpy(buf + len, chunk, (size_t)r);
			len += (size_t)r;
		}
	}
	buf[len] = '\0';
	return buf;
}

/* Runs v and waits: its exit status, 128+signal, or 127 if it did not run.
 * With errs, its stderr goes through tee_stderr into *errs. */
static int
spawn(char *const *v, char **errs)
{
	int st, fd[2] = { -1, -1 };
	pid_t pid;

	fflush(NULL);
	if (errs != NULL && pipe2(fd, O_CLOEXEC) < 0)
		errs = NULL;
	pid = fork();
	if (pid < 0) {
		warn("fork");
		return 127;
	}
	if (pid == 0) {
		if (errs != NULL)
			dup2(fd[1], STDERR_FILENO);
		execvp(v[0], v);
		if (errno == ENOENT)
			warnx("%s: command not found", v[0]);
		else
			warn("%s", v[0]);
		_exit(127);
	}
	if (errs != NULL) {
		close(fd[1]);
		*errs = tee_stderr(fd[0]);
		close(fd[0]);
	}
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			warn("waitpid");
			return 127;
		}
	}
	if (WIFSIGNALED(st)) {
		warnx("%s: killed by signal %d", v[0], WTERMSIG(st));
		return 128 + WTERMSIG(st);
	}
	return WEXITSTATUS(st);
}

/* Starts v with its stdout on a pipe and its stderr on /dev/null: the pipe's
 * read end, or -1. */
static int
spawn_reader(char *const *v, pid_t *pid)
{
	int fd[2];

	if (pipe2(fd, O_CLOEXEC) < 0)
		return -1;
	fflush(NULL);
	if ((*pid = fork()) < 0) {
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	if (*pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null < 0 || dup2(fd[1], STDOUT_FILENO) < 0 ||
		    dup2(null, STDERR_FILENO) < 0)
			_exit(127);
		execvp(v[0], v);
		_exit(127);
	}
	close(fd[1]);
	return fd[0];
}

/* Whether the compiler command cc builds against glibc: its headers define
 * __GLIBC__ (musl, on purpose, defines no macro of its own; and musl-gcc's
 * -dumpmachine names gcc's glibc target). -1 when it could not be asked;
 * running it for real then says why. */
static int
uses_glibc(char *const *cc, size_t n)
{
	static const char *const probe[] = { "-E", "-dM", "-include",
	    "stdio.h", "-x", "c", "/dev/null" };
	struct argv a = { 0 };
	char *line = NULL;
	size_t cap = 0;
	int fd, st, found = 0;
	pid_t pid;
	FILE *f;

	for (size_t i = 0; i < n; i++)
		argv_add(&a, cc[i]);
	for (size_t i = 0; i < NELEM(probe); i++)
		argv_add(&a, probe[i]);
	fd = spawn_reader(a.v, &pid);
	argv_free(&a);
	if (fd < 0)
		return -1;
	if ((f = fdopen(fd, "r")) == NULL)
		close(fd);
	while (f != NULL && getline(&line, &cap, f) > 0)
		if (strncmp(line, "#define __GLIBC__ ", 18) == 0)
			found = 1;
	if (f != NULL)
		fclose(f);
	free(line);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? found : -1;
}

/* A program built against glibc with the musl runtime linked in would build
 * and then fail in odd ways: a FATPACK_CC for glibc is refused up front.
 * The sanitizer toolchain is for glibc on purpose. */
static int
check_compiler(const struct argv *cc)
{
	if (!is_native() || toolchain_is_dynamic() || getenv("FATPACK_CC") == NULL ||
	    uses_glibc(cc->v, cc->n) != 1)
		return 0;
	warnx("FATPACK_CC=%s: compiles for glibc (its headers define "
	    "__GLIBC__); fatpack needs a musl compiler such as musl-gcc",
	    getenv("FATPACK_CC"));
	return -1;
}

/* Whether s needs quoting to be one word in a POSIX shell. */
static int
needs_quotes(const char *s)
{
	return *s == '\0' || s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789@%+=:,./_-")] != '\0';
}

/* The command on stderr as a line a shell runs as it is. */
static void
print_command(char *const *v)
{
	for (size_t i = 0; v[i] != NULL; i++) {
		if (i > 0)
			fputc(' ', stderr);
		if (!needs_quotes(v[i])) {
			fputs(v[i], stderr);
			continue;
		}
		fputc('\'', stderr);
		for (const char *p = v[i]; *p != '\0'; p++)
			if (*p == '\'')
				fputs("'\\''", stderr);
			else
				fputc(*p, stderr);
		fputc('\'', stderr);
	}
	fputc('\n', stderr);
}

/* After a failed link: whether an archive or object of the arguments was
 * built for glibc, going by what the linker said was missing (errs); then
 * libcheck.c has said so. (Not asked with the sanitizer toolchain: it is
 * glibc's, so there such a file is no mistake.) */
static int
explain_link(char *const *args, size_t nargs, const char *errs,
    const char *pre)
{
	char *libdir = xasprintf("%s/lib", pre);
	int found = libcheck_glibc(args, nargs, libdir, errs, pre);

	free(libdir);
	return found;
}

/* toolchain_run, and with verbose the command on stderr first. */
static int
run(char *const *args, size_t nargs, int verbose)
{
	struct argv a = { 0 };
	const char *inc, *pre, *lib = NULL;
	int link = is_link(args, nargs), rc;
	char *errs = NULL;

	if (refuse_shared(args, nargs) < 0)
		return TOOLCHAIN_REFUSED;
	if (link && (lib = toolchain_libdir()) == NULL)
		return 127;
	if ((inc = toolchain_includedir()) == NULL)
		return 127;
	if ((pre = libprefix()) == NULL)
		return TOOLCHAIN_REFUSED;
	if (add_compiler(&a) < 0)
		return 127;
	if (check_compiler(&a) < 0) {
		argv_free(&a);
		return TOOLCHAIN_REFUSED;
	}
	add_include(&a, inc);
	for (size_t i = 0; i < nargs; i++)
		argv_add(&a, args[i]);
	add_libprefix(&a, "-I", pre, "include");
	if (link) {
		add_libprefix(&a, "-L", pre, "lib");
		add_link(&a, lib);
	}
	if (verbose)
		print_command(a.v);
	rc = spawn(a.v, link && !toolchain_is_dynamic() ? &errs : NULL);
	if (rc == 127 && strcmp(a.v[0], "musl-gcc") == 0)
		warnx("install musl-tools, or set FATPACK_CC to a musl compiler");
	else if (rc == 127 && !is_native())
		warnx("install gcc-%s (scripts/setup.sh --target %s)",
		    cross_triplet(), toolchain_target());
	if (rc != 0 && errs != NULL && explain_link(args, nargs, errs, pre))
		rc = TOOLCHAIN_REFUSED;
	free(errs);
	argv_free(&a);
	return rc;
}

int
toolchain_run(char *const *args, size_t nargs)
{
	return run(args, nargs, 0);
}

/* The host's strip reads only the host's machine: a cross target's program
 * goes to its own binutils' strip. */
int
toolchain_strip(const char *in, const char *out)
{
	char *strip = is_native() ? xstrdup("strip") :
	    xasprintf("%s-strip", cross_triplet());
	char *v[] = { strip, "--strip-all", "-o", (char *)out, (char *)in, NULL };
	int rc = spawn(v, NULL);

	free(strip);

	if (rc != 0) {
		warnx("%s: strip failed (status %d)", in, rc);
		return -1;
	}
	return 0;
}

/* --- fatpack cc ---------------------------------------------------------- */

static void
cc_usage(FILE *f)
{
	fputs("usage: fatpack cc [--target ARCH] [-v] COMPILER-ARGS...\n"
	    "       fatpack cc [--target ARCH] --print-prefix | --print-home |\n"
	    "                  --print-config\n"
	    "       fatpack cc --pkg-config PKG-CONFIG-ARGS...\n"
	    "\n"
	    "Runs the C compiler (FATPACK_CC, default " DEFAULT_CC ")\n"
	    "with the fatpack runtime: adds -IFATPACK_HOME/include for <fatpack.h> first,\n"
	    "-ILIBPREFIX/include after the arguments and, when linking, these\n"
	    "after the arguments:\n"
	    "    -LLIBPREFIX/lib", f);
	for (size_t i = 0; i < NELEM(host_link_flags); i++)
		fprintf(f, " %s", host_link_flags[i]);
	if (!toolchain_is_dynamic()) {
		fputs("\n    for aarch64 also", f);
		for (size_t i = 0; i < NELEM(aarch64_link_flags); i++)
			fprintf(f, " %s", aarch64_link_flags[i]);
	}
	fputs("\n    -LFATPACK_HOME/lib/fatpack", f);
	for (size_t i = 0; i < NELEM(link_libs); i++)
		fprintf(f, " %s", link_libs[i]);
	fputs("\n"
	    "-shared is refused: fatpack builds static programs, so libraries are\n"
	    "built static (--disable-shared). The folder of the -o FILE output is\n"
	    "created if missing. Use it as CC: make CC=\"fatpack cc\",\n"
	    "CC=\"fatpack cc\" ./configure --disable-shared --prefix=LIBPREFIX.\n"
	    "\n"
	    "  --require-signature\n"
	    "                   link the check before main that makes an artifact\n"
	    "                   refuse to start unless its signature verifies\n"
	    "                   (fatpack build --require-signature; after\n"
	    "                   --target, if given)\n"
	    "  --target ARCH    build for ARCH (x86_64 or aarch64; first argument\n"
	    "                   only): for the other machine than this one, with\n"
	    "                   ARCH-linux-gnu-gcc, the musl and the runtime of\n"
	    "                   FATPACK_HOME/lib/fatpack/ARCH (make ARCH); static\n"
	    "  -v               print the compiler command on stderr, quoted for\n"
	    "                   a shell (-v goes on to the compiler as well)\n"
	    "  --print-prefix   print LIBPREFIX, where libraries built with\n"
	    "                   fatpack cc are installed (docs/LIBRARIES.md)\n"
	    "  --print-home     print FATPACK_HOME, the install prefix of the\n"
	    "                   fatpack whose runtime is used\n"
	    "  --print-config   print CC, CFLAGS and LDLIBS as make assignments\n"
	    "  --pkg-config ARGS...\n"
	    "                   run pkg-config --static ARGS on LIBPREFIX's\n"
	    "                   packages only\n"
	    "\n"
	    "Environment: FATPACK_CC (compiler command for this machine, for\n"
	    "musl), FATPACK_HOME, FATPACK_PREFIX (LIBPREFIX; default\n"
	    "${XDG_DATA_HOME:-$HOME/.local/share}/fatpack/", f);
	fputs(libprefix_target(), f);
	fputs(").\n", f);
}

static void
print_words(const char *key, char **v, size_t n)
{
	printf("%s =", key);
	for (size_t i = 0; i < n; i++)
		printf(" %s", v[i]);
	putchar('\n');
}

/* Make assignments: CC, CFLAGS (include path), LDLIBS (link flags). */
static int
print_config(void)
{
	struct argv cc = { 0 }, cflags = { 0 }, ldlibs = { 0 };
	const char *inc, *lib, *pre;

	if ((lib = toolchain_libdir()) == NULL ||
	    (inc = toolchain_includedir()) == NULL || (pre = libprefix()) == NULL)
		return 1;
	if (add_compiler(&cc) < 0)
		return 1;
	if (check_compiler(&cc) < 0) {
		argv_free(&cc);
		return 1;
	}
	add_include(&cflags, inc);
	add_libprefix(&cflags, "-I", pre, "include");
	add_libprefix(&ldlibs, "-L", pre, "lib");
	add_link(&ldlibs, lib);
	print_words("CC", cc.v, cc.n);
	print_words("CFLAGS", cflags.v, cflags.n);
	print_words("LDLIBS", ldlibs.v, ldlibs.n);
	argv_free(&cc);
	argv_free(&cflags);
	argv_free(&ldlibs);
	return 0;
}

/* pkg-config --static args, on the library prefix's packages only (for
 * build systems: meson-cross.ini names it). Does not return on success. */
static int
pkg_config(char **args)
{
	struct argv a = { 0 };

	if (libprefix_pkg_env() < 0)
		return 1;
	argv_add(&a, "pkg-config");
	argv_add(&a, "--static");
	for (size_t i = 0; args[i] != NULL; i++)
		argv_add(&a, args[i]);
	fflush(NULL);
	execvp(a.v[0], a.v);
	warn("pkg-config");
	argv_free(&a);
	return 127;
}

/* The compiler's -o FILE, or NULL. The joined -oFILE form is not looked
 * for: clang has other options that start with -o. */
static const char *
output_of(char *const *args, size_t nargs)
{
	const char *out = NULL;

	for (size_t i = 0; i + 1 < nargs; i++)
		if (strcmp(args[i], "-o") == 0)
			out = args[++i];
	return out;
}

/* A first `--target ARCH` (or --target=ARCH) is fatpack's, and is taken
 * off the arguments; anywhere else it is the compiler's (clang has one). */
static int
take_target(int *argc, char ***argv)
{
	const char *arch;
	int used;

	if (*argc >= 2 && strncmp((*argv)[1], "--target=", 9) == 0) {
		arch = (*argv)[1] + 9;
		used = 1;
	} else if (*argc >= 2 && strcmp((*argv)[1], "--target") == 0) {
		if (*argc < 3)
			return usage_error("cc", "--target needs an architecture");
		arch = (*argv)[2];
		used = 2;
	} else {
		return 0;
	}
	if (toolchain_set_target(arch) < 0)
		return usage_error("cc", "--target '%s': fatpack builds for %s",
		    arch, toolchain_targets());
	*argc -= used;
	*argv += used;
	(*argv)[0] = "cc";
	return 0;
}

int
cmd_cc(int argc, char **argv)
{
	char *const *args;
	size_t nargs;
	const char *pre, *out;
	int verbose = 0, rc;

	if ((rc = take_target(&argc, &argv)) != 0)
		return rc;
	if (argc >= 2 && strcmp(argv[1], "--require-signature") == 0) {
		if (toolchain_require_signature() < 0)
			return 1;
		argc--;
		argv++;
		argv[0] = "cc";
	}
	args = argv + 1;
	nargs = (size_t)argc - 1;
	if (argc < 2)
		return usage_error("cc", "no compiler arguments");
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		cc_usage(stdout);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--print-prefix") == 0) {
		if ((pre = libprefix()) == NULL)
			return 1;
		puts(pre);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--print-home") == 0) {
		if ((pre = home()) == NULL || toolchain_libdir() == NULL)
			return 1;
		puts(pre);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--print-config") == 0)
		return print_config();
	if (strcmp(argv[1], "--pkg-config") == 0)
		return pkg_config(argv + 2);
	for (size_t i = 0; i < nargs; i++)
		verbose |= strcmp(args[i], "-v") == 0;
	if ((out = output_of(args, nargs)) != NULL && mkdir_parents(out) < 0)
		return 1;
	rc = run(args, nargs, verbose);
	return rc == TOOLCHAIN_REFUSED ? 1 : rc;
}
