/* crc.c - a program of the CMake and Meson test projects (t_libraries.sh):
 * a static library of its own (sum.c) and zlib from fatpack's library prefix,
 * run on an asset. */
#include <fatpack.h>
#include <stdio.h>
#include <zlib.h>

unsigned long sum_bytes(const unsigned char *p, size_t n);

int
main(void)
{
	const void *data;
	size_t len;

	if (fatpack_get("data.txt", &data, &len) != 0) {
		fprintf(stderr, "crc: data.txt: not an asset\n");
		return 1;
	}
	printf("crc32 %08lx sum %lu zlib %s\n",
	    crc32(0L, data, (uInt)len), sum_bytes(data, len), zlibVersion());
	return 0;
}
