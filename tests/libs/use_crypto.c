/* use_crypto.c - a program linked with Debian's libcrypto.a, built for glibc
 * (t_libraries.sh). The prototype is written out: musl-gcc does not read
 * glibc's /usr/include, where openssl/crypto.h is. */
#include <stdio.h>

int OPENSSL_init_crypto(unsigned long long opts, const void *settings);

int
main(void)
{
	printf("%d\n", OPENSSL_init_crypto(0, NULL));
	return 0;
}
