/*
 * signature.h - what a signature covers and how it is stored (docs/FORMAT.md
 * section 4.2): the one statement the signer signs and every verifier checks,
 * the signature frame, and public keys in minisign's format. No
 * cryptography here (the runtime links libsodium only when an artifact
 * requires its signature): signing is bundler/sign.c's, checking
 * stub/inspect/sigcheck.c's.
 */
#ifndef FP_SIGNATURE_H
#define FP_SIGNATURE_H

#include <stddef.h>
#include <stdint.h>

#include "format.h"
#include "reader.h"

/* The statement: this context string (its NUL included), the SHA-256 of
 * the file's bytes before the payload (the ELF and its padding), the
 * trailer's 96 bytes (index_sha256; the index holds payload_sha256 and each
 * asset's SHA-256). */
#define FP_SIG_CONTEXT "fatpack signed artifact 1"
#define FP_STATEMENT_LEN (sizeof(FP_SIG_CONTEXT) + 32 + FP_TRAILER_SIZE)

#define FP_KEY_ID_LEN 8
#define FP_PUBKEY_LEN 32
#define FP_SIGNATURE_LEN 64
/* a public key's base64 line, minisign's: "Ed", key ID, key */
#define FP_PUBKEY_B64_LEN 56

/* The metadata key holding the public key of --require-signature. */
#define FP_META_SIGKEY "signature.key"

struct fp_pubkey {
	unsigned char id[FP_KEY_ID_LEN];
	unsigned char pk[FP_PUBKEY_LEN];
};

struct fp_sig {
	unsigned char id[FP_KEY_ID_LEN];     /* the signing key's ID */
	unsigned char sig[FP_SIGNATURE_LEN]; /* Ed25519 over the statement */
};

/* Builds the statement of the artifact whose file is open on fd, from its
 * payload offset and its trailer: 0 or a FATPACK_E* code. */
int fp_sig_statement(int fd, uint64_t payload_offset,
    const unsigned char trailer[FP_TRAILER_SIZE],
    unsigned char out[FP_STATEMENT_LEN]);

/* The statement of an opened artifact (its trailer read again). */
int fp_sig_statement_of(const struct fp_reader *r,
    unsigned char out[FP_STATEMENT_LEN]);

/* The signature frame of s. */
void fp_sig_frame(unsigned char frame[FP_SIG_FRAME], const struct fp_sig *s);

/* Reads the signature frame of an artifact with FP_FLAG_SIGNED (its magic,
 * size and tag, FORMAT.md 4.2): 0, or a FATPACK_E* code with a one-line
 * detail. */
int fp_sig_read(const struct fp_reader *r, struct fp_sig *s, char *detail,
    size_t len);

/* The base64 line of a key file's text s[0..len): the line after an
 * untrusted comment line (minisign's files), or the only line. Sets *line
 * and *n; NULL when fine, else why not. */
const char *fp_key_line(const char *s, size_t len, const char **line,
    size_t *n);

/* Parses a public key: minisign's file (an untrusted comment line, then
 * the base64 line) or the base64 line alone. NULL when fine, else why
 * not. */
const char *fp_pubkey_parse(const char *text, size_t len, struct fp_pubkey *k);

/* The public key an artifact embeds (--require-signature) into *k: 1,
 * 0 when it embeds none, -1 when its value is not a public key line. */
int fp_sig_embedded(const struct fp_reader *r, struct fp_pubkey *k);

/* The key's base64 line, NUL-terminated. */
void fp_pubkey_b64(const struct fp_pubkey *k, char out[FP_PUBKEY_B64_LEN + 1]);

/* A key ID as minisign prints it: 16 upper-case hex digits. */
void fp_key_id_hex(const unsigned char id[FP_KEY_ID_LEN], char out[17]);

/* Base64 (RFC 4648, with padding) of n bytes into out (4 * ((n + 2) / 3)
 * bytes and a NUL). */
void fp_base64(const unsigned char *p, size_t n, char *out);

/* Decodes s[0..len) into exactly want bytes: 0, or -1 when s is not the
 * base64 of want bytes. */
int fp_unbase64(const char *s, size_t len, unsigned char *out, size_t want);

#endif
