/*
 * signature.c - the signed statement, the signature frame and public keys
 * (docs/FORMAT.md section 4.2). The same code for the signer (bundler/sign.c)
 * and every verifier (stub/inspect/sigcheck.c), so they cannot disagree on
 * what is signed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "sha256.h"
#include "signature.h"

#define CHUNK (1u << 16)

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* minisign's algorithm tag of a public key: Ed25519 */
static const unsigned char key_alg[2] = { 'E', 'd' };

/* SHA-256 of the file's bytes [0, n). */
static int
hash_head(int fd, uint64_t n, unsigned char sum[32])
{
	unsigned char *buf = malloc(CHUNK);
	struct sha256 s;
	uint64_t off = 0;
	int rc = 0;

	if (buf == NULL)
		return FATPACK_ENOMEM;
	sha256_init(&s);
	while (rc == 0 && off < n) {
		size_t k = n - off < CHUNK ? (size_t)(n - off) : CHUNK;

		if ((rc = fp_read_at(fd, buf, k, off)) == 0)
			sha256_update(&s, buf, k);
		off += k;
	}
	sha256_final(&s, sum);
	free(buf);
	return rc;
}

int
fp_sig_statement(int fd, uint64_t payload_offset,
    const unsigned char trailer[FP_TRAILER_SIZE],
    unsigned char out[FP_STATEMENT_LEN])
{
	unsigned char *p = out;

	memcpy(p, FP_SIG_CONTEXT, sizeof(FP_SIG_CONTEXT));
	p += sizeof(FP_SIG_CONTEXT);
	memcpy(p + 32, trailer, FP_TRAILER_SIZE);
	return hash_head(fd, payload_offset, p);
}

int
fp_sig_statement_of(const struct fp_reader *r,
    unsigned char out[FP_STATEMENT_LEN])
{
	unsigned char t[FP_TRAILER_SIZE];
	int rc;

	if ((rc = fp_read_at(r->fd, t, sizeof(t),
	    r->file_size - FP_TRAILER_SIZE)) != 0)
		return rc;
	return fp_sig_statement(r->fd, r->payload_offset, t, out);
}

void
fp_sig_frame(unsigned char frame[FP_SIG_FRAME], const struct fp_sig *s)
{
	memset(frame, 0, FP_SIG_FRAME);
	fp_put_le32(frame, FP_SIG_MAGIC);
	fp_put_le32(frame + 4, FP_SIG_DATA);
	memcpy(frame + 8, FP_SIG_TAG, sizeof(FP_SIG_TAG));
	memcpy(frame + 16, s->id, FP_KEY_ID_LEN);
	memcpy(frame + 16 + FP_KEY_ID_LEN, s->sig, FP_SIGNATURE_LEN);
}

int
fp_sig_read(const struct fp_reader *r, struct fp_sig *s, char *detail,
    size_t len)
{
	static const unsigned char tag[8] = FP_SIG_TAG;
	unsigned char f[FP_SIG_FRAME];
	int rc;

	if (!(r->flags & FP_FLAG_SIGNED)) {
		snprintf(detail, len, "not signed");
		return FATPACK_ENOENT;
	}
	rc = fp_read_at(r->fd, f, sizeof(f),
	    r->payload_offset + r->index_offset + r->index_size);
	if (rc != 0) {
		snprintf(detail, len, "reading the signature: %s",
		    rc == FATPACK_EIO ? strerror(errno) : "file ends early");
		return rc;
	}
	if (fp_le32(f) != FP_SIG_MAGIC || fp_le32(f + 4) != FP_SIG_DATA) {
		snprintf(detail, len, "signature: bad skippable frame header");
		return FATPACK_ECORRUPT;
	}
	if (memcmp(f + 8, tag, sizeof(tag)) != 0) {
		snprintf(detail, len, "signature: bad tag");
		return FATPACK_ECORRUPT;
	}
	memcpy(s->id, f + 16, FP_KEY_ID_LEN);
	memcpy(s->sig, f + 16 + FP_KEY_ID_LEN, FP_SIGNATURE_LEN);
	return 0;
}

void
fp_base64(const unsigned char *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i + 2 < n; i += 3, p += 3) {
		*out++ = b64[p[0] >> 2];
		*out++ = b64[(p[0] & 3) << 4 | p[1] >> 4];
		*out++ = b64[(p[1] & 15) << 2 | p[2] >> 6];
		*out++ = b64[p[2] & 63];
	}
	if (n - i == 1) {
		*out++ = b64[p[0] >> 2];
		*out++ = b64[(p[0] & 3) << 4];
		*out++ = '=';
		*out++ = '=';
	} else if (n - i == 2) {
		*out++ = b64[p[0] >> 2];
		*out++ = b64[(p[0] & 3) << 4 | p[1] >> 4];
		*out++ = b64[(p[1] & 15) << 2];
		*out++ = '=';
	}
	*out = '\0';
}

/* Strict: exactly the padded encoding fp_base64 writes for want bytes. */
int
fp_unbase64(const char *s, size_t len, unsigned char *out, size_t want)
{
	uint32_t acc = 0;
	size_t i, bits = 0, n = 0, pad = (3 - want % 3) % 3;
	const char *c;

	if (len != 4 * ((want + 2) / 3))
		return -1;
	for (i = 0; i < len - pad; i++) {
		if (s[i] == '\0' || (c = strchr(b64, s[i])) == NULL)
			return -1;
		acc = acc << 6 | (uint32_t)(c - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n < want)
				out[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	for (; i < len; i++)
		if (s[i] != '=')
			return -1;
	return n == want && acc == 0 ? 0 : -1;
}

const char *
fp_key_line(const char *s, size_t len, const char **line, size_t *n)
{
	const char *nl = memchr(s, '\n', len);

	if (len >= 18 && strncmp(s, "untrusted comment:", 18) == 0) {
		if (nl == NULL)
			return "no key line after the comment";
		len -= (size_t)(nl + 1 - s);
		s = nl + 1;
		nl = memchr(s, '\n', len);
	}
	if (nl != NULL) {
		if (nl + 1 != s + len)
			return "text after the key line";
		len = (size_t)(nl - s);
	}
	if (len > 0 && s[len - 1] == '\r')
		len--;
	*line = s;
	*n = len;
	return NULL;
}

const char *
fp_pubkey_parse(const char *text, size_t len, struct fp_pubkey *k)
{
	unsigned char raw[2 + FP_KEY_ID_LEN + FP_PUBKEY_LEN];
	const char *line, *why;
	size_t n;

	if ((why = fp_key_line(text, len, &line, &n)) != NULL)
		return why;
	if (fp_unbase64(line, n, raw, sizeof(raw)) < 0)
		return "not a minisign public key (base64 of 42 bytes)";
	if (memcmp(raw, key_alg, 2) != 0)
		return "not an Ed25519 key";
	memcpy(k->id, raw + 2, FP_KEY_ID_LEN);
	memcpy(k->pk, raw + 2 + FP_KEY_ID_LEN, FP_PUBKEY_LEN);
	return NULL;
}

void
fp_pubkey_b64(const struct fp_pubkey *k, char out[FP_PUBKEY_B64_LEN + 1])
{
	unsigned char raw[2 + FP_KEY_ID_LEN + FP_PUBKEY_LEN];

	memcpy(raw, key_alg, 2);
	memcpy(raw + 2, k->id, FP_KEY_ID_LEN);
	memcpy(raw + 2 + FP_KEY_ID_LEN, k->pk, FP_PUBKEY_LEN);
	fp_base64(raw, sizeof(raw), out);
}

/* minisign prints the ID as a little-endian number. */
void
fp_key_id_hex(const unsigned char id[FP_KEY_ID_LEN], char out[17])
{
	snprintf(out, 17, "%016llX", (unsigned long long)fp_le64(id));
}

int
fp_sig_embedded(const struct fp_reader *r, struct fp_pubkey *k)
{
	size_t len;
	const char *v = fp_reader_meta(r, FP_META_SIGKEY, &len);

	if (v == NULL)
		return 0;
	if (len != FP_PUBKEY_B64_LEN || fp_pubkey_parse(v, len, k) != NULL)
		return -1;
	return 1;
}
