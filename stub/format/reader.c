/*
 * archive.c - the one reader of the fatpack format (docs/FORMAT.md).
 *
 * Everything read from the file is hostile until checked: every offset and
 * length is range-checked with arithmetic that cannot overflow, and nothing is
 * allocated from a count before the count is known to fit in bytes already
 * read. The checks run in the order the spec gives, so the first failure is
 * the one reported.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>
#include <zstd_errors.h>

#include "reader.h"
#include "format.h"
#include "sha256.h"

#define ZSTD_FRAME_MAGIC 0xFD2FB528u
#define ZSTD_FHD_CHECKSUM 0x04u        /* Content_Checksum_flag (RFC 8878) */
#define FP_MIME_MAX 255u
#define ZSTD_RATIO_MAX ((128u << 10) / 4)

/* ELF64 offsets used to tell "payload lost" from "not a fat binary". */
#define ELF_HDR_SIZE 64u
#define ELF_SHDR_MIN 64u
#define ELF_PHDR_MIN 56u

static uint16_t
le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

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

/* Reads exactly len bytes at off: 0, FATPACK_EIO (errno set) or
 * FATPACK_ETRUNC when the file ends first. */
static int
read_at(int fd, void *buf, size_t len, uint64_t off)
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

/* --- no trailer: payload lost, cut short, or not a fat binary ------------ */

struct elf_scan {
	int fd;
	uint64_t file_size;
	uint64_t end;          /* end of the ELF image as its headers describe it */
	int has_runtime;
};

static void
extend(struct elf_scan *s, uint64_t off, uint64_t size)
{
	uint64_t end;

	if (add_ok(off, size, &end) && end > s->end)
		s->end = end;
}

static void
scan_segments(struct elf_scan *s, const unsigned char *eh)
{
	uint64_t phoff = le64(eh + 0x20);
	uint16_t entsize = le16(eh + 0x36), num = le16(eh + 0x38);
	unsigned char ph[ELF_PHDR_MIN];
	uint16_t i;

	if (num == 0 || entsize < ELF_PHDR_MIN)
		return;
	extend(s, phoff, (uint64_t)entsize * num);
	for (i = 0; i < num; i++) {
		if (read_at(s->fd, ph, sizeof(ph), phoff + (uint64_t)i * entsize) != 0)
			return;
		extend(s, le64(ph + 0x08), le64(ph + 0x20));  /* p_offset, p_filesz */
	}
}

/* Is the name at offset name of the section name table the runtime's? */
static int
is_runtime_name(struct elf_scan *s, const unsigned char *strsh, uint32_t name)
{
	char buf[sizeof(FP_RUNTIME_SECTION)];
	uint64_t stroff = le64(strsh + 0x18), strsize = le64(strsh + 0x20);

	if (strsize < sizeof(buf) || name > strsize - sizeof(buf))
		return 0;
	if (read_at(s->fd, buf, sizeof(buf), stroff + name) != 0)
		return 0;
	return memcmp(buf, FP_RUNTIME_SECTION, sizeof(buf)) == 0;
}

static void
scan_sections(struct elf_scan *s, const unsigned char *eh)
{
	uint64_t shoff = le64(eh + 0x28);
	uint16_t entsize = le16(eh + 0x3A), num = le16(eh + 0x3C);
	uint16_t strndx = le16(eh + 0x3E), i;
	unsigned char sh[ELF_SHDR_MIN], strsh[ELF_SHDR_MIN];

	/* num == 0 with extended numbering is not produced for executables
	 * of a sane size; without a table there is no marker to find. */
	if (num == 0 || entsize < ELF_SHDR_MIN || strndx >= num)
		return;
	extend(s, shoff, (uint64_t)entsize * num);
	if (read_at(s->fd, strsh, sizeof(strsh),
	    shoff + (uint64_t)strndx * entsize) != 0)
		return;
	for (i = 0; i < num; i++) {
		if (read_at(s->fd, sh, sizeof(sh), shoff + (uint64_t)i * entsize) != 0)
			return;
		if (le32(sh + 0x04) != 8)  /* SHT_NOBITS occupies no file bytes */
			extend(s, le64(sh + 0x18), le64(sh + 0x20));
		if (i != 0 && is_runtime_name(s, strsh, le32(sh)))
			s->has_runtime = 1;
	}
}

static int
no_trailer(int fd, uint64_t file_size, char *detail, size_t len)
{
	struct elf_scan s = { fd, file_size, ELF_HDR_SIZE, 0 };
	unsigned char eh[ELF_HDR_SIZE];

	/* ELFCLASS64, little-endian: the only kind fatpack writes. */
	if (file_size >= sizeof(eh) && read_at(fd, eh, sizeof(eh), 0) == 0 &&
	    memcmp(eh, "\177ELF\2\1", 6) == 0) {
		scan_sections(&s, eh);
		scan_segments(&s, eh);
	}
	if (!s.has_runtime)
		return fail(FATPACK_ENOTFAT, detail, len,
		    "not a fat binary (no fatpack trailer)");
	if (file_size == s.end)
		return fail(FATPACK_ELOST, detail, len,
		    "payload lost: the file has the fatpack runtime but no "
		    "payload (stripped or rewritten by strip/objcopy after "
		    "fatpack build?)");
	return fail(FATPACK_ETRUNC, detail, len,
	    "truncated: payload trailer missing (file cut short?)");
}

/* --- trailer -------------------------------------------------------------- */

static int
has_trailer_frame(const unsigned char *t)
{
	return le32(t) == FP_TRAILER_MAGIC && le32(t + 4) == FP_TRAILER_DATA &&
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
	a->version_major = le16(t + FP_T_MAJOR);
	a->version_minor = le16(t + FP_T_MINOR);
	if (a->version_major != FP_VERSION_MAJOR)
		return fail(FATPACK_EVERSION, detail, len,
		    "unsupported format version %u.%u (this runtime reads %u.x)",
		    a->version_major, a->version_minor, FP_VERSION_MAJOR);
	a->flags = le32(t + FP_T_FLAGS);
	if (a->flags & ~FP_FLAGS_KNOWN)
		return fail(FATPACK_EVERSION, detail, len,
		    "unsupported format flags 0x%x in version %u.%u (this runtime "
		    "knows 0x%x)", a->flags, a->version_major, a->version_minor,
		    FP_FLAGS_KNOWN);
	a->payload_offset = le64(t + FP_T_PAYLOAD_OFF);
	a->payload_size = le64(t + FP_T_PAYLOAD_SIZE);
	a->index_offset = le64(t + FP_T_INDEX_OFF);
	a->index_size = le64(t + FP_T_INDEX_SIZE);
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
	if (!add_ok(a->index_offset, a->index_size, &index_end) ||
	    index_end != a->payload_size)
		return fail(FATPACK_ECORRUPT, detail, len,
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

/* Reads the index frame and checks its SHA-256 and its skippable header. */
static int
load_index(struct fp_reader *a, const unsigned char *t, char *detail,
    size_t len)
{
	unsigned char hdr[8], sum[32];
	uint64_t off = a->payload_offset + a->index_offset;
	int r;

	a->index_len = (size_t)(a->index_size - 8);
	if ((a->index = malloc(a->index_len)) == NULL)
		return fail(FATPACK_ENOMEM, detail, len, "out of memory for the index");
	if ((r = read_at(a->fd, hdr, 8, off)) != 0 ||
	    (r = read_at(a->fd, a->index, a->index_len, off + 8)) != 0)
		return fail(r == FATPACK_EIO ? r : FATPACK_ETRUNC, detail, len,
		    "reading the index: %s",
		    r == FATPACK_EIO ? strerror(errno) : "file ends early");
	sha256(a->index, a->index_len, sum);
	if (memcmp(sum, t + FP_T_INDEX_SHA, 32) != 0)
		return fail(FATPACK_ECHECKSUM, detail, len, "index checksum mismatch");
	if (le32(hdr) != FP_INDEX_MAGIC || le32(hdr + 4) != a->index_len)
		return fail(FATPACK_ECORRUPT, detail, len,
		    "index: bad skippable frame header");
	return 0;
}

/* --- zstd frames ---------------------------------------------------------- */

/* A frame we accept: one zstd data frame that is exactly src_len bytes,
 * declares the expected content size and carries a content checksum. */
static int
check_frame(const unsigned char *src, size_t src_len, uint64_t size)
{
	if (src_len < 6 || le32(src) != ZSTD_FRAME_MAGIC)
		return FATPACK_ECORRUPT;
	if (!(src[4] & ZSTD_FHD_CHECKSUM))
		return FATPACK_ECORRUPT;
	if (ZSTD_getFrameContentSize(src, src_len) != size)
		return FATPACK_ECORRUPT;
	/* a block of 4 bytes (header and one RLE byte) decodes to 128 KiB at
	 * most: a frame claiming more than that ratio is corrupt */
	if (size / ZSTD_RATIO_MAX > src_len)
		return FATPACK_ECORRUPT;
	if (ZSTD_findFrameCompressedSize(src, src_len) != src_len)
		return FATPACK_ECORRUPT;
	return 0;
}

/* Decodes src into out, exactly size bytes, zstd's own checksum checked. */
static int
decompress(unsigned char *out, size_t size, const unsigned char *src,
    size_t src_len)
{
	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	size_t n;

	if (dctx == NULL)
		return FATPACK_ENOMEM;
	n = ZSTD_decompressDCtx(dctx, out, size, src, src_len);
	ZSTD_freeDCtx(dctx);
	if (ZSTD_isError(n))
		return ZSTD_getErrorCode(n) == ZSTD_error_checksum_wrong ?
		    FATPACK_ECHECKSUM : FATPACK_ECORRUPT;
	return n == size ? 0 : FATPACK_ECORRUPT;
}

/* --- index ---------------------------------------------------------------- */

static int
check_header(struct fp_reader *a, char *detail, size_t len)
{
	const unsigned char *p = a->index;
	uint64_t need;

	if (memcmp(p, FP_INDEX_SIG, 8) != 0)
		return fail(FATPACK_ECORRUPT, detail, len, "index: bad signature");
	a->count = le32(p + FP_I_COUNT);
	a->entry_size = le32(p + FP_I_ENTRY_SIZE);
	a->strtab_size = le32(p + FP_I_STRTAB);
	a->meta_size = le32(p + FP_I_META);
	if (a->entry_size < FP_ENTRY_SIZE)
		return fail(FATPACK_ECORRUPT, detail, len,
		    "index: entry size %u is below %u", a->entry_size, FP_ENTRY_SIZE);
	/* 32 + 2^32 * 2^32 + 2 * 2^32 fits in 64 bits */
	need = FP_INDEX_HEADER + (uint64_t)a->count * a->entry_size +
	    a->strtab_size + a->meta_size;
	if (need != a->index_len)
		return fail(FATPACK_ECORRUPT, detail, len,
		    "index: sizes add up to %llu bytes, frame holds %zu",
		    (unsigned long long)need, a->index_len);
	a->entries = p + FP_INDEX_HEADER;
	a->strtab = (const char *)a->entries + (size_t)a->count * a->entry_size;
	a->meta = a->strtab + a->strtab_size;
	return 0;
}

static const unsigned char *
entry_ptr(const struct fp_reader *a, size_t i)
{
	return a->entries + i * a->entry_size;
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t len, k;
	uint32_t c;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xC2 && p[0] <= 0xDF)
		len = 2, c = p[0] & 0x1F;
	else if (p[0] >= 0xE0 && p[0] <= 0xEF)
		len = 3, c = p[0] & 0x0F;
	else if (p[0] >= 0xF0 && p[0] <= 0xF4)
		len = 4, c = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (k = 1; k < len; k++) {
		if ((p[k] & 0xC0) != 0x80)
			return 0;
		c = c << 6 | (p[k] & 0x3F);
	}
	if ((len == 3 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) ||
	    (len == 4 && (c < 0x10000 || c > 0x10FFFF)))
		return 0;
	return len;
}

/* The path rules of FORMAT.md section 4; NULL when the path is fine. */
static const char *
path_problem(const unsigned char *p, size_t n)
{
	size_t i, comp = 0, k;

	if (n == 0)
		return "empty path";
	if (n > FP_PATH_MAX)
		return "path too long";
	if (p[0] == '/')
		return "absolute path";
	if (p[n - 1] == '/')
		return "path ends with '/'";
	for (i = 0; i <= n; i++) {
		if (i == n || p[i] == '/') {
			size_t clen = i - comp;

			if (clen == 0)
				return "empty path component";
			if ((clen == 1 && p[comp] == '.') ||
			    (clen == 2 && p[comp] == '.' && p[comp + 1] == '.'))
				return "'.' or '..' in path";
			comp = i + 1;
			continue;
		}
		if (p[i] == '\0')
			return "NUL in path";
		if (p[i] == '\\')
			return "backslash in path";
		if ((k = utf8_len(p + i, n - i)) == 0)
			return "path is not UTF-8";
		i += k - 1;
	}
	return NULL;
}

/* MIME types end up in HTTP headers: printable ASCII only, and short (RFC
 * 6838 caps type and subtype at 127 bytes each), which also bounds what the
 * NUL-terminated copies cost whatever the index claims. */
static const char *
mime_problem(const unsigned char *p, size_t n)
{
	size_t i;

	if (n > FP_MIME_MAX)
		return "MIME type too long";
	for (i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return "MIME type is not printable ASCII";
	return NULL;
}

static int
cmp_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/* Entry i's path, bounds already checked by check_strings. */
static const char *
path_of(const struct fp_reader *a, size_t i, size_t *len)
{
	const unsigned char *e = entry_ptr(a, i);

	*len = le32(e + FP_E_PATH_LEN);
	return a->strtab + le32(e + FP_E_PATH_OFF);
}

static int
string_in_strtab(const struct fp_reader *a, uint32_t off, uint32_t len)
{
	return (uint64_t)off + len <= a->strtab_size;
}

static int
check_entry(const struct fp_reader *a, uint32_t i, char *detail, size_t len)
{
	const unsigned char *e = entry_ptr(a, i);
	uint64_t foff = le64(e + FP_E_FRAME_OFF), fsize = le64(e + FP_E_FRAME_SIZE);
	uint64_t size = le64(e + FP_E_SIZE), fend;
	uint32_t poff = le32(e + FP_E_PATH_OFF), plen = le32(e + FP_E_PATH_LEN);
	const char *why;
	const char *path;
	size_t n;

	if (!string_in_strtab(a, poff, plen) ||
	    !string_in_strtab(a, le32(e + FP_E_MIME_OFF), le32(e + FP_E_MIME_LEN)))
		return fail(FATPACK_ECORRUPT, detail, len,
		    "index: entry %u string outside the string table", i);
	path = path_of(a, i, &n);
	if ((why = path_problem((const unsigned char *)path, n)) != NULL)
		return fail(FATPACK_ECORRUPT, detail, len,
		    "index: entry %u: %s", i, why);
	if ((why = mime_problem((const unsigned char *)a->strtab +
	    le32(e + FP_E_MIME_OFF), le32(e + FP_E_MIME_LEN))) != NULL)
		return fail(FATPACK_ECORRUPT, detail, len,
		    "index: entry %u: %s", i, why);
	if (i > 0) {
		size_t pn;
		const char *prev = path_of(a, i - 1, &pn);

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
	if (!add_ok(foff, fsize, &fend) || fend > a->index_offset)
		return fail(FATPACK_ECORRUPT, detail, len,
		    "index: entry %u frame outside the tar stream", i);
	if (size > SIZE_MAX - 1)
		return fail(FATPACK_ECORRUPT, detail, len,
		    "index: entry %u too large for this machine", i);
	return 0;
}

/* Binary search among entries 0 .. end-1. */
static long
find_in(const struct fp_reader *a, size_t end, const char *path, size_t path_len)
{
	size_t lo = 0, hi = end;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2, n;
		const char *p = path_of(a, mid, &n);
		int c = cmp_bytes(p, n, path, path_len);

		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Every parent folder of an entry must be a folder entry, and sorted order
 * puts it before the entry. This also rejects a file used as a folder. */
static int
check_parent(const struct fp_reader *a, uint32_t i, char *detail, size_t len)
{
	size_t n;
	const char *path = path_of(a, i, &n);
	const char *slash = memrchr(path, '/', n);
	long p;

	if (slash == NULL)
		return 0;
	p = find_in(a, i, path, (size_t)(slash - path));
	if (p < 0 || entry_ptr(a, (size_t)p)[FP_E_TYPE] != FP_TYPE_DIR)
		return fail(FATPACK_ECORRUPT, detail, len,
		    "index: entry %u parent folder missing", i);
	return 0;
}

static int
is_key_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
	    c == '.';
}

/* One metadata line (without its '\n'); NULL when it is well formed. */
static const char *
meta_line_problem(const unsigned char *p, size_t n, size_t *keylen)
{
	size_t k = 0, i, u;

	while (k < n && is_key_char(p[k]))
		k++;
	if (k == 0 || k == n || p[k] != '=')
		return "not a key=value line";
	for (i = k + 1; i < n; i += u)
		if (p[i] == '\0' || (u = utf8_len(p + i, n - i)) == 0)
			return "value is not UTF-8 text";
	*keylen = k;
	return NULL;
}

/* meta: "key=value\n" lines, keys bytewise sorted and unique, so that
 * fatpack_meta() can hand out C strings and --fatpack-info valid JSON. */
static int
check_meta(const struct fp_reader *a, char *detail, size_t len)
{
	const unsigned char *p = (const unsigned char *)a->meta;
	const unsigned char *end = p + a->meta_size, *prev = NULL;
	size_t prevlen = 0, keylen, line;
	const char *why;

	if (a->meta_size > 0 && end[-1] != '\n')
		return fail(FATPACK_ECORRUPT, detail, len,
		    "index: metadata does not end with a newline");
	for (line = 1; p < end; line++) {
		const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));

		if ((why = meta_line_problem(p, (size_t)(nl - p), &keylen)) != NULL)
			return fail(FATPACK_ECORRUPT, detail, len,
			    "index: metadata line %zu: %s", line, why);
		if (prev != NULL && cmp_bytes((const char *)prev, prevlen,
		    (const char *)p, keylen) >= 0)
			return fail(FATPACK_ECORRUPT, detail, len,
			    "index: metadata line %zu: key not sorted", line);
		prev = p;
		prevlen = keylen;
		p = nl + 1;
	}
	return 0;
}

/* One allocation holding the pointer array and the NUL-terminated copies. */
static char **
copy_strings(const struct fp_reader *a, int mime)
{
	size_t off = mime ? FP_E_MIME_OFF : FP_E_PATH_OFF;
	size_t lenoff = mime ? FP_E_MIME_LEN : FP_E_PATH_LEN;
	uint64_t total = (uint64_t)a->count * sizeof(char *);
	char **v, *s;
	size_t i;

	for (i = 0; i < a->count; i++)
		total += (uint64_t)le32(entry_ptr(a, i) + lenoff) + 1;
	if (total > SIZE_MAX || (v = malloc(total ? (size_t)total : 1)) == NULL)
		return NULL;
	s = (char *)(v + a->count);
	for (i = 0; i < a->count; i++) {
		const unsigned char *e = entry_ptr(a, i);
		size_t n = le32(e + lenoff);

		memcpy(s, a->strtab + le32(e + off), n);
		s[n] = '\0';
		v[i] = s;
		s += n + 1;
	}
	return v;
}

static int
check_index(struct fp_reader *a, char *detail, size_t len)
{
	uint32_t i;
	int r;

	if ((r = check_header(a, detail, len)) != 0)
		return r;
	for (i = 0; i < a->count; i++)
		if ((r = check_entry(a, i, detail, len)) != 0)
			return r;
	for (i = 0; i < a->count; i++)
		if ((r = check_parent(a, i, detail, len)) != 0)
			return r;
	if ((r = check_meta(a, detail, len)) != 0)
		return r;
	if ((a->paths = copy_strings(a, 0)) == NULL ||
	    (a->mimes = copy_strings(a, 1)) == NULL)
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
	if (check_frame(a->index, a->index_len, n) != 0)
		return fail(FATPACK_ECORRUPT, detail, len,
		    "index: corrupt compressed index");
	if ((out = malloc((size_t)n)) == NULL)
		return fail(FATPACK_ENOMEM, detail, len, "out of memory for the index");
	if ((r = decompress(out, (size_t)n, a->index, a->index_len)) != 0) {
		free(out);
		if (r == FATPACK_ENOMEM)
			return fail(r, detail, len, "out of memory for the index");
		return fail(FATPACK_ECORRUPT, detail, len,
		    "index: corrupt compressed index");
	}
	free(a->index);
	a->index = out;
	a->index_len = (size_t)n;
	return 0;
}

int
fp_reader_open(struct fp_reader *a, int fd, char *detail, size_t len)
{
	unsigned char t[FP_TRAILER_SIZE];
	struct stat st;
	int r;

	memset(a, 0, sizeof(*a));
	a->fd = fd;
	if (detail != NULL && len > 0)
		detail[0] = '\0';
	if (fstat(fd, &st) != 0)
		return fail(FATPACK_EIO, detail, len, "stat: %s", strerror(errno));
	a->file_size = st.st_size > 0 ? (uint64_t)st.st_size : 0;
	if (a->file_size < FP_TRAILER_SIZE)
		return no_trailer(fd, a->file_size, detail, len);
	r = read_at(fd, t, sizeof(t), a->file_size - FP_TRAILER_SIZE);
	if (r != 0)
		return fail(FATPACK_EIO, detail, len, "reading the trailer: %s",
		    r == FATPACK_EIO ? strerror(errno) : "file shrank");
	if (!has_trailer_frame(t))
		return no_trailer(fd, a->file_size, detail, len);
	if ((r = check_trailer(a, t, detail, len)) != 0 ||
	    (r = load_index(a, t, detail, len)) != 0 ||
	    ((a->flags & FP_FLAG_ZINDEX) &&
	    (r = inflate_index(a, detail, len)) != 0) ||
	    (r = check_index(a, detail, len)) != 0) {
		fp_reader_close(a);
		return r;
	}
	return 0;
}

void
fp_reader_close(struct fp_reader *a)
{
	free(a->index);
	free(a->paths);
	free(a->mimes);
	a->index = NULL;
	a->paths = a->mimes = NULL;
	a->entries = NULL;
	a->strtab = a->meta = NULL;
	a->count = 0;
}

int
fp_reader_entry(const struct fp_reader *a, size_t i, struct fatpack_entry *out)
{
	const unsigned char *e;

	if (i >= a->count)
		return FATPACK_ERANGE;
	e = entry_ptr(a, i);
	out->index = i;
	out->path = a->paths[i];
	out->path_len = le32(e + FP_E_PATH_LEN);
	out->mime = a->mimes[i];
	out->size = le64(e + FP_E_SIZE);
	out->mtime = (int64_t)le64(e + FP_E_MTIME);
	out->mode = le32(e + FP_E_MODE);
	out->type = e[FP_E_TYPE] == FP_TYPE_DIR ? FATPACK_DIR : FATPACK_FILE;
	out->sha256 = e + FP_E_SHA;
	return 0;
}

long
fp_reader_find(const struct fp_reader *a, const char *path, size_t path_len)
{
	return find_in(a, a->count, path, path_len);
}

int
fp_reader_frame(const struct fp_reader *a, size_t i, struct fatpack_frame *f)
{
	const unsigned char *e;

	if (i >= a->count)
		return FATPACK_ERANGE;
	e = entry_ptr(a, i);
	if (e[FP_E_TYPE] == FP_TYPE_DIR)
		return FATPACK_EISDIR;
	f->fd = a->fd;
	if (le64(e + FP_E_SIZE) == 0) {
		f->offset = a->payload_offset;
		f->length = 0;
		return 0;
	}
	f->offset = a->payload_offset + le64(e + FP_E_FRAME_OFF);
	f->length = le64(e + FP_E_FRAME_SIZE);
	return 0;
}

/* --- decoding ------------------------------------------------------------- */

/* Reads and checks entry e's frame before allocating anything of the size
 * the index claims, then decodes it into a new buffer of size + 1 bytes. */
static int
decode_frame(const struct fp_reader *a, const unsigned char *e, size_t size,
    unsigned char **out)
{
	uint64_t fsize = le64(e + FP_E_FRAME_SIZE);
	unsigned char *src;
	int r;

	if (fsize > SIZE_MAX)
		return FATPACK_ECORRUPT;
	if ((src = malloc((size_t)fsize)) == NULL)
		return FATPACK_ENOMEM;
	r = read_at(a->fd, src, (size_t)fsize,
	    a->payload_offset + le64(e + FP_E_FRAME_OFF));
	if (r == 0)
		r = check_frame(src, (size_t)fsize, size);
	if (r == 0 && (*out = malloc(size + 1)) == NULL)
		r = FATPACK_ENOMEM;
	if (r == 0 && (r = decompress(*out, size, src, (size_t)fsize)) != 0)
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
	int r = 0;

	if (i >= a->count)
		return FATPACK_ERANGE;
	e = entry_ptr(a, i);
	if (e[FP_E_TYPE] == FP_TYPE_DIR)
		return FATPACK_EISDIR;
	n = (size_t)le64(e + FP_E_SIZE);   /* fits: checked at open */
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

const char *
fp_reader_meta(const struct fp_reader *a, const char *key, size_t *len)
{
	const char *p = a->meta, *end = a->meta + a->meta_size;
	size_t klen = strlen(key);

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl != NULL ? nl : end;

		if ((size_t)(eol - p) > klen && memcmp(p, key, klen) == 0 &&
		    p[klen] == '=') {
			*len = (size_t)(eol - p - (ptrdiff_t)klen - 1);
			return p + klen + 1;
		}
		p = eol + 1;
	}
	return NULL;
}
