/*
 * http.c - parsing HTTP/1.1 requests (RFC 9110, RFC 9112) for the built-in
 * server. See http.h: pure functions, no I/O.
 *
 * The parser is strict where leniency has been the source of request
 * smuggling (whitespace before a colon, obs-fold, conflicting lengths, control
 * bytes) and lenient where clients differ harmlessly (bare LF line ends, empty
 * lines before the request line).
 */
#include <string.h>

#include "http.h"

static int
is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Case-insensitive comparison of a span with a lower-case literal. */
static int
span_is(const char *p, size_t n, const char *lit)
{
	size_t i;

	if (strlen(lit) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (lower((unsigned char)p[i]) != (unsigned char)lit[i])
			return 0;
	return 1;
}

static int
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static void
trim(const char **p, size_t *n)
{
	while (*n > 0 && is_ows(**p)) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && is_ows((*p)[*n - 1]))
		(*n)--;
}

/* Splits the comma-separated list v[0..n) at *pos into its next trimmed,
 * non-empty element. Returns 0 at the end of the list. */
static int
next_element(const char *v, size_t n, size_t *pos, const char **e, size_t *en)
{
	while (*pos < n) {
		const char *start = v + *pos;
		const char *comma = memchr(start, ',', n - *pos);
		size_t len = comma ? (size_t)(comma - start) : n - *pos;

		*pos += len + (comma != NULL);
		*e = start;
		*en = len;
		trim(e, en);
		if (*en > 0)
			return 1;
	}
	return 0;
}

/* --- the request head ------------------------------------------------------ */

/* Finds the end of the head. Returns its length (past the empty line), 0 if
 * incomplete, -431 if too long; *start skips empty lines before the request
 * line (RFC 9112 2.2). */
static long
head_end(const char *buf, size_t len, size_t *start)
{
	size_t lim = len < HTTP_MAX_HEADER ? len : HTTP_MAX_HEADER;
	size_t i = 0;

	while (i < lim && (buf[i] == '\r' || buf[i] == '\n'))
		i++;
	*start = i;
	for (;;) {
		const char *nl = memchr(buf + i, '\n', lim - i);
		size_t line;

		if (nl == NULL)
			return len >= HTTP_MAX_HEADER ? -431 : 0;
		line = (size_t)(nl - (buf + i));
		if (line > 0 && buf[i + line - 1] == '\r')
			line--;
		if (line == 0)
			return (long)(nl - buf) + 1;
		i = (size_t)(nl - buf) + 1;
	}
}

/* The length of the line at p (without CR LF or LF) and where the next
 * starts. The head is known to end with an empty line, so LF is found. */
static size_t
line_at(const char *p, const char **next)
{
	size_t n = 0;

	while (p[n] != '\n')
		n++;
	*next = p + n + 1;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	return n;
}

/* Length of the scheme and authority of an absolute-form target
 * (RFC 9112 3.2.2), 0 for any other form. */
static size_t
authority_len(const char *t, size_t n)
{
	size_t i;

	if (n > 7 && span_is(t, 7, "http://"))
		i = 7;
	else if (n > 8 && span_is(t, 8, "https://"))
		i = 8;
	else
		return 0;
	while (i < n && t[i] != '/' && t[i] != '?' && t[i] != '#')
		i++;
	return i;
}

static void
split_target(struct http_req *r)
{
	static const char root[] = "/";
	size_t skip = authority_len(r->target.p, r->target.n);
	const char *t = r->target.p + skip;
	size_t n = r->target.n - skip, i = 0;

	while (i < n && t[i] != '?' && t[i] != '#')
		i++;
	r->path.p = t;
	r->path.n = i;
	if (skip > 0 && i == 0) {
		r->path.p = root;      /* "http://host?q" asks for "/" */
		r->path.n = 1;
	}
	if (i < n && t[i] == '?') {
		size_t q = ++i;

		while (i < n && t[i] != '#')
			i++;
		r->query.p = t + q;
		r->query.n = i - q;
	}
}

static int
parse_request_line(const char *p, size_t n, struct http_req *r)
{
	size_t i = 0, t;

	while (i < n && is_tchar((unsigned char)p[i]))
		i++;
	if (i == 0 || i == n || p[i] != ' ')
		return -400;
	r->method_name.p = p;
	r->method_name.n = i;
	if (i == 3 && memcmp(p, "GET", 3) == 0)
		r->method = HTTP_GET;
	else if (i == 4 && memcmp(p, "HEAD", 4) == 0)
		r->method = HTTP_HEAD;
	else
		r->method = HTTP_OTHER;

	t = ++i;
	while (i < n && (unsigned char)p[i] > 0x20 && p[i] != 0x7f)
		i++;
	if (i == t || i == n || p[i] != ' ')
		return -400;
	r->target.p = p + t;
	r->target.n = i - t;
	split_target(r);

	p += i + 1;
	n -= i + 1;
	if (n != 8 || memcmp(p, "HTTP/", 5) != 0 || !is_digit((unsigned char)p[5]) ||
	    p[6] != '.' || !is_digit((unsigned char)p[7]))
		return -400;
	if (p[5] != '1')
		return -505;
	/* RFC 9112 2.6: a later 1.x is answered as the highest we speak, 1.1 */
	r->minor = p[7] == '0' ? 0 : 1;
	return 0;
}

/* Content-Length: one decimal number; repeated values must agree. */
static int
parse_length(const char *v, size_t n, long long *len)
{
	long long x = 0;
	size_t i;

	if (n == 0 || n > 18)
		return -400;
	for (i = 0; i < n; i++) {
		if (!is_digit((unsigned char)v[i]))
			return -400;
		x = x * 10 + (v[i] - '0');
	}
	if (*len >= 0 && *len != x)
		return -400;
	*len = x;
	return 0;
}

static void
parse_connection(const char *v, size_t n, int *close, int *keep)
{
	size_t pos = 0, en;
	const char *e;

	while (next_element(v, n, &pos, &e, &en)) {
		if (span_is(e, en, "close"))
			*close = 1;
		else if (span_is(e, en, "keep-alive"))
			*keep = 1;
	}
}

static void
set_once(struct http_span *s, const char *v, size_t n)
{
	if (s->p == NULL) {
		s->p = v;
		s->n = n;
	}
}

struct head_state {
	long long length;       /* Content-Length, -1 if none */
	int chunked;            /* Transfer-Encoding present */
	int close, keep;        /* Connection tokens seen */
	int ranges;             /* Range fields seen */
};

static int
parse_field(const char *p, size_t n, struct http_req *r, struct head_state *h)
{
	size_t i = 0, vn;
	const char *v;

	while (i < n && is_tchar((unsigned char)p[i]))
		i++;
	if (i == 0 || i == n || p[i] != ':')
		return -400;    /* also whitespace before the colon, obs-fold */
	v = p + i + 1;
	vn = n - i - 1;
	for (size_t k = 0; k < vn; k++) {
		unsigned char c = (unsigned char)v[k];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return -400;
	}
	trim(&v, &vn);

	if (span_is(p, i, "host")) {
		if (r->host.p != NULL)
			return -400;
		r->host.p = v;
		r->host.n = vn;
	} else if (span_is(p, i, "content-length")) {
		return parse_length(v, vn, &h->length);
	} else if (span_is(p, i, "transfer-encoding")) {
		h->chunked = 1;
	} else if (span_is(p, i, "connection")) {
		parse_connection(v, vn, &h->close, &h->keep);
	} else if (span_is(p, i, "accept-encoding")) {
		set_once(&r->accept_encoding, v, vn);
	} else if (span_is(p, i, "if-none-match")) {
		set_once(&r->if_none_match, v, vn);
	} else if (span_is(p, i, "if-modified-since")) {
		set_once(&r->if_modified_since, v, vn);
	} else if (span_is(p, i, "range")) {
		h->ranges++;
		set_once(&r->range, v, vn);
	} else if (span_is(p, i, "if-range")) {
		set_once(&r->if_range, v, vn);
	} else if (span_is(p, i, "user-agent")) {
		set_once(&r->user_agent, v, vn);
	}
	return 0;
}

/* Message framing (RFC 9112 6.3): a body makes the connection unusable for
 * another request, since this server never reads one. */
static int
finish_head(struct http_req *r, const struct head_state *h)
{
	if (h->chunked && (h->length >= 0 || r->minor == 0))
		return -400;
	if (r->minor == 1 && r->host.p == NULL)
		return -400;
	r->has_body = h->chunked || h->length > 0;
	r->keep_alive = !h->close && (r->minor == 1 || h->keep) && !r->has_body;
	if (h->ranges > 1)
		r->range.p = NULL;
	return 0;
}

long
http_parse_request(const char *buf, size_t len, struct http_req *r)
{
	struct head_state h = { .length = -1 };
	const char *p, *next;
	size_t start, n;
	long end;
	int rc;

	memset(r, 0, sizeof(*r));
	end = head_end(buf, len, &start);
	if (end <= 0)
		return end;

	p = buf + start;
	n = line_at(p, &next);
	if ((rc = parse_request_line(p, n, r)) != 0)
		return rc;
	for (p = next; (n = line_at(p, &next)) > 0; p = next)
		if ((rc = parse_field(p, n, r, &h)) != 0)
			return rc;
	if ((rc = finish_head(r, &h)) != 0)
		return rc;
	return end;
}

/* --- the path -------------------------------------------------------------- */

static int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
percent_decode(const char *p, size_t n, char *out, size_t cap, size_t *len)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '%') {
			int hi, lo;

			if (n - i < 3 || (hi = hex_value((unsigned char)p[i + 1])) < 0 ||
			    (lo = hex_value((unsigned char)p[i + 2])) < 0)
				return HTTP_PATH_BAD;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (c < 0x20 || c == 0x7f)
			return HTTP_PATH_BAD;
		if (o + 1 >= cap)
			return HTTP_PATH_LONG;
		out[o++] = (char)c;
	}
	*len = o;
	return HTTP_PATH_OK;
}

int
http_normalize_path(const char *p, size_t n, char *out, size_t cap,
    size_t *out_len, int *dir)
{
	size_t len, r = 0, w = 0;
	int rc, last_dir = 1;

	if (cap == 0)
		return HTTP_PATH_LONG;
	if (n == 0 || p[0] != '/')
		return HTTP_PATH_BAD;
	if ((rc = percent_decode(p, n, out, cap, &len)) != HTTP_PATH_OK)
		return rc;

	/* In place: the write position never passes the read position. */
	while (r < len) {
		size_t s, sn;

		while (r < len && out[r] == '/')
			r++;
		if (r == len) {
			last_dir = 1;
			break;
		}
		for (s = r; r < len && out[r] != '/'; r++)
			;
		sn = r - s;
		last_dir = 1;
		if (sn == 1 && out[s] == '.')
			continue;
		if (sn == 2 && out[s] == '.' && out[s + 1] == '.') {
			if (w == 0)
				return HTTP_PATH_OUTSIDE;
			while (w > 0 && out[w - 1] != '/')
				w--;
			if (w > 0)
				w--;
			continue;
		}
		if (w > 0)
			out[w++] = '/';
		memmove(out + w, out + s, sn);
		w += sn;
		last_dir = 0;
	}
	out[w] = '\0';
	*out_len = w;
	*dir = last_dir || w == 0;
	return HTTP_PATH_OK;
}

/* --- header values --------------------------------------------------------- */

/* A decimal number; saturates instead of overflowing. Returns digits read. */
static size_t
parse_u64(const char *v, size_t n, uint64_t *x)
{
	size_t i = 0;

	*x = 0;
	for (; i < n && is_digit((unsigned char)v[i]); i++) {
		unsigned d = (unsigned)(v[i] - '0');

		*x = *x > (UINT64_MAX - d) / 10 ? UINT64_MAX : *x * 10 + d;
	}
	return i;
}

int
http_parse_range(const char *v, size_t n, uint64_t size, uint64_t *first,
    uint64_t *count)
{
	uint64_t a, b;
	size_t i, k;

	if (n < 6 || !span_is(v, 6, "bytes="))
		return HTTP_RANGE_NONE;
	v += 6;
	n -= 6;
	trim(&v, &n);
	if (n == 0 || memchr(v, ',', n) != NULL)
		return HTTP_RANGE_NONE;

	if (v[0] == '-') {
		if ((k = parse_u64(v + 1, n - 1, &b)) == 0 || k != n - 1)
			return HTTP_RANGE_NONE;
		if (b == 0 || size == 0)
			return HTTP_RANGE_UNSAT;
		*count = b < size ? b : size;
		*first = size - *count;
		return HTTP_RANGE_OK;
	}
	if ((i = parse_u64(v, n, &a)) == 0 || i == n || v[i] != '-')
		return HTTP_RANGE_NONE;
	i++;
	k = parse_u64(v + i, n - i, &b);
	if (i + k != n || (k > 0 && b < a))
		return HTTP_RANGE_NONE;
	if (a >= size)
		return HTTP_RANGE_UNSAT;
	if (k == 0 || b >= size)
		b = size - 1;
	*first = a;
	*count = b - a + 1;
	return HTTP_RANGE_OK;
}

/* q=0, q=0., q=0.0 ... q=0.000 mean "not acceptable" (RFC 9110 12.4.2). */
static int
q_is_zero(const char *params, size_t n)
{
	size_t pos = 0;

	while (pos < n) {
		const char *semi = memchr(params + pos, ';', n - pos);
		size_t len = semi ? (size_t)(semi - (params + pos)) : n - pos;
		const char *p = params + pos;
		size_t i;

		pos += len + (semi != NULL);
		trim(&p, &len);
		if (len < 2 || lower((unsigned char)p[0]) != 'q' || p[1] != '=')
			continue;
		p += 2;
		len -= 2;
		if (len == 0 || p[0] != '0')
			return 0;
		if (len == 1)
			return 1;
		if (p[1] != '.' || len > 5)
			return 0;
		for (i = 2; i < len; i++)
			if (p[i] != '0')
				return 0;
		return 1;
	}
	return 0;
}

int
http_accepts_zstd(const char *v, size_t n)
{
	size_t pos = 0, en;
	const char *e;

	while (next_element(v, n, &pos, &e, &en)) {
		const char *semi = memchr(e, ';', en);
		const char *tok = e;
		size_t tn = semi ? (size_t)(semi - e) : en;

		trim(&tok, &tn);
		if (!span_is(tok, tn, "zstd"))
			continue;
		return semi == NULL || !q_is_zero(semi + 1, en - (size_t)(semi + 1 - e));
	}
	return 0;
}

int
http_etag_match(const char *v, size_t n, const char *tag, size_t tag_len)
{
	size_t pos = 0, en;
	const char *e;

	trim(&v, &n);
	if (n == 1 && v[0] == '*')
		return 1;
	while (next_element(v, n, &pos, &e, &en)) {
		if (en > 2 && e[0] == 'W' && e[1] == '/') {
			e += 2;
			en -= 2;
		}
		if (en == tag_len && memcmp(e, tag, tag_len) == 0)
			return 1;
	}
	return 0;
}

/* --- dates ------------------------------------------------------------------ */

static const char wdays[7][4] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char months[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* Days since 1970-01-01 of a proleptic Gregorian date, and back
 * (H. Hinnant's algorithms, for years 0..9999). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy;

	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static void
put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

void
http_format_date(int64_t t, char out[HTTP_DATE_LEN + 1])
{
	const int64_t max = 253402300799;       /* 9999-12-31 23:59:59 */
	int64_t days, secs, y;
	int m, d;

	if (t < 0)
		t = 0;
	if (t > max)
		t = max;
	days = t / 86400;
	secs = t % 86400;
	civil_from_days(days, &y, &m, &d);

	memcpy(out, wdays[(days + 4) % 7], 3);
	memcpy(out + 3, ", ", 2);
	put2(out + 5, d);
	out[7] = ' ';
	memcpy(out + 8, months[m - 1], 3);
	out[11] = ' ';
	put2(out + 12, (int)(y / 100));
	put2(out + 14, (int)(y % 100));
	out[16] = ' ';
	put2(out + 17, (int)(secs / 3600));
	out[19] = ':';
	put2(out + 20, (int)(secs / 60 % 60));
	out[22] = ':';
	put2(out + 23, (int)(secs % 60));
	memcpy(out + 25, " GMT", 5);
}

static int
digits(const char *p, size_t n, int *v)
{
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit((unsigned char)p[i]))
			return -1;
		*v = *v * 10 + (p[i] - '0');
	}
	return 0;
}

int
http_parse_date(const char *v, size_t n, int64_t *t)
{
	int d, m, y, hh, mm, ss;

	trim(&v, &n);
	if (n != HTTP_DATE_LEN || memcmp(v + 3, ", ", 2) != 0 || v[7] != ' ' ||
	    v[11] != ' ' || v[16] != ' ' || v[19] != ':' || v[22] != ':' ||
	    memcmp(v + 25, " GMT", 4) != 0)
		return -1;
	if (digits(v + 5, 2, &d) || digits(v + 12, 4, &y) ||
	    digits(v + 17, 2, &hh) || digits(v + 20, 2, &mm) ||
	    digits(v + 23, 2, &ss))
		return -1;
	for (m = 0; m < 12 && memcmp(v + 8, months[m], 3) != 0; m++)
		;
	if (m == 12 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60)
		return -1;
	*t = days_from_civil(y, m + 1, d) * 86400 + hh * 3600 + mm * 60 + ss;
	return 0;
}

/* --- escaping ---------------------------------------------------------------- */

static const char hexdig[] = "0123456789ABCDEF";

long
http_escape_path(const char *src, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];
		int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    is_digit(c) || (c != '\0' && strchr("-._~!$&'()*+,;=:@/", c));

		if (o + (plain ? 1 : 3) >= cap)
			return -1;
		if (plain) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hexdig[c >> 4];
			out[o++] = hexdig[c & 15];
		}
	}
	if (cap == 0)
		return -1;
	out[o] = '\0';
	return (long)o;
}

size_t
http_escape_log(const char *src, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];
		int plain = c >= 0x20 && c < 0x7f && c != '"' && c != '\\';

		if (o + (plain ? 1 : 4) >= cap)
			break;
		if (plain) {
			out[o++] = (char)c;
		} else {
			memcpy(out + o, "\\x", 2);
			out[o + 2] = hexdig[c >> 4];
			out[o + 3] = hexdig[c & 15];
			o += 4;
		}
	}
	if (cap > 0)
		out[o] = '\0';
	return o;
}
