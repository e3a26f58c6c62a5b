/* sum.c - the test projects' own static library. */
#include <stddef.h>

unsigned long sum_bytes(const unsigned char *p, size_t n);

unsigned long
sum_bytes(const unsigned char *p, size_t n)
{
	unsigned long s = 0;

	while (n-- > 0)
		s += *p++;
	return s;
}
