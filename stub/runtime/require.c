/*
 * require.c - the check before main of an artifact built with
 * --require-signature: its signature, by the public key it embeds. Only
 * such builds link this file (`fatpack cc --require-signature` adds
 * -Wl,-u,fp_require_signature and libsodium), and linking it is what makes
 * the check required: a program that has it starts only when the check
 * passes, whatever its metadata says.
 */
#include <stdio.h>

#include "format/check.h"
#include "format/signature.h"
#include "inspect/inspect.h"
#include "runtime.h"

int fp_require_signature(const char *prog);

/* `fatpack build --require-signature PROGRAM` looks for it (FORMAT.md 5). */
__attribute__((used, section(FP_SIGN_SECTION)))
static const char sign_marker[] = FP_SIGN_MARK;

int
fp_require_signature(const char *prog)
{
	const struct fp_reader *r;
	struct fp_pubkey k;
	char detail[256];
	int rc;

	/* a use the linker sees, so --gc-sections keeps the marker section */
	__asm__ volatile("" : : "r"(sign_marker));
	if ((rc = fp_runtime_init(detail, sizeof(detail))) != 0) {
		fp_msg(prog, "%s: cannot check the signature: %s", prog,
		    detail[0] != '\0' ? detail : fp_strerror(rc));
		return -1;
	}
	r = fp_runtime_archive();
	if (fp_sig_embedded(r, &k) != 1) {
		fp_msg(prog, "%s: requires a signature but embeds no valid "
		    "public key", prog);
		return -1;
	}
	/* The signature covers the trailer, the trailer the index (rule 11,
	 * which fp_sig_verify checks) and the index each asset. */
	if (fp_sig_verify(r, &k, detail, sizeof(detail)) != 0) {
		fp_msg(prog, "%s: refusing to start: %s", prog, detail);
		return -1;
	}
	return 0;
}
