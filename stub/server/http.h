/*
 * http.h - the HTTP/1.1 request parser of the built-in server.
 *
 * Pure functions over byte buffers: no I/O, no allocation, no globals, so the
 * fuzz target (tests/fuzz/fuzz_http.c) and the unit tests call them directly.
 * Every function accepts any bytes and never reads outside the span it was
 * given.
 */
#ifndef FP_HTTP_H
#define FP_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_HEADER 8192    /* request line + headers; more is a 431 */

enum http_method { HTTP_GET, HTTP_HEAD, HTTP_OTHER };

/* A part of the request buffer; p == NULL when absent. Not NUL-terminated. */
struct http_span {
	const char *p;
	size_t n;
};

struct http_req {
	enum http_method method;
	struct http_span method_name;
	struct http_span target;    /* as sent */
	struct http_span path;      /* target up to '?' or '#', still encoded */
	struct http_span query;     /* after '?', without it; p == NULL if none */
	int minor;                  /* HTTP/1.minor: 0 or 1 */
	int keep_alive;             /* the connection may serve another request */
	int has_body;               /* Content-Length > 0 or Transfer-Encoding */
	struct http_span host;
	struct http_span accept_encoding;
	struct http_span if_none_match;
	struct http_span if_modified_since;
	struct http_span range;
	struct http_span if_range;
	struct http_span user_agent;
};

/* Parses one request head at the start of buf[0..len). Returns the number of
 * bytes it spans (> 0) when complete, 0 when more bytes are needed, or the
 * negated HTTP status to answer when the request cannot be served: -400 bad
 * syntax, -431 head longer than HTTP_MAX_HEADER, -505 not HTTP/1.x. Spans in
 * *r point into buf. */
long http_parse_request(const char *buf, size_t len, struct http_req *r);

/* Results of http_normalize_path. */
#define HTTP_PATH_OK        0
#define HTTP_PATH_BAD     (-1)  /* bad escape, NUL or control byte: 400 */
#define HTTP_PATH_OUTSIDE (-2)  /* ".." above the root: 404 */
#define HTTP_PATH_LONG    (-3)  /* does not fit in out: 414 */

/* Percent-decodes an encoded path ("/a/%62/../c/") and normalises it to the
 * index form ("a/c"): no leading or trailing slash, no empty, "." or ".."
 * segment. out receives a NUL-terminated string of at most cap - 1 bytes.
 * *dir is set when the request named a folder (trailing slash, root, or a
 * final "." or ".."). */
int http_normalize_path(const char *p, size_t n, char *out, size_t cap,
    size_t *out_len, int *dir);

/* Results of http_parse_range. */
#define HTTP_RANGE_NONE   0     /* ignore the header: serve the whole body */
#define HTTP_RANGE_OK     1
#define HTTP_RANGE_UNSAT  (-1)  /* 416 */

/* One "bytes=" range against a body of size bytes. Multiple ranges and
 * invalid syntax are ignored (RFC 9110 14.2 lets a server do so). */
int http_parse_range(const char *v, size_t n, uint64_t size,
    uint64_t *first, uint64_t *count);

/* Whether an Accept-Encoding value lists zstd with a non-zero q-value.
 * "*" is not taken as zstd: only a client that names it gets it. */
int http_accepts_zstd(const char *v, size_t n);

/* Whether an If-None-Match value matches the entity tag tag (with quotes),
 * by weak comparison; "*" matches any tag. */
int http_etag_match(const char *v, size_t n, const char *tag, size_t tag_len);

/* IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT": 29 bytes and a NUL. */
#define HTTP_DATE_LEN 29
void http_format_date(int64_t t, char out[HTTP_DATE_LEN + 1]);

/* Parses an IMF-fixdate; returns 0 and sets *t, or -1. Obsolete formats are
 * not accepted: the condition is then ignored, which is always safe. */
int http_parse_date(const char *v, size_t n, int64_t *t);

/* Copies src into out as a URL path, percent-encoding every byte outside
 * the unreserved and path characters. Returns the length written, or -1 when
 * it does not fit in cap - 1 bytes. out is NUL-terminated. */
long http_escape_path(const char *src, size_t n, char *out, size_t cap);

/* Copies src into out for a log line: bytes outside printable ASCII, '"' and
 * '\' become \xHH. Stops before overflowing; returns the length. */
size_t http_escape_log(const char *src, size_t n, char *out, size_t cap);

#endif
