/* zround.c - zlib from fatpack's library prefix (t_libraries.sh): compress an
 * asset, uncompress it, compare. */
#include <fatpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int
main(void)
{
	const void *data;
	size_t len;
	uLongf clen, dlen;
	Bytef *c, *d;

	if (fatpack_get("data.txt", &data, &len) != 0) {
		fprintf(stderr, "zround: data.txt: not an asset\n");
		return 1;
	}
	clen = compressBound(len);
	dlen = len;
	c = malloc(clen);
	d = malloc(len + 1);
	if (c == NULL || d == NULL ||
	    compress2(c, &clen, data, len, 9) != Z_OK ||
	    uncompress(d, &dlen, c, clen) != Z_OK ||
	    dlen != len || memcmp(d, data, len) != 0) {
		fprintf(stderr, "zround: round trip failed\n");
		return 1;
	}
	printf("zlib %s: %zu -> %lu -> %lu bytes\n", zlibVersion(), len,
	    (unsigned long)clen, (unsigned long)dlen);
	free(c);
	free(d);
	return 0;
}
