/* test-sources: stub/format/check.c tests/unit/tap.c */
/*
 * test_check.c - unit tests of the value rules in stub/format/check.c that
 * fatpack build, fatpack.ini and the built-in server share: listen
 * addresses, names and versions, Cache-Control values, SPA fallbacks, and the
 * escaping of values in messages; and the byte order of stub/format/bytes.h.
 * Prints one "ok - name" / "not ok - name"
 * line per check; exit 1 if any failed.
 */
#include <stdio.h>
#include <string.h>

#include "format/bytes.h"
#include "format/check.h"
#include "tap.h"

/* v parses to host and port. */
static void
listen_ok(const char *v, const char *host, unsigned port)
{
	char h[256] = "", name[128];
	unsigned p = 99999;
	const char *why = fp_parse_listen(v, h, sizeof(h), &p);

	snprintf(name, sizeof(name), "listen '%s' is %s port %u", v, host, port);
	check(why == NULL && strcmp(h, host) == 0 && p == port, name);
}

/* v is refused with a text holding want. */
static void
listen_bad(const char *v, const char *want)
{
	const char *why = fp_check_listen(v);
	char name[128], esc[64];

	snprintf(name, sizeof(name), "listen '%s' refused: %s",
	    fp_escape(v, strlen(v), esc, sizeof(esc)), want);
	check(why != NULL && strstr(why, want) != NULL, name);
}

static void
test_listen(void)
{
	char small[4];
	unsigned p;

	listen_ok("8080", "127.0.0.1", 8080);
	listen_ok(":80", "0.0.0.0", 80);
	listen_ok("0", "127.0.0.1", 0);
	listen_ok(":0", "0.0.0.0", 0);
	listen_ok("localhost:65535", "localhost", 65535);
	listen_ok("10.0.0.1:443", "10.0.0.1", 443);
	listen_ok("[::1]:0", "::1", 0);
	listen_ok("[fe80::1%eth0]:8080", "fe80::1%eth0", 8080);
	listen_bad("65536", "0..65535");
	listen_bad("host:99999", "0..65535");
	listen_bad("123456", "must be PORT");
	listen_bad("abc", "must be PORT");
	listen_bad("host:", "must be PORT");
	listen_bad("", "must be PORT");
	listen_bad("[::1", "must be PORT");
	listen_bad("[::1]", "must be PORT");
	listen_bad("[]:80", "must be PORT");
	listen_bad("::1", "must be PORT");
	listen_bad("::1:80", "must be PORT");
	listen_bad("my host:80", "must be PORT");
	listen_bad("-h:80", "must be PORT");
	listen_bad(".h:80", "must be PORT");
	listen_bad("h\n:80", "must be PORT");
	listen_bad("-1", "must be PORT");
	check(fp_parse_listen("localhost:80", small, sizeof(small), &p) != NULL,
	    "listen: a host longer than the caller's buffer is refused");
}

static void
jail_bad(const char *v, const char *want)
{
	struct fp_jail j;
	const char *why = fp_parse_jail(v, &j);
	char name[160];

	snprintf(name, sizeof(name), "jail '%.60s' refused: %s", v, want);
	check(why != NULL && strstr(why, want) != NULL, name);
}

static void
test_jail(void)
{
	struct fp_jail j;
	char many[FP_JAIL_MAX + 8];
	size_t n = 0;

	check(fp_parse_jail("read=/etc/ssl read=/usr/share write=/var/lib/app "
	    "net exec best-effort nofile=256 mem=512M cpu=60 user=www-data",
	    &j) == NULL && j.nread == 2 && strcmp(j.read[1], "/usr/share") == 0 &&
	    j.nwrite == 1 && strcmp(j.write[0], "/var/lib/app") == 0 &&
	    j.net && j.exec && j.best_effort && j.nofile == 256 &&
	    j.mem == 512ull << 20 && j.cpu == 60 &&
	    strcmp(j.user, "www-data") == 0 && !j.off,
	    "jail: every word parsed");
	check(fp_parse_jail("on", &j) == NULL && !j.net && !j.exec &&
	    j.nread == 0 && j.user == NULL && j.mem == 0 && !j.off,
	    "jail on: nothing allowed, nothing set");
	check(fp_parse_jail("off", &j) == NULL && j.off, "jail off");
	check(fp_parse_jail("mem=1T", &j) == NULL && j.mem == 1ull << 40,
	    "jail mem=1T");
	check(fp_parse_jail("mem=4096", &j) == NULL && j.mem == 4096,
	    "jail mem in bytes");
	check(fp_parse_jail("user=1000", &j) == NULL &&
	    strcmp(j.user, "1000") == 0, "jail user=1000");
	jail_bad("", "empty jail policy");
	jail_bad("on on", "given twice");
	jail_bad("user=a user=b", "given twice");
	jail_bad("net=1", "unknown jail word");
	jail_bad("nofile", "unknown jail word");
	jail_bad("OFF", "unknown jail word");
	jail_bad("read=", "not absolute");
	jail_bad("read=//x", "empty path component");
	jail_bad("write=/a/", "ends with");
	jail_bad("nofile=1048577", "nofile=");
	jail_bad("nofile=-1", "nofile=");
	jail_bad("mem=0", "mem=");
	jail_bad("mem=1P", "mem=");
	jail_bad("mem=99999999999T", "mem=");
	jail_bad("cpu=", "cpu=");
	jail_bad("cpu=99999999999999999999999", "cpu=");
	jail_bad("user=", "user=");
	jail_bad("user=-x", "user=");
	/* a uid_t is 32 bits, and (uid_t)-1 means "no change" to setuid: a
	 * bigger number would become another user (2^32 + 1 is uid 1) */
	jail_bad("user=4294967295", "user=");
	jail_bad("user=4294967297", "user=");
	jail_bad("user=99999999999999999999999999999999", "user=");
	check(fp_parse_jail("user=4294967294", &j) == NULL,
	    "jail user=4294967294, the largest uid");
	jail_bad(" net", "one space");
	jail_bad("net ", "one space");
	for (int i = 0; i < 17; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "%sread=/r%d",
		    i ? " " : "", i);
	jail_bad(many, "more than 16");
	memset(many, 'a', sizeof(many) - 1);
	many[sizeof(many) - 1] = '\0';
	jail_bad(many, "longer than 1024");
}

/* The server's choice of address: which setting wins, and the result. */
static void
serve_listen(const char *opt, const char *env, const char *meta,
    const char *from, const char *host, unsigned port)
{
	struct fp_listen a;
	const char *why = fp_serve_listen(opt, env, meta, &a);
	char name[160];

	snprintf(name, sizeof(name), "serve address from %s is %s port %u",
	    from, host, port);
	check(why == NULL && strcmp(a.from, from) == 0 &&
	    strcmp(a.host, host) == 0 && a.port == port, name);
}

static void
test_serve_listen(void)
{
	struct fp_listen a;

	serve_listen("9000", "7000", ":6000", "--listen", "127.0.0.1", 9000);
	serve_listen(NULL, "7000", ":6000", "PORT", "0.0.0.0", 7000);
	serve_listen(NULL, "", ":6000", "serve.listen", "0.0.0.0", 6000);
	serve_listen(NULL, NULL, NULL, "default", "127.0.0.1", 8080);
	check(fp_serve_listen(NULL, ":7000", NULL, &a) != NULL &&
	    strcmp(a.from, "PORT") == 0,
	    "serve address: PORT is a number only");
	check(fp_serve_listen(NULL, "70000", NULL, &a) != NULL,
	    "serve address: PORT over 65535 refused");
	check(fp_serve_listen("x y", NULL, NULL, &a) != NULL &&
	    strcmp(a.from, "--listen") == 0 && strcmp(a.value, "x y") == 0,
	    "serve address: a bad --listen is named");
}

static void
test_name(void)
{
	check(fp_check_name("app") == NULL, "name app");
	check(fp_check_name("a.b_c-1") == NULL, "name a.b_c-1");
	check(fp_check_name("9lives") == NULL, "name starting with a digit");
	check(fp_check_name("caf\xc3\xa9") == NULL, "name café (UTF-8)");
	check(fp_check_name("\xce\xa9") == NULL, "name Omega (UTF-8)");
	check(fp_check_name("") != NULL, "name empty refused");
	check(fp_check_name(".x") != NULL, "name starting with . refused");
	check(fp_check_name("-x") != NULL, "name starting with - refused");
	check(fp_check_name("a b") != NULL, "name with a space refused");
	check(fp_check_name("a/b") != NULL, "name with / refused");
	check(fp_check_name("a+b") != NULL, "name with + refused");
	check(strcmp(fp_check_name("a\nb"), "holds a newline") == 0,
	    "name with a newline: holds a newline");
	check(strcmp(fp_check_name("caf\xe9"), "is not UTF-8 text") == 0,
	    "name in Latin-1: is not UTF-8 text");
	check(fp_check_name("a\xc0\xae") != NULL, "name with overlong UTF-8 refused");
	check(fp_check_name("a\xed\xa0\x80") != NULL, "name with a surrogate refused");
	check(fp_check_name("\xc2\x85x") != NULL, "name with a C1 control refused");
	check(fp_check_name("a\x7f") != NULL, "name with DEL refused");
	check(fp_check_version("1.0+git~rc1") == NULL, "version 1.0+git~rc1");
	check(fp_check_version("r-1_2") == NULL, "revision r-1_2");
	check(fp_check_version("1 0") != NULL, "version with a space refused");
	check(fp_check_version("-1") != NULL, "version starting with - refused");
	check(fp_check_name("_x") == NULL, "name starting with _");
	check(strcmp(fp_check_version("1\n2"), "holds a newline") == 0,
	    "version with a newline: holds a newline");
}

static void
test_cache_control(void)
{
	char v[600];

	check(fp_check_cache_control("public, max-age=60") == NULL,
	    "cache control public, max-age=60");
	memset(v, 'x', sizeof(v));
	v[512] = '\0';
	check(fp_check_cache_control(v) == NULL, "cache control of 512 bytes");
	v[512] = 'x';
	v[513] = '\0';
	check(fp_check_cache_control(v) != NULL, "cache control of 513 bytes refused");
	check(fp_check_cache_control("") != NULL, "cache control empty refused");
	check(fp_check_cache_control("max-age=\xff") != NULL,
	    "cache control with \\xff refused");
	check(fp_check_cache_control("a\tb") != NULL,
	    "cache control with a tab refused");
	check(fp_check_cache_control("a\x7f") != NULL,
	    "cache control with DEL refused");
}

static void
test_identity_cache(void)
{
	static const char *const bad[] = { "", "-1", "1.5G", "12Q", "0x10",
	    " 1M", "1M ", "1P", "1025T", "99999999999999999999" };
	unsigned long long n = 1;

	check(fp_parse_identity_cache("0", &n) == NULL && n == 0,
	    "identity cache 0: none");
	check(fp_parse_identity_cache("256M", &n) == NULL && n == 256ull << 20,
	    "identity cache 256M");
	check(fp_parse_identity_cache(FP_IDENTITY_CACHE_DEFAULT, &n) == NULL,
	    "identity cache default taken");
	check(fp_parse_identity_cache("4096", &n) == NULL && n == 4096,
	    "identity cache 4096 bytes");
	check(fp_parse_identity_cache("1024T", &n) == NULL && n == 1ull << 50,
	    "identity cache 1024T, the largest");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char name[64];

		snprintf(name, sizeof(name), "identity cache '%s' refused", bad[i]);
		check(fp_check_identity_cache(bad[i]) != NULL, name);
	}
}

static void
test_spa_fallback(void)
{
	check(fp_check_spa_fallback("index.html") == NULL, "spa index.html");
	check(fp_check_spa_fallback("/index.html") == NULL, "spa /index.html");
	check(fp_check_spa_fallback("//a/b.html") == NULL, "spa //a/b.html");
	check(strcmp(fp_skip_slashes("//a/b"), "a/b") == 0, "skip slashes");
	check(fp_check_spa_fallback("/") != NULL, "spa / refused");
	check(fp_check_spa_fallback("../x") != NULL, "spa ../x refused");
	check(fp_check_spa_fallback("a/./b") != NULL, "spa a/./b refused");
	check(fp_check_spa_fallback("a//b") != NULL, "spa a//b refused");
	check(fp_check_spa_fallback("a/") != NULL, "spa a/ refused");
	check(fp_check_spa_fallback("a\\b") != NULL, "spa a\\b refused");
	check(fp_check_spa_fallback("a\xff") != NULL, "spa not UTF-8 refused");
}

static void
test_escape(void)
{
	char out[32], tiny[8];

	check(strcmp(fp_escape("a\nb\xff\\", 5, out, sizeof(out)),
	    "a\\x0ab\\xff\\x5c") == 0, "escape control, high and backslash bytes");
	fp_escape("0123456789abcdefghijklmnopqrstuvwxyz", 36, out, sizeof(out));
	check(strlen(out) < sizeof(out) &&
	    strcmp(out + strlen(out) - 3, "...") == 0, "escape truncates with ...");
	fp_escape("\xff\xff\xff\xff", 4, tiny, sizeof(tiny));
	check(strlen(tiny) < sizeof(tiny), "escape fits a small buffer");
}

/* The writer's stores give the bytes FORMAT.md shows; the reader's loads
 * give the values back. */
static void
test_bytes(void)
{
	unsigned char b[8];

	fp_put_le16(b, 0x1234);
	check(memcmp(b, "\x34\x12", 2) == 0 && fp_le16(b) == 0x1234, "le16");
	fp_put_le32(b, 0x89abcdefu);
	check(memcmp(b, "\xef\xcd\xab\x89", 4) == 0 &&
	    fp_le32(b) == 0x89abcdefu, "le32");
	fp_put_le64(b, 0x0123456789abcdefULL);
	check(memcmp(b, "\xef\xcd\xab\x89\x67\x45\x23\x01", 8) == 0 &&
	    fp_le64(b) == 0x0123456789abcdefULL, "le64");
}

int
main(void)
{
	test_listen();
	test_serve_listen();
	test_jail();
	test_name();
	test_cache_control();
	test_spa_fallback();
	test_identity_cache();
	test_escape();
	test_bytes();
	return failures != 0;
}
