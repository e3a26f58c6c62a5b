/* test-sources: stub/server/http.c tests/unit/tap.c */
/*
 * test_http.c - unit tests of the server's request parser (stub/server/http.c), run
 * by tests/run.sh. Prints one "ok - name" / "not ok - name" line per check;
 * exit 1 if any failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/http.h"
#include "tap.h"

static int
span_eq(struct http_span s, const char *lit)
{
	return s.p != NULL && s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

static long
parse(const char *s, struct http_req *r)
{
	return http_parse_request(s, strlen(s), r);
}

static void
test_request(void)
{
	struct http_req r;
	const char *two = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
	    "HEAD /b HTTP/1.1\r\nHost: x\r\n\r\n";
	long n;

	n = parse("GET /css/site.css?v=2 HTTP/1.1\r\nHost: example\r\n"
	    "Accept-Encoding: gzip, zstd\r\nIf-None-Match: \"abc\"\r\n"
	    "Range: bytes=0-9\r\nUser-Agent: t/1\r\n\r\n", &r);
	check(n > 0 && r.method == HTTP_GET && r.minor == 1 && r.keep_alive,
	    "request: GET HTTP/1.1 keeps alive");
	check(span_eq(r.path, "/css/site.css") && span_eq(r.query, "v=2"),
	    "request: path and query split");
	check(span_eq(r.host, "example") && span_eq(r.accept_encoding,
	    "gzip, zstd") && span_eq(r.if_none_match, "\"abc\"") &&
	    span_eq(r.range, "bytes=0-9") && span_eq(r.user_agent, "t/1"),
	    "request: header values trimmed");

	check(parse("GET / HTTP/1.1\r\nHost: x\r\n", &r) == 0,
	    "request: incomplete head needs more");
	check(parse("GET / HTTP/1.1\nHost: x\n\n", &r) > 0,
	    "request: bare LF line ends accepted");
	check(parse("\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", &r) > 0,
	    "request: empty lines before the request line skipped");

	n = http_parse_request(two, strlen(two), &r);
	check(n > 0 && span_eq(r.path, "/a"), "pipelining: first request");
	n = http_parse_request(two + n, strlen(two) - (size_t)n, &r);
	check(n > 0 && r.method == HTTP_HEAD && span_eq(r.path, "/b"),
	    "pipelining: second request");

	check(parse("GET / HTTP/1.0\r\n\r\n", &r) > 0 && !r.keep_alive,
	    "HTTP/1.0 closes by default");
	check(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &r) > 0 &&
	    r.keep_alive, "HTTP/1.0 keep-alive on request");
	check(parse("GET / HTTP/1.7\r\nHost: x\r\n\r\n", &r) > 0 && r.minor == 1 &&
	    r.keep_alive, "HTTP/1.7 is taken as 1.1 (RFC 9112 2.6)");
	check(parse("GET / HTTP/1.7\r\n\r\n", &r) < 0,
	    "HTTP/1.7 without Host is refused like 1.1");
	check(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &r) >
	    0 && !r.keep_alive, "Connection: close");
	check(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n",
	    &r) > 0 && r.method == HTTP_OTHER && r.has_body && !r.keep_alive,
	    "a body ends the connection");
	check(parse("GET http://h/x?y HTTP/1.1\r\nHost: h\r\n\r\n", &r) > 0 &&
	    span_eq(r.path, "/x") && span_eq(r.query, "y"),
	    "absolute-form target");
	check(parse("GET http://h HTTP/1.1\r\nHost: h\r\n\r\n", &r) > 0 &&
	    span_eq(r.path, "/"), "absolute-form without a path is /");
}

static void
test_bad_requests(void)
{
	static const struct {
		const char *req;
		long status;
		const char *name;
	} bad[] = {
		{ "GET / HTTP/1.1\r\n\r\n", -400, "HTTP/1.1 without Host" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", -400, "two Hosts" },
		{ "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", -400, "double space" },
		{ "GET / HTTP/1.1 \r\nHost: x\r\n\r\n", -400, "trailing space" },
		{ "GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n", -400, "control in target" },
		{ "GET / HTTP/2.0\r\nHost: x\r\n\r\n", -505, "HTTP/2.0 is 505" },
		{ "GET / HTTQ/1.1\r\nHost: x\r\n\r\n", -400, "bad protocol name" },
		{ "GET / HTTP/1.1\r\nHost : x\r\n\r\n", -400, "space before colon" },
		{ "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", -400, "obs-fold" },
		{ "GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", -400, "no colon" },
		{ "GET / HTTP/1.1\r\nHost: x\rY\r\n\r\n", -400, "bare CR in value" },
		{ "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
		  "Content-Length: 2\r\n\r\n", -400, "conflicting lengths" },
		{ "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", -400,
		  "negative length" },
		{ "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
		  "Transfer-Encoding: chunked\r\n\r\n", -400, "length and chunked" },
		{ "G(T / HTTP/1.1\r\nHost: x\r\n\r\n", -400, "bad method token" },
		{ "GET\r\n\r\n", -400, "request line without target" },
	};
	struct http_req r;
	char big[HTTP_MAX_HEADER + 100];
	char name[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(name, sizeof(name), "bad request: %s", bad[i].name);
		check(parse(bad[i].req, &r) == bad[i].status, name);
	}
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	check(http_parse_request(big, sizeof(big), &r) == -431,
	    "bad request: oversized head is 431");
	check(http_parse_request(big, HTTP_MAX_HEADER - 1, &r) == 0,
	    "a head just under the limit waits for more");
}

static int
norm(const char *in, const char *want, int want_dir)
{
	char out[256];
	size_t len;
	int dir;

	if (http_normalize_path(in, strlen(in), out, sizeof(out), &len, &dir) !=
	    HTTP_PATH_OK)
		return 0;
	return strcmp(out, want) == 0 && len == strlen(want) && dir == want_dir;
}

static int
norm_rc(const char *in)
{
	char out[256];
	size_t len;
	int dir;

	return http_normalize_path(in, strlen(in), out, sizeof(out), &len, &dir);
}

static void
test_paths(void)
{
	char small[4];
	size_t len;
	int dir;

	check(norm("/", "", 1), "path: root");
	check(norm("/index.html", "index.html", 0), "path: file");
	check(norm("/docs/", "docs", 1), "path: folder with slash");
	check(norm("/docs", "docs", 0), "path: folder without slash");
	check(norm("//a///b//", "a/b", 1), "path: repeated slashes");
	check(norm("/a/./b/.", "a/b", 1), "path: dot segments");
	check(norm("/a/b/../c", "a/c", 0), "path: dot-dot inside the root");
	check(norm("/a/%2e%2e/c", "c", 0), "path: encoded dot-dot");
	check(norm("/%63ss/%73ite.css", "css/site.css", 0), "path: escapes");
	check(norm("/a%2Fb", "a/b", 0), "path: encoded slash separates");
	check(norm("/%C0%AE%C0%AE/x", "\xc0\xae\xc0\xae/x", 0),
	    "path: overlong UTF-8 kept as bytes (then not found)");
	check(norm_rc("/../etc/passwd") == HTTP_PATH_OUTSIDE,
	    "path: dot-dot above the root");
	check(norm_rc("/a/../../etc") == HTTP_PATH_OUTSIDE,
	    "path: dot-dot above the root after a folder");
	check(norm_rc("/%2e%2e/%2e%2e/etc/passwd") == HTTP_PATH_OUTSIDE,
	    "path: encoded dot-dot above the root");
	check(norm_rc("/..%2f..%2fetc") == HTTP_PATH_OUTSIDE,
	    "path: dot-dot with encoded slash");
	check(norm_rc("/a%00b") == HTTP_PATH_BAD, "path: NUL is bad");
	check(norm_rc("/a%0ab") == HTTP_PATH_BAD, "path: encoded LF is bad");
	check(norm_rc("/a%zz") == HTTP_PATH_BAD, "path: bad escape");
	check(norm_rc("/a%4") == HTTP_PATH_BAD, "path: cut escape");
	check(norm_rc("a/b") == HTTP_PATH_BAD, "path: must start with a slash");
	check(http_normalize_path("/abcdef", 7, small, sizeof(small), &len,
	    &dir) == HTTP_PATH_LONG, "path: too long for the buffer");
}

static int
range(const char *v, uint64_t size, uint64_t first, uint64_t count)
{
	uint64_t f = 0, c = 0;

	return http_parse_range(v, strlen(v), size, &f, &c) == HTTP_RANGE_OK &&
	    f == first && c == count;
}

static int
range_rc(const char *v, uint64_t size)
{
	uint64_t f, c;

	return http_parse_range(v, strlen(v), size, &f, &c);
}

static void
test_ranges(void)
{
	check(range("bytes=0-9", 100, 0, 10), "range: first bytes");
	check(range("bytes=90-", 100, 90, 10), "range: open end");
	check(range("bytes=-10", 100, 90, 10), "range: suffix");
	check(range("bytes=-500", 100, 0, 100), "range: suffix longer than body");
	check(range("bytes=50-500", 100, 50, 50), "range: end clamped");
	check(range("Bytes=0-0", 1, 0, 1), "range: unit case-insensitive");
	check(range_rc("bytes=100-", 100) == HTTP_RANGE_UNSAT,
	    "range: start at the end is 416");
	check(range_rc("bytes=-0", 100) == HTTP_RANGE_UNSAT,
	    "range: empty suffix is 416");
	check(range_rc("bytes=0-", 0) == HTTP_RANGE_UNSAT,
	    "range: empty body is 416");
	check(range_rc("bytes=99999999999999999999999-", 100) == HTTP_RANGE_UNSAT,
	    "range: huge start is 416");
	check(range_rc("bytes=0-1,5-6", 100) == HTTP_RANGE_NONE,
	    "range: several ranges ignored");
	check(range_rc("bytes=5-1", 100) == HTTP_RANGE_NONE,
	    "range: reversed ignored");
	check(range_rc("items=0-1", 100) == HTTP_RANGE_NONE,
	    "range: other unit ignored");
	check(range_rc("bytes=a-b", 100) == HTTP_RANGE_NONE,
	    "range: garbage ignored");
}

static int
zstd(const char *v)
{
	return http_accepts_zstd(v, strlen(v));
}

static int
etag(const char *v, const char *tag)
{
	return http_etag_match(v, strlen(v), tag, strlen(tag));
}

static void
test_values(void)
{
	char d[HTTP_DATE_LEN + 1];
	int64_t t = 0;

	check(zstd("zstd"), "zstd: alone");
	check(zstd("gzip, deflate, br, zstd"), "zstd: in a list");
	check(zstd("ZSTD;q=0.5"), "zstd: case and q");
	check(!zstd("zstd;q=0"), "zstd: q=0 refuses");
	check(!zstd("zstd; q=0.000"), "zstd: q=0.000 refuses");
	check(!zstd("gzip, br"), "zstd: absent");
	check(!zstd("*"), "zstd: not from a wildcard");
	check(!zstd("zstdx, xzstd"), "zstd: whole tokens only");

	check(etag("\"abc\"", "\"abc\""), "etag: exact");
	check(etag("W/\"abc\"", "\"abc\""), "etag: weak comparison");
	check(etag("\"x\", \"abc\"", "\"abc\""), "etag: in a list");
	check(etag(" * ", "\"abc\""), "etag: star");
	check(!etag("\"abcd\"", "\"abc\""), "etag: different");

	http_format_date(784111777, d);
	check(strcmp(d, "Sun, 06 Nov 1994 08:49:37 GMT") == 0,
	    "date: RFC 9110 example");
	check(http_parse_date(d, strlen(d), &t) == 0 && t == 784111777,
	    "date: parses back");
	http_format_date(0, d);
	check(strcmp(d, "Thu, 01 Jan 1970 00:00:00 GMT") == 0, "date: epoch");
	http_format_date(951782400, d);
	check(strcmp(d, "Tue, 29 Feb 2000 00:00:00 GMT") == 0, "date: leap day");
	check(http_parse_date("Sunday, 06-Nov-94 08:49:37 GMT", 30, &t) == -1,
	    "date: obsolete format refused");
}

static void
test_escape(void)
{
	char out[64];

	check(http_escape_path("a b/\xc3\xa9?", 7, out, sizeof(out)) > 0 &&
	    strcmp(out, "a%20b/%C3%A9%3F") == 0, "escape: path");
	check(http_escape_path("abcdef", 6, out, 4) == -1,
	    "escape: path too long");
	check(http_escape_log("a\"b\n", 4, out, sizeof(out)) == 10 &&
	    strcmp(out, "a\\x22b\\x0A") == 0, "escape: log");
}

int
main(void)
{
	test_request();
	test_bad_requests();
	test_paths();
	test_ranges();
	test_values();
	test_escape();
	return failures != 0;
}
