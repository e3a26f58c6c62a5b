/*
 * verify.c - every check of an artifact (`fatpack verify`,
 * `--fatpack-verify`), also run by extract before it writes anything.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/check.h"
#include "format/format.h"
#include "format/sha256.h"
#include "format/signature.h"
#include "format/tarcheck.h"
#include "common.h"

#define CHUNK (1u << 16)

/* sigcheck.c: in a runtime only when it requires its signature, so that
 * other artifacts do not carry key parsing and Ed25519 */
int fp_sig_check(const struct fp_inspect *in, char signer[17], char *detail,
    size_t len) __attribute__((weak));

/* Decodes every content frame: zstd checksum, size, SHA-256. */
static size_t
check_assets(const struct fp_inspect *in)
{
	struct fatpack_entry e;
	size_t i, n, bad = 0;
	void *data;
	int rc;

	for (i = 0; fp_reader_entry(in->r, i, &e) == 0; i++) {
		if (e.type != FATPACK_FILE)
			continue;
		if ((rc = fp_reader_decode(in->r, i, &data, &n)) != 0) {
			fp_msg(in->prog, "%s: %s: %s", in->file, e.path,
			    fp_strerror(rc));
			bad++;
			continue;
		}
		free(data);
	}
	return bad;
}

/* SHA-256 of the tar stream frames, payload bytes 0..index_offset-1. */
static int
hash_stream(const struct fp_reader *r, char hex[65])
{
	unsigned char *buf = malloc(CHUNK), sum[32];
	uint64_t off = 0;
	struct sha256 s;
	int rc = 0;

	if (buf == NULL)
		return FATPACK_ENOMEM;
	sha256_init(&s);
	while (rc == 0 && off < r->index_offset) {
		size_t n = r->index_offset - off < CHUNK ?
		    (size_t)(r->index_offset - off) : CHUNK;

		if ((rc = fp_read_at(r->fd, buf, n, r->payload_offset + off)) == 0)
			sha256_update(&s, buf, n);
		off += n;
	}
	sha256_final(&s, sum);
	sha256_hex(sum, hex);
	free(buf);
	return rc;
}

static size_t
check_payload_hash(const struct fp_inspect *in)
{
	size_t len;
	const char *want = fp_reader_meta(in->r, "payload_sha256", &len);
	char got[65], esc[80];
	int rc;

	if (want == NULL) {
		fp_msg(in->prog, "%s: metadata has no payload_sha256", in->file);
		return 1;
	}
	if ((rc = hash_stream(in->r, got)) != 0) {
		fp_msg(in->prog, "%s: reading the payload: %s", in->file,
		    rc == FATPACK_EIO ? strerror(errno) : fp_strerror(rc));
		return 1;
	}
	if (len != 64 || memcmp(want, got, 64) != 0) {
		fp_msg(in->prog, "%s: payload SHA-256 mismatch (metadata %s, "
		    "actual %s)", in->file, fp_escape(want, len, esc, sizeof(esc)),
		    got);
		return 1;
	}
	return 0;
}

static size_t
check_asset_count(const struct fp_inspect *in)
{
	struct fatpack_entry e;
	size_t i, assets = 0, len;
	const char *v = fp_reader_meta(in->r, "asset_count", &len);
	char esc[40];
	long long n;

	if (v == NULL)
		return 0;
	for (i = 0; fp_reader_entry(in->r, i, &e) == 0; i++)
		assets += e.type == FATPACK_FILE;
	if (fp_meta_int(in->r, "asset_count", &n) == 0 && n >= 0 &&
	    (unsigned long long)n == assets)
		return 0;
	fp_msg(in->prog, "%s: metadata asset_count is %s, the index holds %zu "
	    "assets", in->file, fp_escape(v, len, esc, sizeof(esc)), assets);
	return 1;
}

static size_t
check_runtime(const struct fp_inspect *in)
{
	if (fp_has_runtime(in->r->fd))
		return 0;
	fp_msg(in->prog, "%s: the program does not contain the fatpack runtime",
	    in->file);
	return 1;
}

static size_t
check_tar(const struct fp_inspect *in)
{
	char detail[FP_PATH_MAX + 512];

	if (fp_tar_check(in->r, detail, sizeof(detail)) == 0)
		return 0;
	fp_msg(in->prog, "%s: %s", in->file, detail);
	return 1;
}

/* The settings the runtime and the server act on, by the rules the build
 * wrote them with: what either would refuse or ignore is reported. */
static size_t
check_settings(const struct fp_inspect *in)
{
	static const struct {
		const char *key;
		const char *(*rule)(const char *);
	} known[] = {
		{ "jail", fp_check_jail },
		{ "mount", fp_check_mount },
		{ "mount.override", fp_check_override },
		{ "serve.cache_control", fp_check_cache_control },
		{ "serve.identity_cache", fp_check_identity_cache },
		{ "serve.listen", fp_check_listen },
		{ "serve.spa_fallback", fp_check_spa_fallback },
	};
	char value[FP_MOUNT_MAX + FP_HEADER_VALUE_MAX], esc[128];
	const char *v, *why;
	size_t i, len, bad = 0;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if ((v = fp_reader_meta(in->r, known[i].key, &len)) == NULL)
			continue;
		why = "too long";
		if (len < sizeof(value)) {
			memcpy(value, v, len);
			value[len] = '\0';
			why = known[i].rule(value);
		}
		if (why == NULL)
			continue;
		fp_msg(in->prog, "%s: metadata %s '%s': %s", in->file, known[i].key,
		    fp_escape(v, len, esc, sizeof(esc)), why);
		bad++;
	}
	return bad;
}

/* The signature (FORMAT.md 4.2): sigcheck.c's, when linked; without it,
 * only the frame, and a key to check with is an error. */
static size_t
check_signature(const struct fp_inspect *in, char signer[17])
{
	char detail[256];
	struct fp_sig s;
	size_t len;
	int rc = 0;

	signer[0] = '\0';
	if (fp_sig_check != NULL) {
		rc = fp_sig_check(in, signer, detail, sizeof(detail));
	} else if (in->key != NULL ||
	    fp_reader_meta(in->r, FP_META_SIGKEY, &len) != NULL) {
		snprintf(detail, sizeof(detail), "cannot check the signature: "
		    "this runtime has no signature check");
		rc = FATPACK_ENOENT;
	} else if (in->r->flags & FP_FLAG_SIGNED) {
		rc = fp_sig_read(in->r, &s, detail, sizeof(detail));
	}
	if (rc == 0)
		return 0;
	fp_msg(in->prog, "%s: %s", in->file, detail);
	return 1;
}

size_t
fp_check_all(const struct fp_inspect *in, char signer[17])
{
	size_t bad = check_assets(in);
	char none[17];

	bad += check_payload_hash(in);
	bad += check_asset_count(in);
	bad += check_settings(in);
	bad += check_runtime(in);
	bad += check_tar(in);
	bad += check_signature(in, signer != NULL ? signer : none);
	return bad;
}

int
fp_inspect_verify(const struct fp_inspect *in)
{
	struct fatpack_entry e;
	size_t i, assets = 0;
	uint64_t bytes = 0;
	char signer[17];

	if (fp_check_all(in, signer) > 0)
		return 1;
	for (i = 0; fp_reader_entry(in->r, i, &e) == 0; i++) {
		if (e.type != FATPACK_FILE)
			continue;
		assets++;
		bytes += e.size;   /* every asset decoded: the sizes are real */
	}
	printf("%s: OK (%zu assets, %" PRIu64 " bytes, %" PRIu32 " entries%s%s)"
	    "\n", in->file, assets, bytes, in->r->count,
	    signer[0] != '\0' ? ", signed by key " : "", signer);
	return 0;
}
