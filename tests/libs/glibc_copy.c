/* glibc_copy.c - compiled by gcc for glibc with -D_FORTIFY_SOURCE=2 -O2 into
 * an archive (t_libraries.sh): its memcpy into a buffer of known size becomes
 * a call to glibc's __memcpy_chk, which musl does not have. */
#include <string.h>

int glibc_copy(const char *src, unsigned long n);

int
glibc_copy(const char *src, unsigned long n)
{
	char buf[16];

	memcpy(buf, src, n);
	return buf[0];
}
