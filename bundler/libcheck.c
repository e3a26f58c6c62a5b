/*
 * libcheck.c - whether a library on a link line was built for glibc.
 *
 * A static archive built against glibc's headers calls functions musl does
 * not have: the fortified __*_chk variants (-D_FORTIFY_SOURCE), glibc's
 * internal __libc_* entry points, the ucontext family, and symbols bound to
 * a GLIBC_ version. The linker then lists dozens of undefined references;
 * this names the archive and the cure instead.
 */
#include <err.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libcheck.h"
#include "util.h"

#define SHOWN 3   /* symbols named in the message */

/* The symbols a file needs that only glibc has (the first SHOWN names). */
struct needs {
	char *name[SHOWN];
	size_t n;          /* distinct names found (beyond SHOWN: at least) */
	const char *errs;  /* what the linker said */
};

static int
ucontext_call(const char *s)
{
	static const char *const names[] = { "getcontext", "setcontext",
	    "makecontext", "swapcontext" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0)
			return 1;
	return 0;
}

static int
glibc_name(const char *s)
{
	size_t n = strlen(s);

	return strstr(s, "@GLIBC_") != NULL || strncmp(s, "__libc_", 7) == 0 ||
	    (n > 6 && strncmp(s, "__", 2) == 0 && strcmp(s + n - 4, "_chk") == 0) ||
	    ucontext_call(s);
}

static int
symbol_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '@' || c == '.' ||
	    c == '$';
}

/* Whether the linker's messages name symbol s, as a whole word (quoted as
 * `s' or 's' or with typographic quotes, whatever the locale). */
static int
named(const char *errs, const char *s)
{
	size_t n = strlen(s);

	for (const char *p = errs; (p = strstr(p, s)) != NULL; p++)
		if ((p == errs || !symbol_char(p[-1])) && !symbol_char(p[n]))
			return 1;
	return 0;
}

static void
note(struct needs *nd, const char *s)
{
	if (!glibc_name(s) || !named(nd->errs, s))
		return;
	for (size_t i = 0; i < nd->n && i < SHOWN; i++)
		if (strcmp(nd->name[i], s) == 0)
			return;
	if (nd->n < SHOWN)
		nd->name[nd->n] = xstrdup(s);
	nd->n++;
}

/* The undefined global symbols of one ELF object. */
static void
scan_object(Elf *e, struct needs *nd)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	GElf_Sym sym;
	Elf_Data *d;

	while ((scn = elf_nextscn(e, scn)) != NULL) {
		if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type != SHT_SYMTAB ||
		    sh.sh_entsize == 0 || (d = elf_getdata(scn, NULL)) == NULL)
			continue;
		for (size_t i = 1; i < sh.sh_size / sh.sh_entsize; i++) {
			const char *name;

			if (gelf_getsym(d, (int)i, &sym) == NULL ||
			    sym.st_shndx != SHN_UNDEF ||
			    GELF_ST_BIND(sym.st_info) == STB_LOCAL)
				continue;
			name = elf_strptr(e, sh.sh_link, sym.st_name);
			if (name != NULL && *name != '\0')
				note(nd, name);
		}
	}
}

/* Every member of an archive, or the object itself. */
static void
scan_file(int fd, struct needs *nd)
{
	Elf *ar, *m;
	Elf_Cmd cmd = ELF_C_READ;

	if ((ar = elf_begin(fd, ELF_C_READ, NULL)) == NULL)
		return;
	if (elf_kind(ar) == ELF_K_ELF)
		scan_object(ar, nd);
	else if (elf_kind(ar) == ELF_K_AR) {
		while ((m = elf_begin(fd, cmd, ar)) != NULL) {
			if (elf_kind(m) == ELF_K_ELF)
				scan_object(m, nd);
			cmd = elf_next(m);
			elf_end(m);
		}
	}
	elf_end(ar);
}

/* Whether the file at path needs glibc; if so, the line saying so. */
static int
glibc_file(const char *path, const char *errs, const char *prefix)
{
	struct needs nd = { .errs = errs };
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return 0;
	scan_file(fd, &nd);
	close(fd);
	if (nd.n > 0)
		warnx("%s: built for glibc (needs %s%s%s%s%s%s): rebuild it with "
		    "CC=\"fatpack cc\" into %s, see docs/LIBRARIES.md", path,
		    nd.name[0], nd.n > 1 ? ", " : "", nd.n > 1 ? nd.name[1] : "",
		    nd.n > 2 ? ", " : "", nd.n > 2 ? nd.name[2] : "",
		    nd.n > SHOWN ? ", ..." : "", prefix);
	for (size_t i = 0; i < nd.n && i < SHOWN; i++)
		free(nd.name[i]);
	return nd.n > 0;
}

static int
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && strcmp(s + n - k, suffix) == 0;
}

/* The first dir/name that exists among the -L folders of args, then
 * libdir; NULL if none. */
static char *
find_lib(char *const *args, size_t nargs, const char *libdir, const char *name)
{
	char *path;

	for (size_t i = 0; i <= nargs; i++) {
		const char *dir = i == nargs ? libdir : NULL;

		if (i < nargs && strcmp(args[i], "-L") == 0 && i + 1 < nargs)
			dir = args[++i];
		else if (i < nargs && strncmp(args[i], "-L", 2) == 0)
			dir = args[i] + 2;
		if (dir == NULL || *dir == '\0')
			continue;
		path = xasprintf("%s/%s", dir, name);
		if (access(path, R_OK) == 0)
			return path;
		free(path);
	}
	return NULL;
}

/* The file an argument names for the linker: FILE.a or FILE.o as it is,
 * -lNAME as libNAME.a, -l:FILE as FILE, searched as the linker would. */
static char *
link_input(char *const *args, size_t nargs, size_t *i, const char *libdir)
{
	const char *a = args[*i], *lib;
	char *name, *path;

	if (has_suffix(a, ".a") || has_suffix(a, ".o"))
		return xstrdup(a);
	if (strcmp(a, "-l") == 0 && *i + 1 < nargs)
		lib = args[++*i];
	else if (strncmp(a, "-l", 2) == 0 && a[2] != '\0')
		lib = a + 2;
	else
		return NULL;
	name = lib[0] == ':' ? xstrdup(lib + 1) : xasprintf("lib%s.a", lib);
	path = find_lib(args, nargs, libdir, name);
	free(name);
	return path;
}

int
libcheck_glibc(char *const *args, size_t nargs, const char *libdir,
    const char *errs, const char *prefix)
{
	int found = 0;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return 0;
	for (size_t i = 0; i < nargs && !found; i++) {
		char *path;

		if (strcmp(args[i], "-o") == 0) {
			i++;
			continue;
		}
		path = link_input(args, nargs, &i, libdir);

		if (path != NULL)
			found = glibc_file(path, errs, prefix);
		free(path);
	}
	return found;
}
