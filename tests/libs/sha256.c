/* sha256.c - OpenSSL's libcrypto from fatpack's library prefix
 * (slow/t_openssl.sh): the SHA-256 of an asset through EVP. */
#include <fatpack.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>

int
main(void)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n;
	const void *data;
	size_t len;

	if (fatpack_get("data.txt", &data, &len) != 0) {
		fprintf(stderr, "sha256: data.txt: not an asset\n");
		return 1;
	}
	if (!EVP_Digest(data, len, md, &n, EVP_sha256(), NULL)) {
		fprintf(stderr, "sha256: EVP_Digest failed\n");
		return 1;
	}
	for (unsigned int i = 0; i < n; i++)
		printf("%02x", md[i]);
	printf("  %s\n", OpenSSL_version(OPENSSL_VERSION));
	return 0;
}
