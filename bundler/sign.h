/*
 * sign.h - keys and signing (docs/SIGNING.md): `fatpack keygen`, the secret
 * key of `build --sign`, the signature frame and the detached minisign
 * signature. What is signed is stub/format/signature.c's.
 */
#ifndef FP_SIGN_H
#define FP_SIGN_H

#include <stdint.h>

#include "format/signature.h"

#define SIGN_ENV_PREFIX "env:"   /* --sign env:NAME: the key's text in NAME */

struct sign_key {
	struct fp_pubkey pub;
	unsigned char sk[64];        /* libsodium's Ed25519 secret key */
};

/* Loads the secret key named by spec: a file, which only its owner may
 * read, or env:NAME. Its bytes are never printed. 0, or -1 after one line
 * on stderr. */
int sign_key_load(const char *spec, struct sign_key *k);

/* Loads a public key file in minisign's format: 0, or -1 after a line. */
int sign_pubkey_load(const char *path, struct fp_pubkey *k);

/* The signature frame of the artifact being written on fd: its bytes
 * before payload_offset are written, its trailer is t. */
int sign_frame(int fd, uint64_t payload_offset,
    const unsigned char t[FP_TRAILER_SIZE], const struct sign_key *k,
    unsigned char frame[FP_SIG_FRAME]);

/* The text of a minisign signature (prehashed Ed25519 of the whole file on
 * fd, as written) whose trusted comment is comment; NULL after a line on
 * stderr. name names fd in messages. */
char *sign_minisig(int fd, const char *name, const struct sign_key *k,
    const char *comment);

/* Forgets a secret key. */
void sign_key_wipe(struct sign_key *k);

#endif
