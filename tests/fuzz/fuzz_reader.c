/*
 * fuzz_reader.c - libFuzzer target for the format reader
 * (stub/format/reader.c) and everything a program reaches through it. Build
 * and run with tests/t_fuzz.sh:
 *     clang -fsanitize=fuzzer,address,undefined -iquote stub -Iinclude \
 *         tests/fuzz/fuzz_reader.c stub/format/reader.c \
 *         stub/format/check.c stub/format/sha256.c -lzstd -o fuzz_reader
 * Seeds: real artifacts, made by t_fuzz.sh at test time.
 *
 * The input is the whole file. It is opened twice: as it is, and with the
 * trailer's index SHA-256 and trailer_check recomputed, because a mutation
 * almost never gets past a SHA-256 and the code behind the checksums (index
 * layout, entries, metadata, frames) is what needs the fuzzing. Each time
 * with a full open and with a lazy one (FORMAT.md 7.1), which must agree.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "format/bytes.h"
#include "format/check.h"
#include "format/format.h"
#include "format/reader.h"
#include "format/sha256.h"

/* Entries claiming more are not decoded: a frame may legitimately claim
 * 32768 times its size, and allocating gigabytes tells nothing new. */
#define DECODE_MAX (16u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define must(cond) do { if (!(cond)) __builtin_trap(); } while (0)

/* The file, for the reader's pread calls: one memfd, refilled per input. */
static int
file_of(const uint8_t *data, size_t size)
{
	static int fd = -1;

	if (fd < 0 && (fd = memfd_create("fuzz", MFD_CLOEXEC)) < 0)
		abort();
	if (ftruncate(fd, 0) != 0 ||
	    (size > 0 && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	return fd;
}

/* Recomputes the index's checks (a stored 1.2 index) and SHA-256 (when the
 * trailer's index range lies in the file) and trailer_check of the last 96
 * bytes, so that mutations reach the rules past them. */
static void
reseal(unsigned char *p, size_t size)
{
	unsigned char *t = p + size - FP_TRAILER_SIZE, sum[32];
	uint64_t off = fp_le64(t + FP_T_PAYLOAD_OFF) + fp_le64(t + FP_T_INDEX_OFF);
	uint64_t len = fp_le64(t + FP_T_INDEX_SIZE);

	/* wrapped sums fail the comparisons or are refused before the read */
	if (len >= 8 && off < size && len <= size - off) {
		if (fp_le16(t + FP_T_MINOR) >= FP_SUMS_MINOR &&
		    !(fp_le32(t + FP_T_FLAGS) & FP_FLAG_ZINDEX))
			fp_index_seal(p + off + 8, (size_t)len - 8);
		sha256(p + off + 8, (size_t)len - 8, t + FP_T_INDEX_SHA);
	}
	sha256(t, FP_T_CHECK, sum);
	memcpy(t + FP_T_CHECK, sum, 8);
}

static void
check_entries(const struct fp_reader *a, uint64_t file_size)
{
	struct fatpack_entry e;
	struct fatpack_frame f;
	unsigned char sum[32];
	void *buf;
	size_t i, n;
	int r;

	for (i = 0; i < a->count; i++) {
		must(fp_reader_entry(a, i, &e) == 0 && e.index == i);
		must(strlen(e.path) == e.path_len &&
		    fp_check_path(e.path, e.path_len) == NULL);
		must(fp_check_mime(e.mime, strlen(e.mime)) == NULL);
		must(fp_reader_find(a, e.path, e.path_len) == (long)i);
		r = fp_reader_frame(a, i, &f);
		if (e.type == FATPACK_DIR) {
			must(r == FATPACK_EISDIR && e.size == 0);
			must(fp_reader_decode(a, i, &buf, &n) == FATPACK_EISDIR);
			continue;
		}
		must(r == 0 && f.offset <= file_size &&
		    f.length <= file_size - f.offset);
		must(e.size == 0 || f.length > 0);
		/* the frame lies inside the file: its header reads */
		r = fp_reader_frame_dict(a, &f);
		must(r == 0 || (r == 1 && (a->flags & FP_FLAG_DICT)));
		if (e.size > DECODE_MAX)
			continue;
		r = fp_reader_decode(a, i, &buf, &n);
		if (r != 0) {
			must(r == FATPACK_ECORRUPT || r == FATPACK_ECHECKSUM);
			continue;
		}
		/* what decodes is exactly what the index promises */
		sha256(buf, n, sum);
		must(n == e.size && ((char *)buf)[n] == '\0' &&
		    memcmp(sum, e.sha256, 32) == 0);
		free(buf);
	}
	must(fp_reader_entry(a, a->count, &e) == FATPACK_ERANGE);
	must(fp_reader_frame(a, a->count, &f) == FATPACK_ERANGE);
	must(fp_reader_decode(a, a->count, &buf, &n) == FATPACK_ERANGE);
}

/* Lookups of paths that may or may not be there: a hit is that path. A
 * lazy reader may find an entry whose other rules fail when it is read. */
static void
check_find(const struct fp_reader *a)
{
	static const char *const probe[] = {
		"", "a", "index.html", "css", "css/site.css", "sub/s.css",
		"hello.txt", "zzzz", "\xff", "a/", "/a",
	};
	struct fatpack_entry e;
	size_t k, n;
	long i;

	for (k = 0; k < sizeof(probe) / sizeof(probe[0]); k++) {
		n = strlen(probe[k]);
		if ((i = fp_reader_find(a, probe[k], n)) < 0) {
			must(i == FATPACK_ENOENT || (a->lazy && i == FATPACK_ECORRUPT));
			continue;
		}
		if (fp_reader_entry(a, (size_t)i, &e) == FATPACK_ECORRUPT &&
		    a->lazy)
			continue;
		must(fp_reader_entry(a, (size_t)i, &e) == 0 &&
		    e.path_len == n && memcmp(e.path, probe[k], n) == 0);
	}
}

/* Every line is key=value, keys valid, sorted and unique, values text, and
 * fp_reader_meta finds each one. */
static void
check_meta(const struct fp_reader *a)
{
	const char *prev = NULL, *v;
	size_t pos = 0, prevlen = 0, vlen, lines = 0;
	struct fp_kv kv;
	char key[256];

	while (fp_reader_meta_next(a, &pos, &kv)) {
		must(fp_check_meta_key(kv.key, kv.key_len) == NULL);
		must(fp_check_meta_value(kv.value, kv.value_len) == NULL);
		if (prev != NULL) {
			size_t m = prevlen < kv.key_len ? prevlen : kv.key_len;
			int c = memcmp(prev, kv.key, m);

			must(c < 0 || (c == 0 && prevlen < kv.key_len));
		}
		if (kv.key_len < sizeof(key)) {
			memcpy(key, kv.key, kv.key_len);
			key[kv.key_len] = '\0';
			v = fp_reader_meta(a, key, &vlen);
			must(v == kv.value && vlen == kv.value_len);
		}
		prev = kv.key;
		prevlen = kv.key_len;
		lines++;
	}
	must(pos == a->meta_size && (a->meta_size == 0) == (lines == 0));
}

/* The lazy open of the same file: it takes every file the full open takes,
 * and then every entry; on one the full open refuses, what it takes reads
 * as the full open would (check_entries), and what it refuses it says why. */
static void
exercise_lazy(const uint8_t *data, size_t size, int full_ok)
{
	struct fp_reader a;
	char detail[512];
	size_t i;
	int r, all = 1;

	r = fp_reader_open_lazy(&a, file_of(data, size), detail, sizeof(detail));
	must(r == 0 || !full_ok);
	if (r != 0)
		return;
	check_find(&a);
	for (i = 0; i < a.count; i++) {
		r = fp_reader_check_entry(&a, i, detail, sizeof(detail));
		must(r == 0 || (!full_ok && r == FATPACK_ECORRUPT &&
		    detail[0] != '\0' && strchr(detail, '\n') == NULL));
		all &= r == 0;
	}
	if (all)
		check_entries(&a, size);
	check_meta(&a);
	fp_reader_close(&a);
}

static void
exercise(const uint8_t *data, size_t size)
{
	struct fp_reader a;
	char detail[512];
	int r;

	r = fp_reader_open(&a, file_of(data, size), detail, sizeof(detail));
	exercise_lazy(data, size, r == 0);
	if (r != 0) {
		/* a refusal is a known code with a one-line reason */
		must(r <= FATPACK_ENOTFAT && r >= FATPACK_ERANGE && r != FATPACK_ENOENT &&
		    r != FATPACK_EISDIR && detail[0] != '\0' &&
		    strchr(detail, '\n') == NULL);
		return;
	}
	must(a.payload_offset % FP_ALIGN == 0 &&
	    a.payload_offset + a.payload_size + FP_TRAILER_SIZE == size);
	check_entries(&a, size);
	check_find(&a);
	check_meta(&a);
	fp_reader_close(&a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *copy;

	exercise(data, size);
	if (size < FP_TRAILER_SIZE)
		return 0;
	if ((copy = malloc(size)) == NULL)
		abort();
	memcpy(copy, data, size);
	reseal(copy, size);
	exercise(copy, size);
	free(copy);
	return 0;
}
