/*
 * entry.c - what runs before the program's main().
 *
 * `fatpack cc` links with -Wl,--wrap=main, so the C library's start code calls
 * __wrap_main, which loads the payload and then either answers a --fatpack-*
 * flag given as the first argument (and exits) or calls the program's main.
 * A constructor could not do this: musl passes no argv to constructors.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fatpack.h"
#include "format/format.h"
#include "runtime.h"
#include "format/sha256.h"

int __real_main(int argc, char **argv);
int __wrap_main(int argc, char **argv);

/* The runtime marker (docs/FORMAT.md section 5): `fatpack build` looks for it,
 * and a reader uses it to tell "payload lost" from "not a fat binary". */
__attribute__((used, section(FP_RUNTIME_SECTION)))
static const char fp_marker[] = FP_RUNTIME_MARK;

#define FLAG_PREFIX "--fatpack-"

static const char *prog = "fatpack";

static void
complain(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int
usage_error(const char *what, const char *arg)
{
	complain("%s %s (see %shelp)", what, arg, FLAG_PREFIX);
	return 2;
}

/* --- output helpers -------------------------------------------------------- */

/* UTC ISO 8601, or the raw number when the time cannot be represented. */
static void
iso_time(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if ((int64_t)tt != t || gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "%" PRId64, t);
}

/* Strings reaching here are valid UTF-8 without NUL (archive.c checks paths
 * and metadata), so only quotes, backslashes and controls need escaping. */
static void
json_string_n(const char *s, size_t n)
{
	size_t i;

	putchar('"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void
json_string(const char *s)
{
	json_string_n(s, strlen(s));
}

static void
json_field(const char *key, const char *value, int last)
{
	printf("  ");
	json_string(key);
	printf(": ");
	if (value != NULL)
		json_string(value);
	else
		printf("null");
	printf(last ? "\n" : ",\n");
}

/* --- --fatpack-info -------------------------------------------------------- */

struct totals {
	size_t files;
	uint64_t bytes;     /* saturates: the index may claim anything */
};

static struct totals
count_files(const struct fp_reader *a)
{
	struct totals t = { 0, 0 };
	struct fatpack_entry e;
	size_t i;

	for (i = 0; fp_reader_entry(a, i, &e) == 0; i++) {
		if (e.type != FATPACK_FILE)
			continue;
		t.files++;
		t.bytes = e.size > UINT64_MAX - t.bytes ? UINT64_MAX : t.bytes + e.size;
	}
	return t;
}

/* build_time as a number, or -1 when absent or not a number. */
static long long
build_time(void)
{
	const char *s = fatpack_meta("build_time");
	char *end;
	long long t;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	t = strtoll(s, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : t;
}

/* Every metadata line, known or not (archive.c checked the
 * "key=value\n" shape). */
static void
json_meta(const struct fp_reader *a)
{
	const char *p = a->meta, *end = a->meta + a->meta_size;

	printf("  \"meta\": {");
	while (p < end) {
		const char *eq = memchr(p, '=', (size_t)(end - p));
		const char *nl = memchr(eq, '\n', (size_t)(end - eq));

		printf(p == a->meta ? "\n    " : ",\n    ");
		json_string_n(p, (size_t)(eq - p));
		printf(": ");
		json_string_n(eq + 1, (size_t)(nl - eq - 1));
		p = nl + 1;
	}
	printf(a->meta_size == 0 ? "}\n" : "\n  }\n");
}

static void
info_json(const struct fp_reader *a, struct totals t, long long bt,
    const char *iso)
{
	char ver[32];

	snprintf(ver, sizeof(ver), "%u.%u", a->version_major, a->version_minor);
	printf("{\n");
	json_field("name", fatpack_meta("name"), 0);
	json_field("version", fatpack_meta("version"), 0);
	json_field("revision", fatpack_meta("revision"), 0);
	if (bt >= 0)
		printf("  \"build_time\": %lld,\n", bt);
	else
		printf("  \"build_time\": null,\n");
	json_field("build_time_iso", bt >= 0 ? iso : NULL, 0);
	json_field("fatpack_version", fatpack_meta("fatpack_version"), 0);
	json_field("format_version", ver, 0);
	printf("  \"payload_offset\": %" PRIu64 ",\n", a->payload_offset);
	printf("  \"payload_size\": %" PRIu64 ",\n", a->payload_size);
	json_field("payload_sha256", fatpack_meta("payload_sha256"), 0);
	printf("  \"asset_count\": %zu,\n", t.files);
	printf("  \"entries\": %" PRIu32 ",\n", a->count);
	printf("  \"total_size\": %" PRIu64 ",\n", t.bytes);
	json_meta(a);
	printf("}\n");
}

static const char *
or_none(const char *s)
{
	return s != NULL && *s != '\0' ? s : "-";
}

static void
info_text(const struct fp_reader *a, struct totals t, long long bt,
    const char *iso)
{
	printf("name:             %s\n", or_none(fatpack_meta("name")));
	printf("version:          %s\n", or_none(fatpack_meta("version")));
	printf("revision:         %s\n", or_none(fatpack_meta("revision")));
	if (bt >= 0)
		printf("build time:       %s (%lld)\n", iso, bt);
	else
		printf("build time:       -\n");
	printf("fatpack version:  %s\n", or_none(fatpack_meta("fatpack_version")));
	printf("format version:   %u.%u\n", a->version_major, a->version_minor);
	printf("payload offset:   %" PRIu64 "\n", a->payload_offset);
	printf("payload size:     %" PRIu64 "\n", a->payload_size);
	printf("payload sha256:   %s\n", or_none(fatpack_meta("payload_sha256")));
	printf("assets:           %zu (%" PRIu32 " entries)\n", t.files, a->count);
	printf("total size:       %" PRIu64 "\n", t.bytes);
}

static int
cmd_info(const struct fp_reader *a, int json)
{
	struct totals t = count_files(a);
	long long bt = build_time();
	char iso[32] = "";

	if (bt >= 0)
		iso_time(bt, iso);
	if (json)
		info_json(a, t, bt, iso);
	else
		info_text(a, t, bt, iso);
	return 0;
}

/* --- --fatpack-list, --fatpack-offset ------------------------------------- */

static int
cmd_list(const struct fp_reader *a, int lng)
{
	struct fatpack_entry e;
	char when[32];
	size_t i;

	for (i = 0; fp_reader_entry(a, i, &e) == 0; i++) {
		const char *slash = e.type == FATPACK_DIR ? "/" : "";

		if (!lng) {
			printf("%s%s\n", e.path, slash);
			continue;
		}
		iso_time(e.mtime, when);
		printf("%04o %12" PRIu64 " %s %s%s\n", (unsigned)(e.mode & 07777),
		    e.size, when, e.path, slash);
	}
	return 0;
}

static int
cmd_offset(const struct fp_reader *a)
{
	printf("%" PRIu64 "\n", a->payload_offset);
	return 0;
}

/* --- --fatpack-verify ------------------------------------------------------ */

/* SHA-256 of the tar stream frames, payload bytes 0..index_offset-1. */
static int
hash_stream(const struct fp_reader *a, char hex[65])
{
	static unsigned char buf[1 << 16];
	uint64_t off = a->payload_offset, left = a->index_offset;
	unsigned char sum[32];
	struct sha256 s;

	sha256_init(&s);
	while (left > 0) {
		size_t want = left < sizeof(buf) ? (size_t)left : sizeof(buf);
		ssize_t n = pread(a->fd, buf, want, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		sha256_update(&s, buf, (size_t)n);
		off += (uint64_t)n;
		left -= (uint64_t)n;
	}
	sha256_final(&s, sum);
	sha256_hex(sum, hex);
	return 0;
}

static const char *
asset_problem(int err)
{
	return err == FATPACK_ECORRUPT ? "corrupt zstd frame" : fatpack_strerror(err);
}

static int
cmd_verify(const struct fp_reader *a)
{
	const char *want = fatpack_meta("payload_sha256");
	struct fatpack_entry e;
	size_t i, files = 0, bad = 0;
	char hex[65];

	for (i = 0; fp_reader_entry(a, i, &e) == 0; i++) {
		void *data;
		size_t n;
		int r;

		if (e.type != FATPACK_FILE)
			continue;
		files++;
		if ((r = fp_reader_decode(a, i, &data, &n)) != 0) {
			complain("%s: %s", e.path, asset_problem(r));
			bad++;
			continue;
		}
		free(data);
	}
	if (want != NULL && (hash_stream(a, hex) != 0 || strcmp(hex, want) != 0)) {
		complain("payload: tar stream does not match payload_sha256");
		bad++;
	}
	if (bad > 0) {
		complain("verification failed: %zu problem%s", bad, bad == 1 ? "" : "s");
		return 1;
	}
	printf("OK: %zu assets verified\n", files);
	return 0;
}

/* --- dispatch -------------------------------------------------------------- */

static int
cmd_help(void)
{
	printf("Flags answered by this fat binary (as its first argument):\n"
	    "  " FLAG_PREFIX "info [--json]          build and payload information\n"
	    "  " FLAG_PREFIX "list [-l]              the assets, one path per line\n"
	    "  " FLAG_PREFIX "extract DIR [--force]  write the assets under DIR\n"
	    "  " FLAG_PREFIX "verify                 check every asset's checksum\n"
	    "  " FLAG_PREFIX "offset                 the payload's offset in this file\n"
	    "  " FLAG_PREFIX "help                   this list\n");
	return 0;
}

/* The flag's extra arguments: at most one, and when present it must be opt. */
static int
one_option(int argc, char **argv, const char *opt, int *set)
{
	*set = 0;
	if (argc > 3)
		return usage_error("unexpected argument", argv[3]);
	if (argc == 3) {
		if (strcmp(argv[2], opt) != 0)
			return usage_error("unknown option", argv[2]);
		*set = 1;
	}
	return 0;
}

static int
run_flag(int argc, char **argv)
{
	const char *flag = argv[1] + strlen(FLAG_PREFIX);
	const struct fp_reader *a;
	char detail[256];
	int opt = 0, r;

	if (strcmp(flag, "help") == 0)
		return cmd_help();
	if (strcmp(flag, "info") == 0)
		r = one_option(argc, argv, "--json", &opt);
	else if (strcmp(flag, "list") == 0)
		r = one_option(argc, argv, "-l", &opt);
	else if (strcmp(flag, "extract") == 0)
		r = argc < 3 ? usage_error("missing folder after", argv[1]) :
		    one_option(argc - 1, argv + 1, "--force", &opt);
	else if (strcmp(flag, "verify") == 0 || strcmp(flag, "offset") == 0)
		r = argc > 2 ? usage_error("unexpected argument", argv[2]) : 0;
	else
		return usage_error("unknown option", argv[1]);
	if (r != 0)
		return r;
	if ((r = fp_runtime_init(detail, sizeof(detail))) != 0) {
		complain("%s", detail[0] != '\0' ? detail : fatpack_strerror(r));
		return 1;
	}
	a = fp_runtime_archive();
	if (strcmp(flag, "info") == 0)
		return cmd_info(a, opt);
	if (strcmp(flag, "list") == 0)
		return cmd_list(a, opt);
	if (strcmp(flag, "extract") == 0)
		return fp_extract(a, argv[2], opt, prog);
	if (strcmp(flag, "verify") == 0)
		return cmd_verify(a);
	return cmd_offset(a);
}

int
__wrap_main(int argc, char **argv)
{
	int r;

	/* a use the linker sees, so --gc-sections keeps the marker section */
	__asm__ volatile("" : : "r"(fp_marker));
	fp_runtime_init(NULL, 0);
	if (argc < 2 || strncmp(argv[1], FLAG_PREFIX, strlen(FLAG_PREFIX)) != 0)
		return __real_main(argc, argv);
	if (argv[0] != NULL && argv[0][0] != '\0')
		prog = argv[0];
	r = run_flag(argc, argv);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		complain("writing output: %s", strerror(errno));
		return 1;
	}
	return r;
}
