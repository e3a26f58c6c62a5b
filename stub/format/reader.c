/*
 * reader.c - the one reader of the fatpack format (docs/FORMAT.md).
 *
 * Everything read from the file is hostile until checked: every offset and
 * length is range-checked with arithmetic that cannot overflow, and nothing is
 * allocated from a count before the count is known to fit in bytes already
 * read. The checks run in the order the spec gives, so the first failure is
 * the one reported. The rules on single values (paths, MIME types, metadata)
 * are check.c's, which the writer calls too.
 */
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ZSTD_getFrameHeader: the frame's window and flags as zstd parses them */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#include <zstd_errors.h>

#include "bytes.h"
#include "check.h"
#include "format.h"
#include "reader.h"
#include "sha256.h"

/* The format is little-endian and so are the machines fatpack builds for;
 * ELF headers are read into <elf.h>'s structures as they lie. */
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "fatpack reads little-endian files on little-endian machines only"
#endif

/* A 4-byte block (a 3-byte header and one RLE byte) decodes to 128 KiB at
 * most: a frame that claims more per compressed byte is corrupt. */
#define ZSTD_RATIO_MAX ((128u << 10) / 4)

static int
fail(int code, char *detail, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (detail != NULL && len > 0) {
		va_start(ap, fmt);
		vsnprintf(detail, len, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* a + b into *sum; 0 when it would overflow. */
static int
add_ok(uint64_t a, uint64_t b, uint64_t *sum)
{
	if (a > UINT64_MAX - b)
		return 0;
	*sum = a + b;
	return 1;
}

int
fp_read_at(int fd, void *buf, size_t len, uint64_t off)
{
	unsigned char *p = buf;

	if (off > (uint64_t)INT64_MAX || len > (uint64_t)INT64_MAX - off)
		return FATPACK_ETRUNC;
	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return FATPACK_EIO;
		if (n == 0)
			return FATPACK_ETRUNC;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

/* --- no trailer: not bundled, payload lost, cut short, not a fat binary - */

struct elf_scan {
	int fd;
	uint64_t end;          /* end of the ELF image as its headers describe it */
	int has_runtime;       /* a .fatpack section: the runtime is linked in */
	int has_symtab;        /* fatpack build strips; a program not yet bundled
	                        * usually still has its symbols */
};

static void
extend(struct elf_scan *s, uint64_t off, uint64_t size)
{
	uint64_t end;

	if (add_ok(off, size, &end) && end > s->end)
		s->end = end;
}

static void
scan_segments(struct elf_scan *s, const Elf64_Ehdr *eh)
{
	Elf64_Phdr ph;
	uint16_t i;

	if (eh->e_phnum == 0 || eh->e_phentsize < sizeof(ph))
		return;
	extend(s, eh->e_phoff, (uint64_t)eh->e_phentsize * eh->e_phnum);
	for (i = 0; i < eh->e_phnum; i++) {
		if (fp_read_at(s->fd, &ph, sizeof(ph),
		    eh->e_phoff + (uint64_t)i * eh->e_phentsize) != 0)
			return;
		extend(s, ph.p_offset, ph.p_filesz);
	}
}

/* Whether the section name at offset name of the name table is want. */
static int
name_is(struct elf_scan *s, const Elf64_Shdr *names, uint32_t name,
    const char *want)
{
	char buf[16];
	size_t n = strlen(want) + 1;

	if (n > sizeof(buf) || names->sh_size < n || name > names->sh_size - n)
		return 0;
	if (fp_read_at(s->fd, buf, n, names->sh_offset + name) != 0)
		return 0;
	return memcmp(buf, want, n) == 0;
}

static void
scan_sections(struct elf_scan *s, const Elf64_Ehdr *eh)
{
	Elf64_Shdr sh, names;
	uint16_t i;

	/* e_shnum 0 with extended numbering is not produced for executables
	 * of a sane size; without a table there is no marker to find. */
	if (eh->e_shnum == 0 || eh->e_shentsize < sizeof(sh) ||
	    eh->e_shstrndx >= eh->e_shnum)
		return;
	extend(s, eh->e_shoff, (uint64_t)eh->e_shentsize * eh->e_shnum);
	if (fp_read_at(s->fd, &names, sizeof(names),
	    eh->e_shoff + (uint64_t)eh->e_shstrndx * eh->e_shentsize) != 0)
		return;
	for (i = 1; i < eh->e_shnum; i++) {
		if (fp_read_at(s->fd, &sh, sizeof(sh),
		    eh->e_shoff + (uint64_t)i * eh->e_shentsize) != 0)
			return;
		if (sh.sh_type != SHT_NOBITS)   /* occupies no file bytes */
			extend(s, sh.sh_offset, sh.sh_size);
		if (name_is(s, &names, sh.sh_name, FP_RUNTIME_SECTION))
			s->has_runtime = 1;
		if (sh.sh_type == SHT_SYMTAB)
			s->has_symtab = 1;
	}
}

/* Fills s from the ELF headers of the file open on s->fd, if it is an ELF
 * file of the only kind fatpack writes: ELFCLASS64, little-endian. */
static void
scan_elf(struct elf_scan *s)
{
	Elf64_Ehdr eh;

	if (fp_read_at(s->fd, &eh, sizeof(eh), 0) == 0 &&
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
	    eh.e_ident[EI_CLASS] == ELFCLASS64 &&
	    eh.e_ident[EI_DATA] == ELFDATA2LSB) {
		scan_sections(s, &eh);
		scan_segments(s, &eh);
	}
}

const char *
fp_machine_name(unsigned machine)
{
	switch (machine) {
	case EM_X86_64:  return "x86_64";
	case EM_AARCH64: return "aarch64";
	case EM_386:     return "i386";
	case EM_ARM:     return "arm";
	case EM_RISCV:   return "riscv64";
	case EM_PPC64:   return "ppc64";
	case EM_S390:    return "s390x";
	default:         return NULL;
	}
}

int
fp_elf_machine(int fd)
{
	Elf64_Ehdr eh;

	if (fp_read_at(fd, &eh, sizeof(eh), 0) != 0 ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return -1;
	return eh.e_machine;
}

int
fp_has_runtime(int fd)
{
	struct elf_scan s = { fd, sizeof(Elf64_Ehdr), 0, 0 };

	scan_elf(&s);
	return s.has_runtime;
}

/* What a file without a trailer is. Nothing here is trusted: the headers
 * only choose between messages. */
static int
no_trailer(int fd, uint64_t file_size, char *detail, size_t len)
{
	struct elf_scan s = { fd, sizeof(Elf64_Ehdr), 0, 0 };

	scan_elf(&s);
	if (!s.has_runtime)
		return fail(FATPACK_ENOTFAT, detail, len,
		    "not a fat binary (no fatpack trailer)");
	if (file_size == s.end && s.has_symtab)
		return fail(FATPACK_ENOTFAT, detail, len,
		    "no assets: this program has not been through fatpack "
		    "build (it has the runtime but no payload)");
	if (file_size == s.end)
		return fail(FATPACK_ELOST, detail, len,
		    "payload lost: the file has the fatpack runtime but no "
		    "payload (stripped or rewritten by strip/objcopy after "
		    "fatpack build, or never bundled?)");
	return fail(FATPACK_ETRUNC, detail, len,
	    "truncated: payload trailer missing (file cut short?)");
}

/* --- trailer -------------------------------------------------------------- */

static int
has_trailer_frame(const unsigned char *t)
{
	return fp_le32(t) == FP_TRAILER_MAGIC && fp_le32(t + 4) == FP_TRAILER_DATA &&
	    memcmp(t + FP_T_SIG, FP_TRAILER_SIG, 8) == 0;
}

static int
check_trailer(struct fp_reader *a, const unsigned char *t, char *detail,
    size_t len)
{
	unsigned char sum[32];
	uint64_t end, index_end;

	sha256(t, FP_T_CHECK, sum);
	if (memcmp(sum, t + FP_T_CHECK, 8) != 0)
		return fail(FATPACK_ECHECKSUM, detail, len,
		    "trailer checksum mismatch");
	a->version_major = fp_le16(t + FP_T_MAJOR);
	a->version_minor = fp_le16(t + FP_T_MINOR);
	if (a->version_major != FP_VERSION_MAJOR)
		return fail(FATPACK_EVERSION, detail, len,
		    "unsupported format version %u.%u (this runtime reads %u.x)",
		    a->version_major, a->version_minor, FP_VERSION_MAJOR);
	a->sums = a->version_minor >= FP_SUMS_MINOR;
	a->flags = fp_le32(t + FP_T_FLAGS);
	if (a->flags & ~FP_FLAGS_KNOWN)
		return fail(FATPACK_EVERSION, detail, len,
		    "unsupported format flags 0x%x in version %u.%u (this runtime "
		    "knows 0x%x)", a->flags, a->version_major, a->version_minor,
		    FP_FLAGS_KNOWN);
	a->payload_offset = fp_le64(t + FP_T_PAYLOAD_OFF);
	a->payload_size = fp_le64(t + FP_T_PAYLOAD_SIZE);
	a->index_offset = fp_le64(t + FP_T_INDEX_OFF);
	a->index_size = fp_le64(t + FP_T_INDEX_SIZE);
	memcpy(a->index_sha256, t + FP_T_INDEX_SHA, 32);
	if (!add_ok(a->payload_offset, a->payload_size, &end) ||
	    !add_ok(end, FP_TRAILER_SIZE, &end))
		return fail(FATPACK_ECORRUPT, detail, len,
		    "corrupt trailer: payload range overflows");
	if (end > a->file_size)
		return fail(FATPACK_ETRUNC, detail, len,
		    "truncated: file is %llu bytes, trailer says %llu",
		    (unsigned long long)a->file_size, (unsigned long long)end);
	if (end < a->file_size)
		return fail(FATPACK_ECORRUPT, detail, len,
		    "corrupt trailer: file is %llu bytes, trailer says %llu",
		    (unsigned long long)a->file_size, (unsigned long long)end);
	/* a signature frame, of a fixed size, is the payload's last frame */
	if (!add_ok(a->index_offset, a->index_size, &index_end) ||
	    !add_ok(index_end, a->flags & FP_FLAG_SIGNED ? FP_SIG_FRAME : 0,
	    &index_end) || index_end != a->payload_size)
		return fail(FATPACK_ECORRUPT, detail, len,
		    a->flags & FP_FLAG_SIGNED ? "corrupt trailer: index and "
		    "signature do not end at the payload end" :
		    "corrupt trailer: index does not end at the payload end");
	if (a->payload_offset % FP_ALIGN != 0)
		return fail(FATPACK_ECORRUPT, detail, len,
		    "corrupt trailer: payload offset %llu is not a multiple of %u",
		    (unsigned long long)a->payload_offset, FP_ALIGN);
	if (a->index_size < 8 + FP_INDEX_HEADER || a->index_size - 8 > SIZE_MAX - 1)
		return fail(FATPACK_ECORRUPT, detail, len,
		    "corrupt trailer: index size %llu",
		    (unsigned long long)a->index_size);
	return 0;
}

/* --- regions of the file ---------------------------------------------------- */

static void
span_put(struct fp_span *s)
{
	if (s->mapped != 0)
		munmap(s->base, s->mapped);
	else
		free(s->base);
	s->base = s->p = NULL;
	s->mapped = 0;
}

/* n bytes at offset off of the file, mapped where they lie when map is set,
 * else (or when the file cannot be mapped) read into memory. Mapping costs
 * a page fault per page touched instead of a copy of the whole region
 * (bench/startup.sh). Only lazy opens map: they open the runtime's own
 * executable, which the kernel lets nobody write or truncate while it runs,
 * so bytes checked once stay as they were; the caller has checked that the
 * region lies inside the file. */
static int
span_get(int fd, uint64_t off, size_t n, int map, struct fp_span *s)
{
	uint64_t base = off & ~((uint64_t)getpagesize() - 1);
	size_t skip = (size_t)(off - base);
	void *m;
	int r;

	if (map && n <= SIZE_MAX - skip && base <= (uint64_t)INT64_MAX &&
	    (m = mmap(NULL, skip + n, PROT_READ, MAP_PRIVATE, fd,
	    (off_t)base)) != MAP_FAILED) {
		s->base = m;
		s->mapped = skip + n;
		s->p = (unsigned char *)m + skip;
		return 0;
	}
	if ((s->base = malloc(n != 0 ? n : 1)) == NULL)
		return FATPACK_ENOMEM;
	s->mapped = 0;
	s->p = s->base;
	if ((r = fp_read_at(fd, s->p, n, off)) != 0)
		span_put(s);
	return r;
}

/* The index frame, mapped by a lazy open of a stored index, else read: its
 * header into hdr, its data into a->index. */
static int
get_index(struct fp_reader *a, unsigned char hdr[8], int map, char *detail,
    size_t len)
{
	int r = span_get(a->fd, a->payload_offset + a->index_offset,
	    (size_t)a->index_size, map, &a->index_span);

	if (r == FATPACK_ENOMEM)
		return fail(r, detail, len, "out of memory for the index");
	if (r != 0)
		return fail(r == FATPACK_EIO ? r : FATPACK_ETRUNC, detail, len,
		    "reading the index: %s",
		    r == FATPACK_EIO ? strerror(errno) : "file ends early");
	memcpy(hdr, a->index_span.p, 8);
	a->index = a->index_span.p + 8;
	a->index_len = (size_t)(a->index_size - 8);
	return 0;
}

/* Rule 11: the index frame's data against the trailer's SHA-256. */
static int
check_index_sum(const struct fp_reader *a, char *detail, size_t len)
{
	unsigned char sum[32];

	sha256(a->index, a->index_len, sum);
	if (memcmp(sum, a->index_sha256, 32) != 0)
		return fail(FATPACK_ECHECKSUM, detail, len,
		    "index checksum mismatch");
	return 0;
}

int
fp_reader_check_index(const struct fp_reader *a, char *detail, size_t len)
{
	return a->index_hashed ? 0 : check_index_sum(a, detail, len);
}

/* Loads the index frame and checks its SHA-256 and its skippable header.
 * A lazy open maps a stored index instead of reading it; from 1.2 the
 * index's own checks (rules 22b and 23b) cover what it reads, so it skips
 * the hash, which grows with the entries. A 1.0 or 1.1 index has no checks
 * and is hashed, and a compressed one is hashed before it is decoded. */
static int
load_index(struct fp_reader *a, char *detail,
    size_t len)
{
	unsigned char hdr[8];
	int zindex = (a->flags & FP_FLAG_ZINDEX) != 0, r;

	if ((r = get_index(a, hdr, a->lazy && !zindex, detail, len)) != 0)
		return r;
	a->index_hashed = !a->lazy || zindex || !a->sums;
	if (a->index_hashed && (r = check_index_sum(a, detail, len)) != 0)
		return r;
	if (fp_le32(hdr) != FP_INDEX_MAGIC || fp_le32(hdr + 4) != a->index_len)
		return fail(FATPACK_ECORRUPT, detail, len,
		    "index: bad skippable frame header");
	return 0;
}

/* --- zstd frames ---------------------------------------------------------- */

/* A frame we accept (FORMAT.md 3): one zstd data frame that is exactly
 * src_len bytes, declares the expected content size, carries a content
 * checksum, needs no dictionary or the payload's (dict_id) and a window of
 * at most 8 MiB. Content frames go to browsers unchanged, and RFC 9659 lets
 * them refuse a larger window. */
int
fp_frame_check(const unsigned char *src, size_t src_len, uint64_t size,
    uint32_t dict_id)
{
	ZSTD_frameHeader h;

	if (ZSTD_getFrameHeader(&h, src, src_len) != 0 ||
	    h.frameType != ZSTD_frame)
		return FATPACK_ECORRUPT;
	if (!h.checksumFlag || (h.dictID != 0 && h.dictID != dict_id) ||
	    h.frameContentSize != size)
		return FATPACK_ECORRUPT;
	if (h.windowSize > (1ull << FP_WINDOW_LOG_MAX))
		return FATPACK_ECORRUPT;
	if (size / ZSTD_RATIO_MAX > src_len)
		return FATPACK_ECORRUPT;
	if (ZSTD_findFrameCompressedSize(src, src_len) != src_len)
		return FATPACK_ECORRUPT;
	return 0;
}

/* One decoding context kept for the next call: making one costs a 95 KB
 * allocation, which the system maps and the first decode faults in again
 * every time. A caller takes it or makes its own; at most one is kept. */
static _Atomic(ZSTD_DCtx *) spare_dctx;

static ZSTD_DCtx *
dctx_take(void)
{
	ZSTD_DCtx *d = atomic_exchange(&spare_dctx, NULL);

	if (d == NULL && (d = ZSTD_createDCtx()) != NULL)
		ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax,
		    FP_WINDOW_LOG_MAX);
	return d;
}

static void
dctx_give(ZSTD_DCtx *d)
{
	ZSTD_freeDCtx(atomic_exchange(&spare_dctx, d));
}

/* Decodes src into out, exactly size bytes, zstd's own checksum checked;
 * with the dictionary dd unless that is NULL. */
static int
decompress(unsigned char *out, size_t size, const unsigned char *src,
    size_t src_len, const ZSTD_DDict *dd)
{
	ZSTD_DCtx *dctx = dctx_take();
	size_t n;

	if (dctx == NULL)
		return FATPACK_ENOMEM;
	if (dd != NULL)
		ZSTD_DCtx_refDDict(dctx, dd);
	n = ZSTD_decompressDCtx(dctx, out, size, src, src_len);
	/* the dictionary is its reader's, which may be closed before the
	 * context is taken again */
	if (dd != NULL)
		ZSTD_DCtx_refDDict(dctx, NULL);
	dctx_give(dctx);
	if (ZSTD_isError(n))
		return ZSTD_getErrorCode(n) == ZSTD_error_checksum_wrong ?
		    FATPACK_ECHECKSUM : FATPACK_ECORRUPT;
	return n == size ? 0 : FATPACK_ECORRUPT;
}

/* --- the index's checks (1.2) --------------------------------------------- */

/* The first 8 bytes of the SHA-256 of what s holds so far. */
static void
sum_final(struct sha256 *s, unsigned char out[FP_SUM_LEN])
{
	unsigned char d[32];

	sha256_final(s, d);
	memcpy(out, d, FP_SUM_LEN);
}

void
fp_entry_sum(const unsigned char *hdr, uint32_t i, const unsigned char *e,
    const char *strtab, unsigned char out[FP_SUM_LEN])
{
	static const unsigned char zero[FP_SUM_LEN];
	size_t entry_size = fp_le32(hdr + FP_I_ENTRY_SIZE);
	unsigned char n[4];
	struct sha256 s;

	fp_put_le32(n, i);
	sha256_init(&s);
	sha256_update(&s, hdr + FP_I_CHECK, FP_SUM_LEN);
	sha256_update(&s, n, sizeof(n));
	sha256_update(&s, e, FP_E_CHECK);
	sha256_update(&s, zero, FP_SUM_LEN);
	sha256_update(&s, e + FP_E_CHECK + FP_SUM_LEN,
	    entry_size - FP_E_CHECK - FP_SUM_LEN);
	sha256_update(&s, strtab + fp_le32(e + FP_E_PATH_OFF),
	    fp_le32(e + FP_E_PATH_LEN));
	sha256_update(&s, strtab + fp_le32(e + FP_E_MIME_OFF),
	    fp_le32(e + FP_E_MIME_LEN));
	sum_final(&s, out);
}

void
fp_header_sum(const unsigned char *hdr, const char *meta, size_t meta_len,
    unsigned char out[FP_SUM_LEN])
{
	struct sha256 s;

	sha256_init(&s);
	sha256_update(&s, hdr, FP_I_CHECK);
	sha256_update(&s, meta, meta_len);
	sum_final(&s, out);
}

/* Rule 22b; the header's sizes hold (rule 22). */
static int
header_sum_ok(const struct fp_reader *a)
{
	unsigned char sum[FP_SUM_LEN];

	fp_header_sum(a->index, a->meta, a->meta_size, sum);
	return memcmp(sum, a->index + FP_I_CHECK, FP_SUM_LEN) == 0;
}

/* --- index ---------------------------------------------------------------- */

static int
check_header(struct fp_reader *a, char *detail, size_t len)
{
	const unsigned char *p = a->index;
	uint64_t need;

	if (memcmp(p, FP_INDEX_SIG, 8) != 0)
		return fail(FATPACK_ECORRUPT, detail, len, "index: bad signature");
	a->count = fp_le32(p + FP_I_COUNT);
	a->entry_size = fp_le32(p + FP_I_ENTRY_SIZE);
	a->strtab_size = fp_le32(p + FP_I_STRTAB);
	a->meta_size = fp_le32(p + FP_I_META);
	if (a->entry_size < FP_ENTRY_SIZE)
		return fail(FATPACK_ECORRUPT, detail, len,
		    "index: entry size %u is below %u", a->entry_size, FP_ENTRY_SIZE);
	/* (2^32 - 1)^2 fits in 64 bits; adding the rest may not */
	need = (uint64_t)a->count * a->entry_size;
	if (!add_ok(need, FP_INDEX_HEADER, &need) ||
	    !add_ok(need, a->strtab_size, &need) ||
	    !add_ok(need, a->meta_size, &need) || need != a->index_len)
		return fail(FATPACK_ECORRUPT, detail, len,
		    "index: sizes add up to %llu bytes, frame holds %zu",
		    (unsigned long long)need, a->index_len);
	a->entries = p + FP_INDEX_HEADER;
	a->strtab = (const char *)a->entries + (size_t)a->count * a->entry_size;
	a->meta = a->strtab + a->strtab_size;
	if (a->sums && !header_sum_ok(a))
		return fail(FATPACK_ECORRUPT, detail, len,
		    "index: header checksum mismatch");
	return 0;
}

static const unsigned char *
entry_ptr(const struct fp_reader *a, size_t i)
{
	return a->entries + i * a->entry_size;
}

static int
cmp_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/* Entry i's path, its bounds already checked by check_entry. */
static const char *
path_of(const struct fp_reader *a, size_t i, size_t *len)
{
	const unsigned char *e = entry_ptr(a, i);

	*len = fp_le32(e + FP_E_PATH_LEN);
	return a->strtab + fp_le32(e + FP_E_PATH_OFF);
}

static int
string_in_strtab(uint32_t strtab_size, uint32_t off, uint32_t len)
{
	return (uint64_t)off + len <= strtab_size;
}

/* Rule 23 of entry e. */
static int
strings_in_strtab(uint32_t strtab_size, const unsigned char *e)
{
	return string_in_strtab(strtab_size, fp_le32(e + FP_E_PATH_OFF),
	    fp_le32(e + FP_E_PATH_LEN)) &&
	    string_in_strtab(strtab_size, fp_le32(e + FP_E_MIME_OFF),
	    fp_le32(e + FP_E_MIME_LEN));
}

/* Rule 23b of entry i, whose strings lie inside strtab (rule 23). */
static int
entry_sum_ok(const struct fp_reader *a, uint32_t i)
{
	const unsigned char *e = entry_ptr(a, i);
	unsigned char sum[FP_SUM_LEN];

	if (!a->sums)
		return 1;
	fp_entry_sum(a->index, i, e, a->strtab, sum);
	return memcmp(sum, e + FP_E_CHECK, FP_SUM_LEN) == 0;
}

static int
check_entry(const struct fp_reader *a, uint32_t i, char *detail, size_t len)
{
	const unsigned char *e = entry_ptr(a, i);
	uint64_t foff = fp_le64(e + FP_E_FRAME_OFF), fsize = fp_le64(e + FP_E_FRAME_SIZE);
	uint64_t size = fp_le64(e + FP_E_SIZE), fend;
	const char *why;
	const char *path;
	size_t n;

	if (!strings_in_strtab(a->strtab_size, e))
		return fail(FATPACK_ECORRUPT, detail, len,
		    "index: entry %u string outside the string table", i);
	if (!entry_sum_ok(a, i))
		return fail(FATPACK_ECORRUPT, detail, len,
		    "index: entry %u checksum mismatch", i);
	path = path_of(a, i, &n);
	if ((why = fp_check_path(path, n)) != NULL)
		return fail(FATPACK_ECORRUPT, detail, len,
		    "index: entry %u: %s", i, why);
	if ((why = fp_check_mime(a->strtab + fp_le32(e + FP_E_MIME_OFF),
	    fp_le32(e + FP_E_MIME_LEN))) != NULL)
		return fail(FATPACK_ECORRUPT, detail, len,
		    "index: entry %u: %s", i, why);
	if (i > 0) {
		const unsigned char *pe = entry_ptr(a, i - 1);
		const char *prev;
		size_t pn;

		/* a lazy reader may not have checked the previous entry */
		if (!strings_in_strtab(a->strtab_size, pe))
			return fail(FATPACK_ECORRUPT, detail, len,
			    "index: entry %u string outside the string table", i - 1);
		if (!entry_sum_ok(a, i - 1))
			return fail(FATPACK_ECORRUPT, detail, len,
			    "index: entry %u checksum mismatch", i - 1);
		prev = path_of(a, i - 1, &pn);
		if (cmp_bytes(prev, pn, path, n) >= 0)
			return fail(FATPACK_ECORRUPT, detail, len,
			    "index: entry %u path not sorted", i);
	}
	if (e[FP_E_TYPE] == FP_TYPE_DIR) {
		if (size != 0 || fsize != 0)
			return fail(FATPACK_ECORRUPT, detail, len,
			    "index: entry %u is a folder with content", i);
		return 0;
	}
	if (e[FP_E_TYPE] != FP_TYPE_FILE)
		return fail(FATPACK_ECORRUPT, detail, len,
		    "index: entry %u has unknown type %u", i, e[FP_E_TYPE]);
	if (size > 0 && fsize == 0)
		return fail(FATPACK_ECORRUPT, detail, len,
		    "index: entry %u has content but no frame", i);
	if (!add_ok(foff, fsize, &fend) || fend > a->index_offset ||
	    (fsize > 0 && foff < a->dict_size))
		return fail(FATPACK_ECORRUPT, detail, len,
		    "index: entry %u frame outside the tar stream", i);
	if (size > SIZE_MAX - 1)
		return fail(FATPACK_ECORRUPT, detail, len,
		    "index: entry %u too large for this machine", i);
	return 0;
}

/* What a lazy reader has found true of an entry (fp_reader.checked). */
#define CHECKED_ENTRY 1u       /* rules 23 to 31 */
#define CHECKED_PARENT 2u      /* and rule 32 */

/* Rules 23 to 31 of entry i, once. A full open checked them all. The bit
 * records a fact about bytes that do not change after the open, so relaxed
 * order is enough: a thread that misses it checks again. */
static int
probe(const struct fp_reader *a, size_t i, char *detail, size_t len)
{
	int r;

	if (!a->lazy || (atomic_load_explicit(&a->checked[i],
	    memory_order_relaxed) & CHECKED_ENTRY))
		return 0;
	if ((r = check_entry(a, (uint32_t)i, detail, len)) == 0)
		atomic_fetch_or_explicit(&a->checked[i], CHECKED_ENTRY,
		    memory_order_relaxed);
	return r;
}

/* Binary search among entries 0 .. end-1: 0 and *pos the entry, or
 * FATPACK_ENOENT and *pos where the path would go. Each entry looked at is
 * checked before its path is read, so on a hostile table the search stays
 * inside the string table, ends after log2(end) steps, and a corrupt entry
 * it meets is its answer. */
static int
search(const struct fp_reader *a, size_t end, const char *path,
    size_t path_len, size_t *pos, char *detail, size_t len)
{
	size_t lo = 0, hi = end;
	int r;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2, n;
		const char *p;
		int c;

		if ((r = probe(a, mid, detail, len)) != 0)
			return r;
		p = path_of(a, mid, &n);
		if ((c = cmp_bytes(p, n, path, path_len)) == 0) {
			*pos = mid;
			return 0;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*pos = lo;
	return FATPACK_ENOENT;
}

/* Every parent folder of an entry must be a folder entry, and sorted order
 * puts it before the entry. This also rejects a file used as a folder. */
static int
check_parent(const struct fp_reader *a, uint32_t i, char *detail, size_t len)
{
	size_t n, p;
	const char *path = path_of(a, i, &n);
	const char *slash = memrchr(path, '/', n);
	int r;

	if (slash == NULL)
		return 0;
	r = search(a, i, path, (size_t)(slash - path), &p, detail, len);
	if (r == FATPACK_ENOENT ||
	    (r == 0 && entry_ptr(a, p)[FP_E_TYPE] != FP_TYPE_DIR))
		return fail(FATPACK_ECORRUPT, detail, len,
		    "index: entry %u parent folder missing", i);
	return r;
}

/* One metadata line (without its '\n'); NULL when it is well formed. */
static const char *
meta_line_problem(const char *p, size_t n, size_t *keylen)
{
	const char *eq = memchr(p, '=', n);
	const char *why;

	if (eq == NULL)
		return "not a key=value line";
	*keylen = (size_t)(eq - p);
	if ((why = fp_check_meta_key(p, *keylen)) != NULL)
		return why;
	if ((why = fp_check_meta_value(eq + 1, n - *keylen - 1)) != NULL)
		return "value is not UTF-8 text";
	return NULL;
}

/* meta: "key=value\n" lines, keys bytewise sorted and unique, so that
 * fatpack_meta() can hand out C strings and --fatpack-info valid JSON. */
static int
check_meta(const struct fp_reader *a, char *detail, size_t len)
{
	const char *p = a->meta, *end = p + a->meta_size, *prev = NULL;
	size_t prevlen = 0, keylen, line;
	const char *why;

	if (a->meta_size > 0 && end[-1] != '\n')
		return fail(FATPACK_ECORRUPT, detail, len,
		    "index: metadata does not end with a newline");
	for (line = 1; p < end; line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if ((why = meta_line_problem(p, (size_t)(nl - p), &keylen)) != NULL)
			return fail(FATPACK_ECORRUPT, detail, len,
			    "index: metadata line %zu: %s", line, why);
		if (prev != NULL && cmp_bytes(prev, prevlen, p, keylen) >= 0)
			return fail(FATPACK_ECORRUPT, detail, len,
			    "index: metadata line %zu: key not sorted", line);
		prev = p;
		prevlen = keylen;
		p = nl + 1;
	}
	return 0;
}

/* --- the dictionary (FORMAT.md 4.3) ----------------------------------------- */

static int
hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
	    c - 'a' + 10 : -1;
}

/* Rule 22c: with flag bit 1, the payload starts with a skippable frame
 * that holds a zstd dictionary with an ID, and fits before the index. Its
 * size and ID are taken from here; rule 38c vouches for them. */
static int
check_dict_head(struct fp_reader *a, char *detail, size_t len)
{
	unsigned char h[FP_DICT_MIN];
	uint64_t size;
	int r;

	if (!(a->flags & FP_FLAG_DICT))
		return 0;
	if (a->index_offset < FP_DICT_MIN)
		return fail(FATPACK_ECORRUPT, detail, len,
		    "dictionary: bad frame header");
	if ((r = fp_read_at(a->fd, h, sizeof(h), a->payload_offset)) != 0)
		return fail(r, detail, len, "reading the dictionary: %s",
		    r == FATPACK_EIO ? strerror(errno) : "file ends early");
	size = fp_le32(h + 4) + (uint64_t)8;
	if (fp_le32(h) != FP_DICT_MAGIC || size < FP_DICT_MIN ||
	    size > a->index_offset || fp_le32(h + 8) != FP_ZDICT_MAGIC ||
	    fp_le32(h + 12) == 0)
		return fail(FATPACK_ECORRUPT, detail, len,
		    "dictionary: bad frame header");
	a->dict_size = size;
	a->dict_id = fp_le32(h + 12);
	return 0;
}

/* Rule 38b: with flag bit 1, the metadata holds the dictionary's SHA-256,
 * 64 lower-case hex digits, which the index hash covers. */
static int
check_dict_meta(struct fp_reader *a, char *detail, size_t len)
{
	const char *v;
	size_t n;

	if (!(a->flags & FP_FLAG_DICT))
		return 0;
	v = fp_reader_meta(a, FP_META_DICT_SHA, &n);
	if (v == NULL || n != 64)
		return fail(FATPACK_ECORRUPT, detail, len,
		    "index: no dictionary_sha256 in the metadata");
	for (size_t i = 0; i < 32; i++) {
		int hi = hex_digit(v[2 * i]), lo = hex_digit(v[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return fail(FATPACK_ECORRUPT, detail, len,
			    "index: no dictionary_sha256 in the metadata");
		a->dict_sha256[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* The decoding dictionary: zstd's tables, made by reference over the
 * dictionary's bytes, mapped by a lazy open (so a first read pays for the
 * pages it touches, not for two copies of the dictionary), read by a full
 * one. */
struct ddict {
	ZSTD_DDict *dd;
	struct fp_span bytes;
};

static void
ddict_free(struct ddict *d)
{
	if (d == NULL)
		return;
	ZSTD_freeDDict(d->dd);
	span_put(&d->bytes);
	free(d);
}

/* The dictionary, the frame's data, checked: its SHA-256 (rule 38c), then
 * that it still starts as rule 22c found it (rule 38d). */
static int
check_dict_bytes(const struct fp_reader *a, const unsigned char *p, size_t n,
    char *detail, size_t len)
{
	unsigned char sum[32];

	sha256(p, n, sum);
	if (memcmp(sum, a->dict_sha256, 32) != 0)
		return fail(FATPACK_ECHECKSUM, detail, len,
		    "dictionary: checksum mismatch");
	if (fp_le32(p) != FP_ZDICT_MAGIC || fp_le32(p + 4) != a->dict_id)
		return fail(FATPACK_ECORRUPT, detail, len,
		    "dictionary: not a zstd dictionary with ID %u", a->dict_id);
	return 0;
}

static int
load_dict(const struct fp_reader *a, struct ddict **out, char *detail,
    size_t len)
{
	size_t n = (size_t)(a->dict_size - 8);
	struct ddict *d = calloc(1, sizeof(*d));
	int r;

	if (d == NULL)
		return fail(FATPACK_ENOMEM, detail, len,
		    "out of memory for the dictionary");
	r = span_get(a->fd, a->payload_offset + 8, n, a->lazy, &d->bytes);
	if (r == FATPACK_ENOMEM)
		r = fail(r, detail, len, "out of memory for the dictionary");
	else if (r != 0)
		r = fail(r, detail, len, "reading the dictionary: %s",
		    r == FATPACK_EIO ? strerror(errno) : "file ends early");
	else if ((r = check_dict_bytes(a, d->bytes.p, n, detail, len)) == 0 &&
	    (d->dd = ZSTD_createDDict_byReference(d->bytes.p, n)) == NULL)
		r = fail(FATPACK_ECORRUPT, detail, len,
		    "dictionary: not a zstd dictionary with ID %u", a->dict_id);
	if (r != 0)
		ddict_free(d);
	else
		*out = d;
	return r;
}

/* The decoding dictionary, made on first use; of threads that race to
 * make it, the first keeps its own and the others free theirs. */
static int
ddict_of(const struct fp_reader *a, const ZSTD_DDict **out, char *detail,
    size_t len)
{
	void *cur = atomic_load_explicit(a->ddict, memory_order_acquire);
	struct ddict *mine = NULL;
	int r;

	if (cur == NULL) {
		if ((r = load_dict(a, &mine, detail, len)) != 0)
			return r;
		if (atomic_compare_exchange_strong_explicit(a->ddict, &cur,
		    (void *)mine, memory_order_acq_rel, memory_order_acquire))
			cur = mine;
		else
			ddict_free(mine);
	}
	*out = ((struct ddict *)cur)->dd;
	return 0;
}

/* A full open checks the dictionary at once; a lazy one when a frame first
 * needs it. */
static int
check_dict(const struct fp_reader *a, char *detail, size_t len)
{
	const ZSTD_DDict *dd;

	if (!(a->flags & FP_FLAG_DICT) || a->lazy)
		return 0;
	return ddict_of(a, &dd, detail, len);
}

/* Rules 23 to 32b on every entry, in the order of FORMAT.md 7.1. */
static int
check_entries(const struct fp_reader *a, char *detail, size_t len)
{
	uint64_t paths = 0;
	uint32_t i;
	int r;

	for (i = 0; i < a->count; i++) {
		if ((r = check_entry(a, i, detail, len)) != 0)
			return r;
		paths += fp_le32(entry_ptr(a, i) + FP_E_PATH_LEN);
	}
	for (i = 0; i < a->count; i++)
		if ((r = check_parent(a, i, detail, len)) != 0)
			return r;
	/* A writer stores each path once, so the paths add up to at most the
	 * string table. Entries laid over the same bytes would let a small
	 * file make the copies of every path (`fatpack ls`) cost thousands
	 * of times its own size. */
	if (paths > a->strtab_size)
		return fail(FATPACK_ECORRUPT, detail, len,
		    "index: paths add up to more than the string table");
	return 0;
}

int
fp_index_seal(unsigned char *p, size_t len)
{
	uint32_t count, esize, strsize, metasize;
	const char *strtab;
	uint64_t need;

	if (len < FP_INDEX_HEADER || memcmp(p, FP_INDEX_SIG, 8) != 0)
		return -1;
	count = fp_le32(p + FP_I_COUNT);
	esize = fp_le32(p + FP_I_ENTRY_SIZE);
	strsize = fp_le32(p + FP_I_STRTAB);
	metasize = fp_le32(p + FP_I_META);
	need = FP_INDEX_HEADER + (uint64_t)count * esize + strsize + metasize;
	if (esize < FP_ENTRY_SIZE || need != len)
		return -1;
	strtab = (const char *)p + FP_INDEX_HEADER + (size_t)count * esize;
	/* the entries' checks cover the header's */
	fp_header_sum(p, strtab + strsize, metasize, p + FP_I_CHECK);
	for (uint32_t i = 0; i < count; i++) {
		unsigned char *e = p + FP_INDEX_HEADER + (size_t)i * esize;

		if (strings_in_strtab(strsize, e))
			fp_entry_sum(p, i, e, strtab, e + FP_E_CHECK);
	}
	return 0;
}

/* LeakSanitizer (the SAN build) does not look into mappings for pointers:
 * a slot table that holds the only pointer to a decoded content is shown
 * to it, or every cached content would be reported as leaked. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/lsan_interface.h>
#define slots_show(p, n) __lsan_register_root_region((p), (n))
#define slots_hide(p, n) __lsan_unregister_root_region((p), (n))
#endif
#endif
#ifndef slots_show
#define slots_show(p, n) ((void)0)
#define slots_hide(p, n) ((void)0)
#endif

/* Below a page, the heap's few bytes cost less than a mapping. */
static int
slots_mapped(size_t bytes)
{
	return bytes >= 4096;
}

void *
fp_slots_alloc(size_t n, size_t size)
{
	void *p;

	if (n == 0)
		n = 1;
	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	if (!slots_mapped(n * size))
		return calloc(n, size);
	p = mmap(NULL, n * size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	slots_show(p, n * size);
	return p;
}

void
fp_slots_free(void *p, size_t n, size_t size)
{
	if (n == 0)
		n = 1;
	if (p == NULL)
		return;
	if (slots_mapped(n * size)) {
		slots_hide(p, n * size);
		munmap(p, n * size);
	}
	else
		free(p);
}

/* The per-entry slots, all empty. */
static int
alloc_slots(struct fp_reader *a, char *detail, size_t len)
{
	a->names = fp_slots_alloc(a->count, sizeof(*a->names));
	if (a->lazy)
		a->checked = fp_slots_alloc(a->count, sizeof(*a->checked));
	if (a->flags & FP_FLAG_DICT)
		a->ddict = calloc(1, sizeof(*a->ddict));
	if (a->names == NULL || (a->lazy && a->checked == NULL) ||
	    ((a->flags & FP_FLAG_DICT) && a->ddict == NULL))
		return fail(FATPACK_ENOMEM, detail, len, "out of memory for the index");
	return 0;
}

/* Replaces the compressed index data (FORMAT.md 4.1) by its decoded bytes.
 * The declared size is bounded by the ratio before it is allocated, so a
 * small file cannot make us allocate much more than its own size. */
static int
inflate_index(struct fp_reader *a, char *detail, size_t len)
{
	unsigned long long n = ZSTD_getFrameContentSize(a->index, a->index_len);
	unsigned char *out;
	int r;

	if (n == ZSTD_CONTENTSIZE_UNKNOWN || n == ZSTD_CONTENTSIZE_ERROR ||
	    n < FP_INDEX_HEADER)
		return fail(FATPACK_ECORRUPT, detail, len,
		    "index: corrupt compressed index (no usable content size)");
	/* n > RATIO * index_len, without the product */
	if (n / FP_ZINDEX_RATIO_MAX > a->index_len ||
	    (n / FP_ZINDEX_RATIO_MAX == a->index_len &&
	    n % FP_ZINDEX_RATIO_MAX != 0))
		return fail(FATPACK_ECORRUPT, detail, len,
		    "index: corrupt compressed index (%llu bytes claimed from %zu)",
		    n, a->index_len);
	if (fp_frame_check(a->index, a->index_len, n, 0) != 0)
		return fail(FATPACK_ECORRUPT, detail, len,
		    "index: corrupt compressed index");
	if ((out = malloc((size_t)n)) == NULL)
		return fail(FATPACK_ENOMEM, detail, len, "out of memory for the index");
	if ((r = decompress(out, (size_t)n, a->index, a->index_len, NULL)) != 0) {
		free(out);
		if (r == FATPACK_ENOMEM)
			return fail(r, detail, len, "out of memory for the index");
		return fail(FATPACK_ECORRUPT, detail, len,
		    "index: corrupt compressed index");
	}
	span_put(&a->index_span);
	a->index_span = (struct fp_span){ .p = out, .base = out };
	a->index = out;
	a->index_len = (size_t)n;
	return 0;
}

static int
open_reader(struct fp_reader *a, int fd, int lazy, char *detail, size_t len)
{
	unsigned char t[FP_TRAILER_SIZE];
	struct stat st;
	int r;

	memset(a, 0, sizeof(*a));
	a->fd = fd;
	a->lazy = lazy;
	if (detail != NULL && len > 0)
		detail[0] = '\0';
	if (fstat(fd, &st) != 0)
		return fail(FATPACK_EIO, detail, len, "stat: %s", strerror(errno));
	a->file_size = st.st_size > 0 ? (uint64_t)st.st_size : 0;
	if (a->file_size < FP_TRAILER_SIZE)
		return no_trailer(fd, a->file_size, detail, len);
	r = fp_read_at(fd, t, sizeof(t), a->file_size - FP_TRAILER_SIZE);
	if (r != 0)
		return fail(FATPACK_EIO, detail, len, "reading the trailer: %s",
		    r == FATPACK_EIO ? strerror(errno) : "file shrank");
	if (!has_trailer_frame(t))
		return no_trailer(fd, a->file_size, detail, len);
	if ((r = check_trailer(a, t, detail, len)) != 0 ||
	    (r = load_index(a, detail, len)) != 0 ||
	    ((a->flags & FP_FLAG_ZINDEX) &&
	    (r = inflate_index(a, detail, len)) != 0) ||
	    (r = check_header(a, detail, len)) != 0 ||
	    (r = check_dict_head(a, detail, len)) != 0 ||
	    (!lazy && (r = check_entries(a, detail, len)) != 0) ||
	    (r = check_meta(a, detail, len)) != 0 ||
	    (r = check_dict_meta(a, detail, len)) != 0 ||
	    (r = alloc_slots(a, detail, len)) != 0 ||
	    (r = check_dict(a, detail, len)) != 0) {
		fp_reader_close(a);
		return r;
	}
	return 0;
}

int
fp_reader_open(struct fp_reader *a, int fd, char *detail, size_t len)
{
	return open_reader(a, fd, 0, detail, len);
}

int
fp_reader_open_lazy(struct fp_reader *a, int fd, char *detail, size_t len)
{
	return open_reader(a, fd, 1, detail, len);
}

void
fp_reader_close(struct fp_reader *a)
{
	if (a->names != NULL)
		for (size_t i = 0; i < a->count; i++)
			free(atomic_load(&a->names[i]));
	fp_slots_free(a->names, a->count, sizeof(*a->names));
	fp_slots_free(a->checked, a->count, sizeof(*a->checked));
	if (a->ddict != NULL)
		ddict_free(atomic_load(a->ddict));
	free(a->ddict);
	span_put(&a->index_span);
	a->names = NULL;
	a->checked = NULL;
	a->ddict = NULL;
	a->index = NULL;
	a->entries = NULL;
	a->strtab = a->meta = NULL;
	a->count = 0;
}

int
fp_reader_check_entry(const struct fp_reader *a, size_t i, char *detail,
    size_t len)
{
	int r;

	if (i >= a->count)
		return FATPACK_ERANGE;
	if (!a->lazy || (atomic_load_explicit(&a->checked[i],
	    memory_order_relaxed) & CHECKED_PARENT))
		return 0;
	if ((r = probe(a, i, detail, len)) != 0 ||
	    (r = check_parent(a, (uint32_t)i, detail, len)) != 0)
		return r;
	atomic_fetch_or_explicit(&a->checked[i], CHECKED_PARENT,
	    memory_order_relaxed);
	return 0;
}

/* Entry i's path and MIME type as C strings, "path\0mime\0", copied on
 * first use and kept until the close; the first of racing threads wins. */
static const char *
names_of(const struct fp_reader *a, size_t i)
{
	const unsigned char *e = entry_ptr(a, i);
	size_t pn = fp_le32(e + FP_E_PATH_LEN), mn = fp_le32(e + FP_E_MIME_LEN);
	char *s = atomic_load_explicit(&a->names[i], memory_order_acquire), *mine;

	if (s != NULL)
		return s;
	if ((mine = malloc(pn + mn + 2)) == NULL)
		return NULL;
	memcpy(mine, a->strtab + fp_le32(e + FP_E_PATH_OFF), pn);
	mine[pn] = '\0';
	memcpy(mine + pn + 1, a->strtab + fp_le32(e + FP_E_MIME_OFF), mn);
	mine[pn + 1 + mn] = '\0';
	if (atomic_compare_exchange_strong_explicit(&a->names[i], &s, mine,
	    memory_order_acq_rel, memory_order_acquire))
		return mine;
	free(mine);
	return s;
}

int
fp_reader_entry(const struct fp_reader *a, size_t i, struct fatpack_entry *out)
{
	const unsigned char *e;
	const char *names;
	int r;

	if ((r = fp_reader_check_entry(a, i, NULL, 0)) != 0)
		return r;
	if ((names = names_of(a, i)) == NULL)
		return FATPACK_ENOMEM;
	e = entry_ptr(a, i);
	out->index = i;
	out->path = names;
	out->path_len = fp_le32(e + FP_E_PATH_LEN);
	out->mime = names + out->path_len + 1;
	out->size = fp_le64(e + FP_E_SIZE);
	out->mtime = (int64_t)fp_le64(e + FP_E_MTIME);
	out->mode = fp_le32(e + FP_E_MODE);
	out->type = e[FP_E_TYPE] == FP_TYPE_DIR ? FATPACK_DIR : FATPACK_FILE;
	out->sha256 = e + FP_E_SHA;
	return 0;
}

long
fp_reader_find(const struct fp_reader *a, const char *path, size_t path_len)
{
	size_t pos;
	int r = search(a, a->count, path, path_len, &pos, NULL, 0);

	return r == 0 ? (long)pos : r;
}

int
fp_reader_lower_bound(const struct fp_reader *a, const char *path,
    size_t path_len, size_t *pos)
{
	int r = search(a, a->count, path, path_len, pos, NULL, 0);

	return r == FATPACK_ENOENT ? 0 : r;
}

/* Entry i as fp_reader_frame and fp_reader_decode take it: checked, and a
 * file, since a folder has no frame. */
static int
file_entry(const struct fp_reader *a, size_t i, const unsigned char **e)
{
	int r;

	if ((r = fp_reader_check_entry(a, i, NULL, 0)) != 0)
		return r;
	*e = entry_ptr(a, i);
	return (*e)[FP_E_TYPE] == FP_TYPE_DIR ? FATPACK_EISDIR : 0;
}

int
fp_reader_frame(const struct fp_reader *a, size_t i, struct fatpack_frame *f)
{
	const unsigned char *e;
	int r;

	if ((r = file_entry(a, i, &e)) != 0)
		return r;
	f->fd = a->fd;
	if (fp_le64(e + FP_E_SIZE) == 0) {
		f->offset = a->payload_offset;
		f->length = 0;
		return 0;
	}
	f->offset = a->payload_offset + fp_le64(e + FP_E_FRAME_OFF);
	f->length = fp_le64(e + FP_E_FRAME_SIZE);
	return 0;
}

int
fp_reader_frame_dict(const struct fp_reader *a, const struct fatpack_frame *f)
{
	unsigned char h[ZSTD_FRAMEHEADERSIZE_MAX];
	size_t n = f->length < sizeof(h) ? (size_t)f->length : sizeof(h);
	int r;

	if (!(a->flags & FP_FLAG_DICT) || n == 0)
		return 0;
	if ((r = fp_read_at(a->fd, h, n, f->offset)) != 0)
		return r;
	return ZSTD_getDictID_fromFrame(h, n) != 0;
}

/* --- decoding ------------------------------------------------------------- */

/* Reads and checks entry e's frame before allocating anything of the size
 * the index claims, then decodes it into a new buffer of size + 1 bytes. */
static int
decode_frame(const struct fp_reader *a, const unsigned char *e, size_t size,
    unsigned char **out)
{
	uint64_t fsize = fp_le64(e + FP_E_FRAME_SIZE);
	const ZSTD_DDict *dd = NULL;
	unsigned char *src;
	int r;

	if (fsize > SIZE_MAX)
		return FATPACK_ECORRUPT;
	if ((src = malloc((size_t)fsize)) == NULL)
		return FATPACK_ENOMEM;
	r = fp_read_at(a->fd, src, (size_t)fsize,
	    a->payload_offset + fp_le64(e + FP_E_FRAME_OFF));
	if (r == 0)
		r = fp_frame_check(src, (size_t)fsize, size, a->dict_id);
	if (r == 0 && ZSTD_getDictID_fromFrame(src, (size_t)fsize) != 0)
		r = ddict_of(a, &dd, NULL, 0);
	if (r == 0 && (*out = malloc(size + 1)) == NULL)
		r = FATPACK_ENOMEM;
	if (r == 0 && (r = decompress(*out, size, src, (size_t)fsize, dd)) != 0)
		free(*out);
	free(src);
	return r;
}

int
fp_reader_decode(const struct fp_reader *a, size_t i, void **out, size_t *size)
{
	const unsigned char *e;
	unsigned char *buf, sum[32];
	size_t n;
	int r;

	if ((r = file_entry(a, i, &e)) != 0)
		return r;
	n = (size_t)fp_le64(e + FP_E_SIZE);   /* fits: rule 31 */
	if (n > 0)
		r = decode_frame(a, e, n, &buf);
	else if ((buf = malloc(1)) == NULL)
		r = FATPACK_ENOMEM;
	if (r != 0)
		return r;
	sha256(buf, n, sum);
	if (memcmp(sum, e + FP_E_SHA, 32) != 0) {
		free(buf);
		return FATPACK_ECHECKSUM;
	}
	buf[n] = '\0';
	*out = buf;
	*size = n;
	return 0;
}

int
fp_reader_meta_next(const struct fp_reader *a, size_t *pos, struct fp_kv *kv)
{
	const char *p, *eq, *nl;

	if (*pos >= a->meta_size)
		return 0;
	/* check_meta made every line "key=value\n" */
	p = a->meta + *pos;
	nl = memchr(p, '\n', a->meta_size - *pos);
	eq = memchr(p, '=', (size_t)(nl - p));
	kv->key = p;
	kv->key_len = (size_t)(eq - p);
	kv->value = eq + 1;
	kv->value_len = (size_t)(nl - eq - 1);
	*pos = (size_t)(nl - a->meta) + 1;
	return 1;
}

const char *
fp_reader_meta(const struct fp_reader *a, const char *key, size_t *len)
{
	size_t klen = strlen(key), pos = 0;
	struct fp_kv kv;

	while (fp_reader_meta_next(a, &pos, &kv))
		if (kv.key_len == klen && memcmp(kv.key, key, klen) == 0) {
			*len = kv.value_len;
			return kv.value;
		}
	return NULL;
}
