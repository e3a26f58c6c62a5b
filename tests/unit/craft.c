/*
 * craft.c - building fatpack artifacts in memory for the unit tests (see
 * craft.h). The layout follows docs/FORMAT.md; bundler/pack.c is not used,
 * so that a test can build what the writer never would.
 */
#define ZSTD_STATIC_LINKING_ONLY
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <zstd.h>

#include "format/format.h"
#include "format/reader.h"
#include "format/sha256.h"
#include "craft.h"

/* --- little-endian writers ------------------------------------------------ */

/* --- a growable byte buffer ----------------------------------------------- */

void
reserve(struct buf *b, size_t more)
{
	if (b->len + more <= b->cap)
		return;
	b->cap = (b->len + more) * 2;
	if ((b->p = realloc(b->p, b->cap)) == NULL)
		abort();
}

void
append(struct buf *b, const void *data, size_t len)
{
	if (len == 0)   /* b->p and data may be NULL */
		return;
	reserve(b, len);
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

void
append_zero(struct buf *b, size_t len)
{
	reserve(b, len);
	memset(b->p + b->len, 0, len);
	b->len += len;
}

/* --- a minimal ELF64 image ------------------------------------------------ */

#define ELF_SHOFF 104u         /* section headers after the strings */
#define ELF_SHDR 64u

void
append_elf(struct buf *b, const char *section, int symtab)
{
	unsigned char e[ELF_SHOFF + 4 * ELF_SHDR];
	unsigned char *sh = e + ELF_SHOFF;
	unsigned shnum = symtab ? 4 : 3;
	char strtab[20];

	memset(e, 0, sizeof(e));
	memcpy(e, "\177ELF\2\1\1", 7);
	fp_put_le16(e + 0x10, 2);            /* ET_EXEC */
	fp_put_le16(e + 0x12, 62);           /* x86-64 */
	fp_put_le32(e + 0x14, 1);
	fp_put_le64(e + 0x28, ELF_SHOFF);    /* e_shoff */
	fp_put_le16(e + 0x34, 64);
	fp_put_le16(e + 0x36, 56);
	fp_put_le16(e + 0x3A, ELF_SHDR);
	fp_put_le16(e + 0x3C, (uint16_t)shnum);
	fp_put_le16(e + 0x3E, 2);            /* e_shstrndx */
	memcpy(e + 64, FP_RUNTIME_MARK, sizeof(FP_RUNTIME_MARK));
	memset(strtab, 0, sizeof(strtab));
	snprintf(strtab + 1, sizeof(strtab) - 1, "%s", section);
	memcpy(strtab + 10, ".shstrtab", 10);
	memcpy(e + 82, strtab, 20);
	/* section 1: the marker, PROGBITS */
	fp_put_le32(sh + 64, 1);
	fp_put_le32(sh + 64 + 4, 1);
	fp_put_le64(sh + 64 + 0x18, 64);
	fp_put_le64(sh + 64 + 0x20, sizeof(FP_RUNTIME_MARK));
	/* section 2: .shstrtab, STRTAB */
	fp_put_le32(sh + 128, 10);
	fp_put_le32(sh + 128 + 4, 3);
	fp_put_le64(sh + 128 + 0x18, 82);
	fp_put_le64(sh + 128 + 0x20, 20);
	/* section 3: an empty SYMTAB (unnamed: only its type matters) */
	fp_put_le32(sh + 192 + 4, 2);
	append(b, e, ELF_SHOFF + shnum * ELF_SHDR);
}

/* --- zstd frames ---------------------------------------------------------- */

/* The dictionary build_dict compresses content frames with, or NULL. */
static const struct buf *use_dict;

size_t
compress_frame(struct buf *b, const void *data, size_t len, int checksum,
    int content_size)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	size_t bound = ZSTD_compressBound(len), n;

	if (use_dict != NULL)
		ZSTD_CCtx_loadDictionary(c, use_dict->p, use_dict->len);
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, checksum);
	ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, content_size);
	ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, FP_WINDOW_LOG_MAX);
	reserve(b, bound);
	n = ZSTD_compress2(c, b->p + b->len, bound, data, len);
	if (ZSTD_isError(n))
		abort();
	ZSTD_freeCCtx(c);
	b->len += n;
	return n;
}

void
reframe(struct buf *b, const unsigned char *src, size_t len,
    const struct zhead *h)
{
	size_t hlen = ZSTD_frameHeaderSize(src, len);
	unsigned char fhd = 0, w[8];

	if (ZSTD_isError(hlen) || len < hlen + 4)
		abort();
	fp_put_le32(w, 0xFD2FB528u);
	append(b, w, 4);
	if (h->has_size)
		fhd |= 3 << 6;                 /* 8-byte content size */
	if (h->window_log == 0)
		fhd |= 1 << 5;                 /* single segment */
	if (h->checksum)
		fhd |= 1 << 2;
	if (h->dict_id != 0)
		fhd |= 3;                      /* 4-byte dictionary ID */
	append(b, &fhd, 1);
	if (h->window_log != 0) {
		w[0] = (unsigned char)((h->window_log - 10) << 3);
		append(b, w, 1);
	}
	if (h->dict_id != 0) {
		fp_put_le32(w, h->dict_id);
		append(b, w, 4);
	}
	if (h->has_size) {
		fp_put_le64(w, h->content_size);
		append(b, w, 8);
	}
	append(b, src + hlen, len - hlen - (h->checksum ? 0 : 4));
}

/* --- artifacts ------------------------------------------------------------ */

void
reseal(struct art *t)
{
	unsigned char *tr = t->b.p + t->trailer;
	uint64_t len = fp_le64(tr + FP_T_INDEX_SIZE) - 8;

	/* a stored index of 1.2 or later; a compressed one has no header here */
	if (fp_le16(tr + FP_T_MINOR) >= FP_SUMS_MINOR)
		fp_index_seal(t->b.p + t->index_data, (size_t)len);
	reseal_trailer(t);
}

void
reseal_trailer(struct art *t)
{
	unsigned char *tr = t->b.p + t->trailer, sum[32];
	uint64_t len = fp_le64(tr + FP_T_INDEX_SIZE) - 8;

	sha256(t->b.p + t->index_data, (size_t)len, tr + FP_T_INDEX_SHA);
	sha256(tr, FP_T_CHECK, sum);
	memcpy(tr + FP_T_CHECK, sum, 8);
}

/* Appends entry te's content frame to t (if it has one); its length. */
static size_t
put_frame(struct art *t, const struct tentry *te, int checksum)
{
	if (te->type != FP_TYPE_FILE || te->len == 0)
		return 0;
	if (te->frame == NULL)
		return compress_frame(&t->b, te->data, te->len, checksum, 1);
	append(&t->b, te->frame, te->frame_len);
	return te->frame_len;
}

static void
put_entry(unsigned char *e, const struct tentry *te, struct art *t, size_t i,
    struct buf *strtab)
{
	fp_put_le64(e + FP_E_FRAME_OFF, t->frame_len[i] ? t->frame[i] - t->payload : 0);
	fp_put_le64(e + FP_E_FRAME_SIZE, t->frame_len[i]);
	fp_put_le64(e + FP_E_SIZE, te->len);
	fp_put_le64(e + FP_E_MTIME, (uint64_t)te->mtime);
	fp_put_le32(e + FP_E_PATH_OFF, (uint32_t)strtab->len);
	fp_put_le32(e + FP_E_PATH_LEN, (uint32_t)strlen(te->path));
	append(strtab, te->path, strlen(te->path));
	fp_put_le32(e + FP_E_MIME_OFF, (uint32_t)strtab->len);
	fp_put_le32(e + FP_E_MIME_LEN, (uint32_t)strlen(te->mime));
	append(strtab, te->mime, strlen(te->mime));
	fp_put_le32(e + FP_E_MODE, te->mode);
	e[FP_E_TYPE] = (unsigned char)te->type;
	if (te->type == FP_TYPE_FILE)
		sha256(te->data, te->len, e + FP_E_SHA);
}

static void
put_trailer(struct art *t, size_t index_off, uint32_t flags)
{
	unsigned char tr[FP_TRAILER_SIZE];

	memset(tr, 0, sizeof(tr));
	fp_put_le32(tr, FP_TRAILER_MAGIC);
	fp_put_le32(tr + 4, FP_TRAILER_DATA);
	memcpy(tr + FP_T_SIG, FP_TRAILER_SIG, 8);
	fp_put_le16(tr + FP_T_MAJOR, FP_VERSION_MAJOR);
	fp_put_le16(tr + FP_T_MINOR, FP_VERSION_MINOR);
	fp_put_le32(tr + FP_T_FLAGS, flags);
	fp_put_le64(tr + FP_T_PAYLOAD_OFF, t->payload);
	fp_put_le64(tr + FP_T_PAYLOAD_SIZE, t->b.len - t->payload);
	fp_put_le64(tr + FP_T_INDEX_OFF, index_off);
	fp_put_le64(tr + FP_T_INDEX_SIZE, t->b.len - t->payload - index_off);
	t->trailer = t->b.len;
	append(&t->b, tr, sizeof(tr));
	reseal(t);
}

/* The dictionary frame at the payload's start (FORMAT.md 4.3). */
static void
put_dict(struct art *t, const struct buf *d)
{
	unsigned char h[8];

	fp_put_le32(h, FP_DICT_MAGIC);
	fp_put_le32(h + 4, (uint32_t)d->len);
	t->dict = t->b.len;
	append(&t->b, h, 8);
	append(&t->b, d->p, d->len);
}

void
build(struct art *t, const struct tentry *te, size_t n, const char *meta,
    size_t meta_len, int checksum)
{
	struct buf strtab = { 0 }, ents = { 0 };
	unsigned char h[8 + FP_INDEX_HEADER];
	size_t i, index_off;

	memset(t, 0, sizeof(*t));
	append_elf(&t->b, FP_RUNTIME_SECTION, 0);
	append_zero(&t->b, FP_ALIGN - t->b.len % FP_ALIGN);
	t->payload = t->b.len;
	if (use_dict != NULL)
		put_dict(t, use_dict);
	append_zero(&ents, n * FP_ENTRY_SIZE);
	for (i = 0; i < n; i++) {
		t->frame[i] = t->b.len;
		t->frame_len[i] = put_frame(t, &te[i], checksum);
		put_entry(ents.p + i * FP_ENTRY_SIZE, &te[i], t, i, &strtab);
	}
	index_off = t->b.len - t->payload;
	memset(h, 0, sizeof(h));
	fp_put_le32(h, FP_INDEX_MAGIC);
	fp_put_le32(h + 4, (uint32_t)(FP_INDEX_HEADER + ents.len + strtab.len + meta_len));
	memcpy(h + 8, FP_INDEX_SIG, 8);
	fp_put_le32(h + 8 + FP_I_COUNT, (uint32_t)n);
	fp_put_le32(h + 8 + FP_I_ENTRY_SIZE, FP_ENTRY_SIZE);
	fp_put_le32(h + 8 + FP_I_STRTAB, (uint32_t)strtab.len);
	fp_put_le32(h + 8 + FP_I_META, (uint32_t)meta_len);
	append(&t->b, h, 8);
	t->index_data = t->b.len;
	append(&t->b, h + 8, FP_INDEX_HEADER);
	t->entries = t->b.len;
	append(&t->b, ents.p, ents.len);
	t->strtab = t->b.len;
	append(&t->b, strtab.p, strtab.len);
	append(&t->b, meta, meta_len);
	put_trailer(t, index_off, use_dict != NULL ? FP_FLAG_DICT : 0);
	free(strtab.p);
	free(ents.p);
}

void
build_dict(struct art *t, const struct tentry *te, size_t n, const char *meta,
    size_t meta_len, const struct buf *dict)
{
	unsigned char sum[32];
	char hex[65];
	struct buf m = { 0 };

	sha256(dict->p, dict->len, sum);
	sha256_hex(sum, hex);
	append(&m, FP_META_DICT_SHA "=", strlen(FP_META_DICT_SHA) + 1);
	append(&m, hex, 64);
	append(&m, "\n", 1);
	append(&m, meta, meta_len);
	use_dict = dict;
	build(t, te, n, (const char *)m.p, m.len, 1);
	use_dict = NULL;
	free(m.p);
}

void
set_index(struct art *t, const void *p, size_t n, uint32_t flags)
{
	unsigned char tr[FP_TRAILER_SIZE];

	memcpy(tr, t->b.p + t->trailer, sizeof(tr));
	t->b.len = t->index_data;
	append(&t->b, p, n);
	fp_put_le32(t->b.p + t->index_data - 4, (uint32_t)n);
	t->trailer = t->b.len;
	fp_put_le64(tr + FP_T_PAYLOAD_SIZE, t->b.len - t->payload);
	fp_put_le64(tr + FP_T_INDEX_SIZE, n + 8);
	fp_put_le32(tr + FP_T_FLAGS, flags);
	append(&t->b, tr, sizeof(tr));
	reseal(t);
	t->entries = t->strtab = 0;
}

int
open_bytes(const unsigned char *p, size_t len)
{
	int fd = memfd_create("artifact", MFD_CLOEXEC);

	if (fd < 0 || write(fd, p, len) != (ssize_t)len)
		abort();
	return fd;
}

int
try_open(const unsigned char *p, size_t len, char detail[256])
{
	struct fp_reader a;
	int fd = open_bytes(p, len), r;

	r = fp_reader_open(&a, fd, detail, 256);
	if (r == 0)
		fp_reader_close(&a);
	close(fd);
	return r;
}
