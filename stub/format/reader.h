/*
 * reader.h - reading a fatpack artifact from an open file descriptor.
 *
 * This is the one reader of the format (docs/FORMAT.md). The runtime wraps a
 * process-wide instance of it (stub/runtime/runtime.c); the read commands
 * (stub/inspect/) use it on any artifact, for `fatpack X APP` and for
 * `APP --fatpack-X` alike.
 * It holds no global state and keeps no decoded bytes: decoding is the
 * caller's business; what it keeps per entry is which rules the entry passed
 * and its strings as C strings. Errors are the FATPACK_E* codes of include/fatpack.h.
 */
#ifndef FP_READER_H
#define FP_READER_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "fatpack.h"
#include "format.h"

/* n bytes of the file, mapped where they lie or read into memory
 * (fp_span_get in reader.c). */
struct fp_span {
	unsigned char *p;          /* the bytes */
	void *base;                /* what to unmap or free */
	size_t mapped;             /* the mapping's length; 0 when read */
};

struct fp_reader {
	int fd;                    /* not owned: the caller closes it */
	int lazy;                  /* opened by fp_reader_open_lazy */
	uint64_t file_size;
	uint64_t payload_offset;   /* absolute */
	uint64_t payload_size;
	uint64_t index_offset;     /* payload-relative */
	uint64_t index_size;
	unsigned version_major, version_minor;
	uint32_t flags;            /* FP_FLAG_* */
	int sums;                  /* the index holds checks (version 1.2 on) */
	int index_hashed;          /* rule 11 was checked at open */
	unsigned char index_sha256[32]; /* the trailer's */
	const unsigned char *index; /* index data (decoded if it was compressed) */
	size_t index_len;
	struct fp_span index_span; /* what index lies in, owned */
	uint32_t count;            /* entries */
	uint32_t entry_size;
	const unsigned char *entries;
	const char *strtab;
	uint32_t strtab_size;
	const char *meta;
	uint32_t meta_size;
	/* One slot per entry, filled on first touch (any thread): the rules
	 * it passed (lazy open only) and its path and MIME type as C strings. */
	_Atomic unsigned char *checked;
	_Atomic(char *) *names;
	/* With FP_FLAG_DICT: the dictionary frame at payload offset 0, its
	 * zstd dictionary ID and SHA-256 (FORMAT.md 4.3), and the decoding
	 * dictionary (struct ddict in reader.c: a ZSTD_DDict by reference to
	 * the dictionary's bytes), made once on first use by any thread. */
	uint32_t dict_id;
	uint64_t dict_size;        /* the whole frame, its header included */
	unsigned char dict_sha256[32];
	_Atomic(void *) *ddict;
};

/* Reads and validates the trailer and the whole index of the file open on
 * fd (docs/FORMAT.md 7.1, every rule of sections 2 and 4). On failure returns
 * a FATPACK_E* code and, when detail is not NULL, writes a one-line
 * explanation into it. */
int fp_reader_open(struct fp_reader *a, int fd, char *detail, size_t len);

/* The same with the work at open independent of the number of entries
 * (FORMAT.md 7.1): the trailer, the index frame and index headers and the
 * metadata are checked now; an entry's rules when it is first touched by
 * fp_reader_entry, _find, _lower_bound, _frame or _decode, from any
 * thread. A stored (uncompressed) index is mapped, not read; its SHA-256
 * (rule 11) is checked only when the file has no checks of its own
 * (version 1.0 and 1.1) or the index is compressed. */
int fp_reader_open_lazy(struct fp_reader *a, int fd, char *detail, size_t len);

/* Rule 11, the index against the trailer's SHA-256, when the open did not
 * check it: what a check of the trailer (a signature) needs to cover the
 * index. 0 or FATPACK_ECHECKSUM with detail. */
int fp_reader_check_index(const struct fp_reader *a, char *detail, size_t len);

/* The checks a 1.2 index holds (FORMAT.md 4), the writer's and the reader's:
 * entry e's, number i of the index whose header is hdr, over the header's
 * check, i, its entry_size bytes with the check zeroed, its path and its
 * MIME type (strings inside strtab); and the header's, over header bytes
 * 0..23 and the metadata. */
void fp_entry_sum(const unsigned char *hdr, uint32_t i, const unsigned char *e,
    const char *strtab, unsigned char out[FP_SUM_LEN]);
void fp_header_sum(const unsigned char *hdr, const char *meta, size_t meta_len,
    unsigned char out[FP_SUM_LEN]);

/* Writes every check into index data p[0..len) (header, entries, strtab,
 * meta): the writer's last step, and a test's after it changed the index.
 * Entries whose strings lie outside strtab keep theirs. -1, changing
 * nothing, when the header's signature or sizes do not hold. */
int fp_index_seal(unsigned char *p, size_t len);

/* n zeroed slots of size bytes each, or NULL. From a page on, mapped pages
 * the system zero-fills when first touched, so a table of one slot per
 * entry costs the pages a lookup touches, not its size (calloc clears all
 * of it when it is small enough to come from the heap: 3,224 entries cost
 * 11 page faults more at start). Freed by fp_slots_free. */
void *fp_slots_alloc(size_t n, size_t size);
void fp_slots_free(void *p, size_t n, size_t size);

/* Releases what fp_reader_open allocated (not the descriptor). */
void fp_reader_close(struct fp_reader *a);

/* Checks the rules of entry i (FORMAT.md 7.1, rules 23 to 32), once: what
 * every call on an entry does first. 0, FATPACK_ERANGE or FATPACK_ECORRUPT
 * with detail as fp_reader_open gives it. */
int fp_reader_check_entry(const struct fp_reader *a, size_t i, char *detail,
    size_t len);

/* Fills *e for entry i (no decoding): 0, FATPACK_ERANGE, FATPACK_ECORRUPT
 * or FATPACK_ENOMEM (the first touch copies its strings). */
int fp_reader_entry(const struct fp_reader *a, size_t i, struct fatpack_entry *e);

/* Binary search for path (index form), each entry it looks at checked
 * first: the position, FATPACK_ENOENT, or FATPACK_ECORRUPT. */
long fp_reader_find(const struct fp_reader *a, const char *path, size_t path_len);

/* The first entry whose path does not sort before path[0..path_len):
 * 0 and *pos (count when none), or FATPACK_ECORRUPT. */
int fp_reader_lower_bound(const struct fp_reader *a, const char *path,
    size_t path_len, size_t *pos);

/* Absolute frame location of entry i. */
int fp_reader_frame(const struct fp_reader *a, size_t i, struct fatpack_frame *f);

/* Whether frame f, from fp_reader_frame, names the payload's dictionary
 * (FORMAT.md 4.3), so that only a fatpack reader decodes it: 1, 0, or
 * FATPACK_EIO or FATPACK_ETRUNC when its header cannot be read. A header
 * too broken to name a dictionary is 0: decoding it fails (rules 39 to 41). */
int fp_reader_frame_dict(const struct fp_reader *a,
    const struct fatpack_frame *f);

/* Decodes entry i into a new malloc'd buffer of size+1 bytes (NUL-terminated),
 * checking the frame's zstd checksum, its decoded size and its SHA-256.
 * *out is set only on success. */
int fp_reader_decode(const struct fp_reader *a, size_t i, void **out, size_t *size);

/* Value of a metadata key (a pointer into the index, not NUL-terminated). */
const char *fp_reader_meta(const struct fp_reader *a, const char *key, size_t *len);

/* One "key=value" line of the metadata; pointers into the index. */
struct fp_kv {
	const char *key, *value;
	size_t key_len, value_len;
};

/* Steps *pos (start at 0) through the metadata lines in order; 0 at the end. */
int fp_reader_meta_next(const struct fp_reader *a, size_t *pos, struct fp_kv *kv);

/* Whether the file open on fd is an ELF file holding the runtime marker
 * section (FORMAT.md 5). Reads the ELF headers only, trusting none of them. */
int fp_has_runtime(int fd);

/* The architecture an ELF machine number (e_machine) names, as uname -m
 * and `fatpack build --target` spell it ("x86_64", "aarch64"), or NULL. */
const char *fp_machine_name(unsigned machine);

/* The e_machine of the ELF file open on fd, when it is of the only kind
 * fatpack writes (ELFCLASS64, little-endian); -1 otherwise. */
int fp_elf_machine(int fd);

/* Whether src[0..src_len) is one zstd frame as the format allows it
 * (FORMAT.md 3: content size size declared, content checksum, a
 * dictionary ID of 0 or dict_id (0: no dictionary allowed), window at most
 * 8 MiB, nothing after it): 0 or FATPACK_ECORRUPT. Nothing is decoded. */
int fp_frame_check(const unsigned char *src, size_t src_len, uint64_t size,
    uint32_t dict_id);

/* Reads exactly len bytes at off: 0, FATPACK_EIO (errno set) or
 * FATPACK_ETRUNC when the file ends first. */
int fp_read_at(int fd, void *buf, size_t len, uint64_t off);

#endif
