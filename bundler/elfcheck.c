/*
 * elfcheck.c - what libelf says about a program before fatpack appends to it.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfcheck.h"
#include "toolchain.h"
#include "util.h"
#include "format/format.h"
#include "format/reader.h"

/* An ELF handle on fd, or NULL when fd does not hold an ELF file. Read,
 * not mapped: a program cut short while it is checked must give an error,
 * not SIGBUS. */
static Elf *
elf_open(int fd)
{
	Elf *e;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return NULL;
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (e != NULL && elf_kind(e) != ELF_K_ELF) {
		elf_end(e);
		return NULL;
	}
	return e;
}

/* The section called name, or NULL. */
static Elf_Scn *
find_section(Elf *e, const char *name)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	size_t shstrndx;

	if (elf_getshdrstrndx(e, &shstrndx) != 0)
		return NULL;
	while ((scn = elf_nextscn(e, scn)) != NULL) {
		const char *s;

		if (gelf_getshdr(scn, &sh) == NULL)
			return NULL;
		s = elf_strptr(e, shstrndx, sh.sh_name);
		if (s != NULL && strcmp(s, name) == 0)
			return scn;
	}
	return NULL;
}

static unsigned long long
max_ull(unsigned long long a, unsigned long long b)
{
	return a > b ? a : b;
}

unsigned long long
elfcheck_image_end(int fd)
{
	Elf *e = elf_open(fd);
	GElf_Ehdr eh;
	Elf_Scn *scn = NULL;
	size_t n;
	unsigned long long end;

	if (e == NULL)
		return 0;
	if (gelf_getehdr(e, &eh) == NULL) {
		elf_end(e);
		return 0;
	}
	end = eh.e_ehsize;
	if (elf_getphdrnum(e, &n) == 0) {
		end = max_ull(end, eh.e_phoff + (unsigned long long)n * eh.e_phentsize);
		for (size_t i = 0; i < n; i++) {
			GElf_Phdr ph;

			if (gelf_getphdr(e, (int)i, &ph) != NULL)
				end = max_ull(end, ph.p_offset + ph.p_filesz);
		}
	}
	if (elf_getshdrnum(e, &n) == 0 && n > 0)
		end = max_ull(end, eh.e_shoff + (unsigned long long)n * eh.e_shentsize);
	while ((scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) != NULL && sh.sh_type != SHT_NOBITS)
			end = max_ull(end, sh.sh_offset + sh.sh_size);
	}
	elf_end(e);
	return end;
}

/* Accumulates one message line. */
struct msg {
	char *buf;
	size_t len, used;
};

static void __attribute__((format(printf, 2, 3)))
msg_add(struct msg *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (m->len == 0 || m->used >= m->len - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(m->buf + m->used, m->len - m->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		m->used += (size_t)n < m->len - m->used ? (size_t)n : m->len - m->used - 1;
}

/* The interpreter a PT_INTERP segment names, into buf ("" if none). */
static int
interpreter(Elf *e, char *buf, size_t len)
{
	size_t n, rawlen;
	char *raw = elf_rawfile(e, &rawlen);

	buf[0] = '\0';
	if (elf_getphdrnum(e, &n) != 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(e, (int)i, &ph) == NULL || ph.p_type != PT_INTERP)
			continue;
		if (raw != NULL && ph.p_offset < rawlen && ph.p_filesz > 0) {
			size_t max = rawlen - ph.p_offset;

			if (max > ph.p_filesz)
				max = ph.p_filesz;
			snprintf(buf, len, "%.*s", (int)strnlen(raw + ph.p_offset, max),
			    raw + ph.p_offset);
		}
		return 1;
	}
	return 0;
}

/* DT_NEEDED names and DT_FLAGS_1 of the dynamic section. */
static int
dynamic_info(Elf *e, struct msg *needed, GElf_Xword *flags1)
{
	Elf_Scn *scn = NULL;
	int count = 0;

	*flags1 = 0;
	while ((scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type != SHT_DYNAMIC ||
		    sh.sh_entsize == 0 || (d = elf_getdata(scn, NULL)) == NULL)
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Dyn dyn;
			const char *name;

			if (gelf_getdyn(d, (int)i, &dyn) == NULL || dyn.d_tag == DT_NULL)
				break;
			if (dyn.d_tag == DT_FLAGS_1)
				*flags1 = dyn.d_un.d_val;
			if (dyn.d_tag != DT_NEEDED)
				continue;
			name = elf_strptr(e, sh.sh_link, dyn.d_un.d_val);
			msg_add(needed, "%s%s", count++ ? ", " : "", name ? name : "?");
		}
	}
	return count;
}

/* A program for another machine than the target: the fix is to compile it
 * for the target, or to build for its machine when fatpack can. */
static void
wrong_machine(unsigned machine, struct msg *m)
{
	const char *want = toolchain_target(), *got = fp_machine_name(machine);

	if (got != NULL)
		msg_add(m, "built for %s, but the target is %s", got, want);
	else
		msg_add(m, "built for ELF machine %u, but the target is %s",
		    machine, want);
	msg_add(m, ": compile it with `fatpack cc --target %s`", want);
	if (got != NULL && toolchain_has_target(got))
		msg_add(m, ", or build it with --target %s", got);
}

/* Machine and file type: an executable for the target. */
static int
check_kind(const GElf_Ehdr *eh, int dynamic, GElf_Xword flags1, struct msg *m)
{

	if (eh->e_type == ET_REL) {
		msg_add(m, "a relocatable object (.o), not an executable: "
		    "link it with `fatpack cc`");
		return -1;
	}
	/* ET_DYN without an interpreter: a static-pie program or a shared library. */
	if (eh->e_type == ET_DYN && !dynamic && !(flags1 & DF_1_PIE)) {
		msg_add(m, "a shared library, not an executable: "
		    "link a program with `fatpack cc`");
		return -1;
	}
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN) {
		msg_add(m, "not an ELF executable");
		return -1;
	}
	if (eh->e_machine != toolchain_machine()) {
		wrong_machine(eh->e_machine, m);
		return -1;
	}
	return 0;
}

/* The runtime's marker section, holding FP_RUNTIME_MARK. */
static int
check_runtime(Elf *e, struct msg *m)
{
	Elf_Scn *scn = find_section(e, FP_RUNTIME_SECTION);
	Elf_Data *d;
	size_t mark = sizeof(FP_RUNTIME_MARK) - 1;

	if (scn == NULL) {
		msg_add(m, "does not contain the fatpack runtime: link it with `fatpack cc` "
		    "(or add -lfatpack and -Wl,--wrap=main)");
		return -1;
	}
	d = elf_getdata(scn, NULL);
	if (d == NULL || d->d_buf == NULL || d->d_size < mark ||
	    memcmp(d->d_buf, FP_RUNTIME_MARK, mark) != 0) {
		msg_add(m, "holds a fatpack runtime this fatpack does not know "
		    "(expected \"%s\"): relink it with this `fatpack cc`", FP_RUNTIME_MARK);
		return -1;
	}
	return 0;
}

/* The signature check before main (--require-signature). */
static int
check_sign(Elf *e, struct msg *m)
{
	Elf_Scn *scn = find_section(e, FP_SIGN_SECTION);
	Elf_Data *d = scn != NULL ? elf_getdata(scn, NULL) : NULL;
	size_t mark = sizeof(FP_SIGN_MARK) - 1;

	if (d != NULL && d->d_buf != NULL && d->d_size >= mark &&
	    memcmp(d->d_buf, FP_SIGN_MARK, mark) == 0)
		return 0;
	msg_add(m, "has no signature check for --require-signature: link it "
	    "with `fatpack cc --require-signature`");
	return -1;
}

static int
check_elf(Elf *e, unsigned flags, struct msg *m)
{
	GElf_Ehdr eh;
	GElf_Xword flags1;
	char interp[256];
	char needed_buf[512];
	struct msg needed = { needed_buf, sizeof(needed_buf), 0 };
	int has_interp, n_needed;

	if (gelf_getehdr(e, &eh) == NULL) {
		msg_add(m, "not an ELF executable (%s)", elf_errmsg(-1));
		return -1;
	}
	needed_buf[0] = '\0';
	has_interp = interpreter(e, interp, sizeof(interp));
	n_needed = dynamic_info(e, &needed, &flags1);
	if (check_kind(&eh, has_interp, flags1, m) < 0)
		return -1;
	if (!(flags & ELFCHECK_DYNAMIC) && (has_interp || n_needed > 0)) {
		msg_add(m, "dynamically linked (");
		if (has_interp)
			msg_add(m, "interpreter %s%s", interp, n_needed ? ", " : "");
		if (n_needed)
			msg_add(m, "needs %s", needed_buf);
		msg_add(m, "): link it with `fatpack cc` (static, musl)");
		return -1;
	}
	if (check_runtime(e, m) < 0)
		return -1;
	return flags & ELFCHECK_SIGN ? check_sign(e, m) : 0;
}

int
elfcheck_program(const char *path, unsigned flags, struct stat *st,
    char *buf, size_t len)
{
	struct msg m = { buf, len, 0 };
	struct file_stamp before, after;
	struct stat now;
	const char *why;
	Elf *e;
	int fd, rc;

	if (len > 0)
		buf[0] = '\0';
	if ((fd = open_regular(path, st, &why)) < 0) {
		msg_add(&m, "%s", why);
		return -1;
	}
	e = elf_open(fd);
	if (e == NULL)
		msg_add(&m, "not an ELF executable");
	rc = e != NULL ? check_elf(e, flags, &m) : -1;
	if (e != NULL)
		elf_end(e);
	/* what was read may be half of two files: that is the error to give */
	stamp_of(&before, st);
	if (fstat(fd, &now) < 0)
		memset(&now, 0, sizeof(now));
	stamp_of(&after, &now);
	if (!stamp_eq(&before, &after)) {
		m.used = 0;
		msg_add(&m, "changed while building");
		rc = -1;
	}
	close(fd);
	return rc;
}
