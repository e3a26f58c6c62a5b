/*
 * check.c - the rules of docs/FORMAT.md on single values (see check.h).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fatpack.h"
#include "check.h"
#include "format.h"

size_t
fp_utf8_len(const unsigned char *p, size_t n)
{
	size_t len, k;
	uint32_t c;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xC2 && p[0] <= 0xDF)
		len = 2, c = p[0] & 0x1F;
	else if (p[0] >= 0xE0 && p[0] <= 0xEF)
		len = 3, c = p[0] & 0x0F;
	else if (p[0] >= 0xF0 && p[0] <= 0xF4)
		len = 4, c = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (k = 1; k < len; k++) {
		if ((p[k] & 0xC0) != 0x80)
			return 0;
		c = c << 6 | (p[k] & 0x3F);
	}
	if ((len == 3 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) ||
	    (len == 4 && (c < 0x10000 || c > 0x10FFFF)))
		return 0;
	return len;
}

int
fp_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, k;

	for (i = 0; i < n; i += k)
		if (p[i] == '\0' || (k = fp_utf8_len(p + i, n - i)) == 0)
			return 0;
	return 1;
}

const char *
fp_check_path(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, comp = 0, k;

	if (n == 0)
		return "empty path";
	if (n > FP_PATH_MAX)
		return "path longer than 4096 bytes";
	if (p[0] == '/')
		return "absolute path";
	if (p[n - 1] == '/')
		return "path ends with '/'";
	for (i = 0; i <= n; i++) {
		if (i == n || p[i] == '/') {
			size_t clen = i - comp;

			if (clen == 0)
				return "empty path component";
			if ((clen == 1 && p[comp] == '.') ||
			    (clen == 2 && p[comp] == '.' && p[comp + 1] == '.'))
				return "'.' or '..' in path";
			comp = i + 1;
			continue;
		}
		if (p[i] == '\0')
			return "NUL in path";
		if (p[i] == '\\')
			return "backslash in path";
		if ((k = fp_utf8_len(p + i, n - i)) == 0)
			return "path is not UTF-8";
		i += k - 1;
	}
	return NULL;
}

/* What a value must be to go into an HTTP header as it is. */
static int
printable_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

/* MIME types end up in HTTP headers: printable ASCII only, and short (RFC
 * 6838 caps type and subtype at 127 bytes each), which also bounds what a
 * reader's NUL-terminated copies cost whatever an index claims. */
const char *
fp_check_mime(const char *s, size_t n)
{
	if (n > FP_MIME_MAX)
		return "MIME type longer than 255 bytes";
	if (!printable_ascii(s, n))
		return "MIME type is not printable ASCII";
	return NULL;
}

const char *
fp_check_meta_key(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return "empty metadata key";
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_' || s[i] == '.'))
			return "metadata key outside [a-z0-9_.]";
	return NULL;
}

const char *
fp_check_meta_value(const char *s, size_t n)
{
	if (memchr(s, '\n', n) != NULL)
		return "holds a newline";
	if (!fp_utf8_valid(s, n))
		return "is not UTF-8 text";
	return NULL;
}

static const char *
check_word(const char *v, const char *punct, const char *why)
{
	const unsigned char *p = (const unsigned char *)v;
	size_t n = strlen(v), i;
	const char *bad;

	if (n == 0)
		return "is empty";
	if ((bad = fp_check_meta_value(v, n)) != NULL)
		return bad;
	if (p[0] == '.' || p[0] == '-')
		return why;     /* a hidden file, an option */
	for (i = 0; i < n; i++) {
		if (p[i] == 0xC2 && p[i + 1] < 0xA0)
			return why;     /* U+0080..U+009F */
		if (!(p[i] >= 0x80 || (p[i] >= 'a' && p[i] <= 'z') ||
		    (p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9') ||
		    strchr(punct, p[i]) != NULL))
			return why;
	}
	return NULL;
}

const char *
fp_check_name(const char *v)
{
	return check_word(v, "._-", "may hold only letters, digits, '.', '_' "
	    "and '-', and not start with '.' or '-'");
}

const char *
fp_check_version(const char *v)
{
	return check_word(v, "._+~-", "may hold only letters, digits, '.', "
	    "'_', '+', '~' and '-', and not start with '.' or '-'");
}

/* A host as the server's getaddrinfo may take it: a name made of letters,
 * digits, '-' and '.', or an IPv4 address; an IPv6 one comes in brackets. */
static int
host_ok(const char *h, size_t n, int bracketed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-')
			continue;
		if (bracketed && (c == ':' || c == '%'))
			continue;
		return 0;
	}
	return n > 0 && h[0] != '-' && h[0] != '.';
}

const char *
fp_parse_listen(const char *v, char *host, size_t cap, unsigned *port)
{
	static const char bad[] = "must be PORT, :PORT, HOST:PORT or [ADDR]:PORT";
	const char *colon = strrchr(v, ':'), *p = colon ? colon + 1 : v;
	const char *h = v, *def = NULL;
	size_t hn = colon ? (size_t)(colon - v) : 0, i;
	unsigned long n = 0;

	if (*p == '\0' || strlen(p) > 5)
		return bad;
	for (i = 0; p[i] != '\0'; i++) {
		if (p[i] < '0' || p[i] > '9')
			return bad;
		n = n * 10 + (unsigned long)(p[i] - '0');
	}
	if (n > 65535)
		return "port must be in 0..65535";
	if (colon == NULL) {
		def = "127.0.0.1";
	} else if (hn == 0) {
		def = "0.0.0.0";
	} else if (v[0] == '[') {
		if (hn < 3 || v[hn - 1] != ']' || !host_ok(v + 1, hn - 2, 1))
			return bad;
		h = v + 1;
		hn -= 2;
	} else if (!host_ok(v, hn, 0)) {
		return bad;     /* also a bare IPv6 address: it needs brackets */
	}
	if (def != NULL) {
		h = def;
		hn = strlen(def);
	}
	if (hn >= 256)
		return "host name longer than 255 bytes";
	if (host != NULL) {
		if (hn >= cap)
			return "host name too long";
		memcpy(host, h, hn);
		host[hn] = '\0';
		*port = (unsigned)n;
	}
	return NULL;
}

const char *
fp_serve_listen(const char *opt, const char *env, const char *meta,
    struct fp_listen *a)
{
	const char *why;

	a->from = "default";
	a->value = FP_LISTEN_DEFAULT;
	if (opt != NULL) {
		a->from = "--listen";
		a->value = opt;
	} else if (env != NULL && *env != '\0') {
		a->from = "PORT";
		a->value = env;
	} else if (meta != NULL) {
		a->from = "serve.listen";
		a->value = meta;
	}
	why = fp_parse_listen(a->value, a->host, sizeof(a->host), &a->port);
	if (a->value != env)
		return why;
	if (why != NULL || env[strspn(env, "0123456789")] != '\0')
		return "must be a port number, 0..65535";
	snprintf(a->host, sizeof(a->host), "0.0.0.0");
	return NULL;
}

const char *
fp_check_cache_control(const char *v)
{
	size_t n = strlen(v);

	if (n == 0)
		return "is empty";
	if (n > FP_HEADER_VALUE_MAX)
		return "is longer than 512 bytes";
	if (!printable_ascii(v, n))
		return "holds a byte that is not printable ASCII";
	return NULL;
}

const char *
fp_skip_slashes(const char *v)
{
	while (*v == '/')
		v++;
	return v;
}

const char *
fp_check_spa_fallback(const char *v)
{
	const char *p = fp_skip_slashes(v);

	return fp_check_path(p, strlen(p));
}

const char *
fp_check_listen(const char *v)
{
	return fp_parse_listen(v, NULL, 0, NULL);
}

const char *
fp_check_mount(const char *v)
{
	size_t n = strlen(v);

	if (n == 0)
		return "empty mount path";
	if (v[0] != '/')
		return "mount path is not absolute";
	if (n == 1)
		return "mount path is the root folder";
	if (n > FP_MOUNT_MAX)
		return "mount path longer than 1024 bytes";
	if (v[1] == '/')
		return "empty path component";
	return fp_check_path(v + 1, n - 1);
}

const char *
fp_check_override(const char *v)
{
	if (strcmp(v, "on") == 0 || strcmp(v, "off") == 0)
		return NULL;
	return "mount.override is not on or off";
}

/* A decimal number in 1..max, with an optional K/M/G/T (powers of 1024)
 * when sized. */
static int
jail_number(const char *v, int sized, unsigned long long max,
    unsigned long long *out)
{
	unsigned long long n = 0, unit = 1;
	const char *p = v;

	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (max - (unsigned)(*p - '0')) / 10)
			return -1;
		n = n * 10 + (unsigned)(*p - '0');
	}
	if (sized && *p != '\0' && p[1] == '\0' && strchr("KMGT", *p) != NULL) {
		for (const char *u = "KMGT"; *u != *p; u++)
			unit *= 1024;
		unit *= 1024;
		p++;
	}
	if (p == v || *p != '\0' || n == 0 || n > max / unit)
		return -1;
	*out = n * unit;
	return 0;
}

const char *
fp_parse_identity_cache(const char *v, unsigned long long *out)
{
	if (strcmp(v, "0") == 0) {
		*out = 0;
		return NULL;
	}
	return jail_number(v, 1, 1ull << 50, out) != 0 ?
	    "not a size such as 256M (K, M, G, T: powers of 1024), or 0" : NULL;
}

const char *
fp_check_identity_cache(const char *v)
{
	unsigned long long n;

	return fp_parse_identity_cache(v, &n);
}

static const char *
jail_path(const char *v)
{
	if (v[0] != '/')
		return "jail path is not absolute";
	if (v[1] == '\0')
		return "jail path is the root folder";
	if (v[1] == '/')
		return "empty path component";
	return fp_check_path(v + 1, strlen(v + 1));
}

/* A user name as useradd(8) takes it, or a number that is a uid: below
 * 2^32 - 1, which setuid(2) takes as "no change" (the runtime would
 * truncate a bigger one to another user's uid). */
static const char *
jail_user(const char *v)
{
	size_t n = strlen(v), digits = strspn(v, "0123456789");
	unsigned long long uid = 0;

	if (n == 0 || n > 32 || v[0] == '-')
		return "user= is not a user name or number";
	if (digits == n)
		for (size_t i = 0; i < n; i++)
			if ((uid = uid * 10 + (unsigned)(v[i] - '0')) >=
			    0xffffffffULL)
				return "user= is not a uid below 4294967295";
	for (size_t i = 0; i < n; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' &&
		    v[i] <= 'Z') || (v[i] >= '0' && v[i] <= '9') ||
		    v[i] == '_' || v[i] == '-' || v[i] == '.'))
			return "user= is not a user name or number";
	return NULL;
}

/* One word of a jail policy into *j; seen holds the words given once. */
static const char *
jail_word(char *w, struct fp_jail *j, unsigned *seen)
{
	static const char *const once[] = { "on", "net", "exec", "best-effort",
	    "nofile=", "mem=", "cpu=", "user=" };
	char *eq = strchr(w, '=');
	size_t key = eq != NULL ? (size_t)(eq - w) + 1 : strlen(w);
	const char *v = eq != NULL ? eq + 1 : "", *why;
	unsigned i;

	if (strncmp(w, "read=", 5) == 0 || strncmp(w, "write=", 6) == 0) {
		int rd = w[0] == 'r';

		if ((why = jail_path(v)) != NULL)
			return why;
		if ((rd ? j->nread : j->nwrite) == FP_JAIL_PATHS)
			return "more than 16 read= or write= paths";
		if (rd)
			j->read[j->nread++] = v;
		else
			j->write[j->nwrite++] = v;
		return NULL;
	}
	for (i = 0; i < sizeof(once) / sizeof(once[0]); i++)
		if (strlen(once[i]) == key && strncmp(w, once[i], key) == 0)
			break;
	if (i == sizeof(once) / sizeof(once[0]) || (eq == NULL) !=
	    (once[i][key - 1] != '='))
		return "unknown jail word (see docs/CONFIG.md)";
	if (*seen & (1u << i))
		return "a jail word given twice";
	*seen |= 1u << i;
	switch (i) {
	case 1: j->net = 1; return NULL;
	case 2: j->exec = 1; return NULL;
	case 3: j->best_effort = 1; return NULL;
	case 4:
		return jail_number(v, 0, 1u << 20, &j->nofile) != 0 ?
		    "nofile= is not a number in 1..1048576" : NULL;
	case 5:
		return jail_number(v, 1, 1ull << 50, &j->mem) != 0 ?
		    "mem= is not a size such as 512M" : NULL;
	case 6:
		return jail_number(v, 0, 1u << 30, &j->cpu) != 0 ?
		    "cpu= is not a number of seconds" : NULL;
	case 7:
		j->user = v;
		return jail_user(v);
	}
	return NULL;
}

const char *
fp_check_jail(const char *v)
{
	struct fp_jail j;

	return fp_parse_jail(v, &j);
}

const char *
fp_parse_jail(const char *v, struct fp_jail *j)
{
	size_t n = strlen(v);
	unsigned seen = 0;
	char *w, *next;
	const char *why;

	memset(j, 0, offsetof(struct fp_jail, buf));
	if (strcmp(v, "off") == 0) {
		j->off = 1;
		return NULL;
	}
	if (n == 0)
		return "empty jail policy (\"on\" is the default policy)";
	if (n > FP_JAIL_MAX)
		return "jail policy longer than 1024 bytes";
	memcpy(j->buf, v, n + 1);
	for (w = j->buf; w != NULL; w = next) {
		if ((next = strchr(w, ' ')) != NULL)
			*next++ = '\0';
		if (*w == '\0')
			return "jail words are separated by one space";
		if ((why = jail_word(w, j, &seen)) != NULL)
			return why;
	}
	return NULL;
}

size_t
fp_shown_len(const unsigned char *p, size_t n)
{
	size_t k = fp_utf8_len(p, n);

	if (k == 1)
		return p[0] >= 0x20 && p[0] < 0x7f && p[0] != '\\';
	if (k == 2 && p[0] == 0xC2 && p[1] < 0xA0)     /* U+0080..U+009F */
		return 0;
	return k;
}

char *
fp_escape(const char *s, size_t n, char *out, size_t cap)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, k, o = 0;

	if (cap < 8) {
		if (cap > 0)
			out[0] = '\0';
		return out;
	}
	for (i = 0; i < n; i += k) {
		k = fp_shown_len(p + i, n - i);
		if (o + (k > 0 ? k : 4) + 4 > cap) {   /* keep room for "...\0" */
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (k > 0) {
			memcpy(out + o, p + i, k);
			o += k;
		} else {
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", p[i]);
			k = 1;
		}
	}
	out[o] = '\0';
	return out;
}

const char *
fp_strerror(int err)
{
	switch (err) {
	case 0:                 return "success";
	case FATPACK_ENOTFAT:   return "not a fat binary (no fatpack payload)";
	case FATPACK_ELOST:     return "payload lost (stripped or rewritten after fatpack build?)";
	case FATPACK_ETRUNC:    return "file truncated";
	case FATPACK_ECHECKSUM: return "checksum mismatch";
	case FATPACK_EVERSION:  return "unsupported format version";
	case FATPACK_ECORRUPT:  return "corrupt zstd frame or index";
	case FATPACK_ENOENT:    return "no such asset";
	case FATPACK_EISDIR:    return "is a folder";
	case FATPACK_EIO:       return "error reading the file";
	case FATPACK_ENOMEM:    return "out of memory";
	case FATPACK_ERANGE:    return "index out of range";
	case FATPACK_EJAIL:     return "the jail policy could not be applied";
	case FATPACK_EDICT:     return "the frame needs the payload's zstd dictionary";
	default:                return "unknown error";
	}
}
