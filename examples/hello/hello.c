/*
 * hello.c - the smallest fat binary: prints its embedded greeting, then lists
 * every asset it carries with its size and MIME type.
 *
 *     fatpack build examples/hello/hello.c -a examples/hello/assets -o dist/hello
 *     dist/hello
 */
#include <inttypes.h>
#include <stdio.h>

#include <fatpack.h>

int
main(void)
{
	struct fatpack_entry e;
	const void *text;
	size_t len;
	int rc;

	rc = fatpack_get("greeting.txt", &text, &len);
	if (rc != 0) {
		fprintf(stderr, "hello: greeting.txt: %s\n", fatpack_strerror(rc));
		return 1;
	}
	fwrite(text, 1, len, stdout);

	for (size_t i = 0; i < fatpack_count(); i++) {
		if ((rc = fatpack_entry_at(i, &e)) != 0) {
			fprintf(stderr, "hello: entry %zu: %s\n", i, fatpack_strerror(rc));
			return 1;
		}
		if (e.type == FATPACK_FILE)
			printf("%8" PRIu64 "  %-26s %s\n", e.size,
			    e.mime[0] ? e.mime : "-", e.path);
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
