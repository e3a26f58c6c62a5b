/*
 * fuzz_http.c - libFuzzer target for the server's request parser and the
 * functions it feeds (stub/server/http.c). Build and run with tests/t_fuzz.sh:
 *     clang -fsanitize=fuzzer,address,undefined -iquote stub \
 *         tests/fuzz/fuzz_http.c stub/server/http.c -o fuzz_http
 * Seeds: tests/fuzz/corpus/.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "server/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_values(const struct http_req *r)
{
	char path[HTTP_MAX_HEADER + 16], esc[1024];
	uint64_t first, count;
	size_t len;
	int64_t t;
	int dir;

	if (http_normalize_path(r->path.p, r->path.n, path, sizeof(path), &len,
	    &dir) == HTTP_PATH_OK) {
		/* the index form: no leading slash, no "." or ".." segment */
		if (len > 0 && (path[0] == '/' || path[len - 1] == '/' ||
		    strstr(path, "//") != NULL))
			__builtin_trap();
		http_escape_path(path, len, esc, sizeof(esc));
	}
	if (r->range.p != NULL) {
		for (uint64_t size = 0; size < 3; size++)
			if (http_parse_range(r->range.p, r->range.n, size, &first,
			    &count) == HTTP_RANGE_OK &&
			    (count == 0 || first + count > size))
				__builtin_trap();
	}
	if (r->accept_encoding.p != NULL)
		http_accepts_zstd(r->accept_encoding.p, r->accept_encoding.n);
	if (r->if_none_match.p != NULL)
		http_etag_match(r->if_none_match.p, r->if_none_match.n, "\"a\"", 3);
	if (r->if_modified_since.p != NULL)
		http_parse_date(r->if_modified_since.p, r->if_modified_since.n, &t);
	http_escape_log(r->target.p, r->target.n, esc, sizeof(esc));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct http_req r;

	/* every request in the buffer, as a pipelining connection would */
	while (size > 0) {
		long n = http_parse_request(buf, size, &r);

		if (n <= 0)
			break;
		if ((size_t)n > size)
			__builtin_trap();
		fuzz_values(&r);
		buf += n;
		size -= (size_t)n;
	}
	return 0;
}
