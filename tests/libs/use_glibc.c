/* use_glibc.c - a program linked with the glibc archive of glibc_copy.c
 * (t_libraries.sh). */
#include <stdio.h>

int glibc_copy(const char *src, unsigned long n);

int
main(int argc, char **argv)
{
	(void)argc;
	printf("%c\n", glibc_copy(argv[0], 1));
	return 0;
}
