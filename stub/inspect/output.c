/*
 * output.c - the small output helpers of the read commands (common.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format/check.h"
#include "format/format.h"
#include "common.h"

/* Room for two paths (a file and an asset, or a folder and an asset) and
 * a reason; longer lines are cut. */
#define LINE_MAX_BYTES (2 * FP_PATH_MAX + 1024)

void
fp_put_clean(FILE *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, k;

	for (i = 0; i < n; i += k) {
		if ((k = fp_shown_len(p + i, n - i)) > 0) {
			fwrite(p + i, 1, k, f);
		} else {
			fprintf(f, "\\x%02x", p[i]);
			k = 1;
		}
	}
}

void
fp_msg(const char *prog, const char *fmt, ...)
{
	char line[LINE_MAX_BYTES];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	flockfile(stderr);
	fp_put_clean(stderr, prog, strlen(prog));
	fputs(": ", stderr);
	fp_put_clean(stderr, line, strlen(line));
	fputc('\n', stderr);
	funlockfile(stderr);
}

/* Not strftime: its time zone code would be 7 KB of every artifact, for a
 * format that has no zone. A year past 9999 has more digits. */
const char *
fp_iso_time(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if ((int64_t)tt != t || gmtime_r(&tt, &tm) == NULL ||
	    snprintf(out, 32, "%04lld-%02d-%02dT%02d:%02d:%02dZ",
	    tm.tm_year + 1900LL, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec) >= 32)
		snprintf(out, 32, "%" PRId64, t);
	return out;
}

void
fp_json_string(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, k;

	putchar('"');
	for (i = 0; i < n; i += k) {
		k = fp_utf8_len(p + i, n - i);
		if (k == 0) {
			fputs("\\ufffd", stdout);
			k = 1;
		} else if (k > 1) {
			fwrite(p + i, 1, k, stdout);
		} else if (p[i] == '"' || p[i] == '\\') {
			printf("\\%c", p[i]);
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			printf("\\u%04x", p[i]);
		} else {
			putchar(p[i]);
		}
	}
	putchar('"');
}

int
fp_meta_int(const struct fp_reader *r, const char *key, long long *v)
{
	size_t len;
	const char *s = fp_reader_meta(r, key, &len);
	char buf[32], *end;

	if (s == NULL || len == 0 || len >= sizeof(buf) ||
	    !(s[0] == '-' || (s[0] >= '0' && s[0] <= '9')))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	*v = strtoll(buf, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : 0;
}
