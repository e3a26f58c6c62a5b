/*
 * sigcheck.c - checking an artifact's signature with a public key: `fatpack
 * verify --key`, and the key an artifact embeds (verify, --fatpack-verify,
 * the check before main of --require-signature). This file links
 * libsodium, so a runtime pulls it in only when it requires its signature
 * (stub/runtime/require.c); verify.c calls it through a weak reference.
 * No sodium_init(): Ed25519 verification (ref10 and SHA-512) has no CPU
 * dispatch to set up, and sodium_init would link every primitive's
 * dispatcher into the artifact (147 KB more instead of 20 KB).
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
	/* the trailer signed covers the index by its hash, which a lazy
	 * open of a 1.2 file did not check */
	if ((rc = fp_reader_check_index(r, detail, len)) != 0)
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
	if (crypto_sign_verify_detached(s.sig, st, sizeof(st), k->pk) != 0) {
		fp_key_id_hex(k->id, want);
		snprintf(detail, len, "signature does not verify with key %s "
		    "(the file was changed after signing)", want);
		return FATPACK_ECHECKSUM;
	}
	return 0;
}

/* The key to check with: --key's, else the one the artifact embeds. */
static int
signer_key(const struct fp_inspect *in, struct fp_pubkey *k, char *detail,
    size_t len)
{
	int rc;

	if (in->key != NULL) {
		*k = *in->key;
		return 1;
	}
	if ((rc = fp_sig_embedded(in->r, k)) < 0)
		snprintf(detail, len, "metadata %s: %s", FP_META_SIGKEY,
		    "not a minisign public key line");
	return rc;
}

int
fp_sig_check(const struct fp_inspect *in, char signer[17], char *detail,
    size_t len)
{
	struct fp_pubkey k;
	struct fp_sig s;
	int rc;

	if ((rc = signer_key(in, &k, detail, len)) < 0)
		return FATPACK_ECORRUPT;
	if (rc == 0)
		return in->r->flags & FP_FLAG_SIGNED ?
		    fp_sig_read(in->r, &s, detail, len) : 0;
	if ((rc = fp_sig_verify(in->r, &k, detail, len)) == 0)
		fp_key_id_hex(k.id, signer);
	return rc;
}
