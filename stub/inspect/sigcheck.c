/*
 * sigcheck.c - checking an artifact's signature with a public key: `fatpack
 * verify --key`, and the key an artifact embeds (verify, --fatpack-verify,
 * the check before main of --require-signature). This file links
 * libsodium, so a runtime pulls it in only when it requires its signature
 * (stub/runtime/require.c); verify.c calls it through a weak reference.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "format/check.h"
#include "format/signature.h"
#include "common.h"

int
fp_sig_verify(const struct fp_reader *r, const struct fp_pubkey *k,
    char *detail, size_t len)
{
	unsigned char st[FP_STATEMENT_LEN];
	char want[17], got[17];
	struct fp_sig s;
	int rc;

	if ((rc = fp_sig_read(r, &s, detail, len)) != 0)
		return rc;
	if (memcmp(s.id, k->id, FP_KEY_ID_LEN) != 0) {
		fp_key_id_hex(s.id, got);
		fp_key_id_hex(k->id, want);
		snprintf(detail, len, "signed with key %s, not with key %s", got,
		    want);
		return FATPACK_ECHECKSUM;
	}
	if ((rc = fp_sig_statement_of(r, st)) != 0) {
		snprintf(detail, len, "reading the file: %s", fp_strerror(rc));
		return rc;
	}
	if (sodium_init() < 0) {
		snprintf(detail, len, "libsodium could not start");
		return FATPACK_ENOMEM;
	}
	if (crypto_sign_verify_detached(s.sig, st, sizeof(st), k->pk) != 0) {
		fp_key_id_hex(k->id, want);
		snprintf(detail, len, "signature does not verify with key %s "
		    "(the file was changed after signing)", want);
		return FATPACK_ECHECKSUM;
	}
	return 0;
}
