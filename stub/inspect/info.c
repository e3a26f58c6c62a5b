/*
 * info.c - an artifact's format, sizes and metadata (`fatpack info`,
 * `--fatpack-info`). Text and JSON show the same facts; docs/fatpack-info.1
 * lists the JSON keys.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "format/signature.h"
#include "common.h"

struct totals {
	size_t assets;
	uint64_t decoded, compressed;   /* saturate: the index may claim anything */
};

static uint64_t
add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static struct totals
count(const struct fp_reader *r)
{
	struct totals t = { 0, 0, 0 };
	struct fatpack_entry e;
	struct fatpack_frame f;
	size_t i;

	for (i = 0; fp_reader_entry(r, i, &e) == 0; i++) {
		if (e.type != FATPACK_FILE)
			continue;
		t.assets++;
		t.decoded = add_sat(t.decoded, e.size);
		if (fp_reader_frame(r, i, &f) == 0)
			t.compressed = add_sat(t.compressed, f.length);
	}
	return t;
}

/* The machine the program is for, from its ELF header: the payload does
 * not depend on it, so it is not metadata. NULL when unknown. */
static const char *
architecture(const struct fp_reader *r)
{
	int m = fp_elf_machine(r->fd);

	return m < 0 ? NULL : fp_machine_name((unsigned)m);
}

/* --- JSON ------------------------------------------------------------------- */

static void
json_key(const char *key)
{
	printf("  \"%s\": ", key);
}

static void
json_meta(const struct fp_reader *r, const char *key)
{
	size_t len;
	const char *v = fp_reader_meta(r, key, &len);

	json_key(key);
	if (v != NULL)
		fp_json_string(v, len);
	else
		fputs("null", stdout);
	fputs(",\n", stdout);
}

static void
json_u64(const char *key, uint64_t v)
{
	json_key(key);
	printf("%" PRIu64 ",\n", v);
}

/* Every metadata line, known or not. */
static void
json_all_meta(const struct fp_reader *r)
{
	struct fp_kv kv;
	size_t pos = 0;
	int first = 1;

	fputs("  \"meta\": {", stdout);
	while (fp_reader_meta_next(r, &pos, &kv)) {
		fputs(first ? "\n    " : ",\n    ", stdout);
		fp_json_string(kv.key, kv.key_len);
		fputs(": ", stdout);
		fp_json_string(kv.value, kv.value_len);
		first = 0;
	}
	fputs(first ? "}\n" : "\n  }\n", stdout);
}

/* The key ID the signature frame names, or NULL when the file is not
 * signed or its frame is bad. Not checked: that is verify's job. */
static const char *
signer_of(const struct fp_reader *r, char id[17])
{
	struct fp_sig s;
	char detail[128];

	if (!(r->flags & FP_FLAG_SIGNED) ||
	    fp_sig_read(r, &s, detail, sizeof(detail)) != 0)
		return NULL;
	fp_key_id_hex(s.id, id);
	return id;
}

static void
info_json(const struct fp_inspect *in, const struct totals *t)
{
	const struct fp_reader *r = in->r;
	struct fp_mount_conf mc;
	const char *arch, *signer;
	long long bt;
	char iso[32], id[17];

	fputs("{\n", stdout);
	json_key("file");
	fp_json_string(in->file, strlen(in->file));
	fputs(",\n", stdout);
	json_meta(r, "name");
	json_meta(r, "version");
	json_meta(r, "revision");
	if (fp_meta_int(r, "build_time", &bt) == 0)
		printf("  \"build_time\": %lld,\n  \"build_time_iso\": \"%s\",\n",
		    bt, fp_iso_time(bt, iso));
	else
		fputs("  \"build_time\": null,\n  \"build_time_iso\": null,\n",
		    stdout);
	json_meta(r, "fatpack_version");
	printf("  \"format_version\": \"%u.%u\",\n", r->version_major,
	    r->version_minor);
	json_key("architecture");
	if ((arch = architecture(r)) != NULL)
		fp_json_string(arch, strlen(arch));
	else
		fputs("null", stdout);
	fputs(",\n", stdout);
	json_u64("payload_offset", r->payload_offset);
	json_u64("payload_size", r->payload_size);
	json_meta(r, "payload_sha256");
	json_u64("index_size", r->index_size);
	json_u64("dictionary_size", r->flags & FP_FLAG_DICT ?
	    r->dict_size - 8 : 0);
	json_key("signature_key_id");
	if ((signer = signer_of(r, id)) != NULL)
		printf("\"%s\",\n", signer);
	else
		fputs("null,\n", stdout);
	json_u64("asset_count", t->assets);
	json_u64("entries", r->count);
	json_u64("total_size", t->decoded);
	json_u64("compressed_size", t->compressed);
	fp_mount_conf(r, &mc);
	json_key("override");
	if (mc.override != NULL)
		fp_json_string(mc.override, strlen(mc.override));
	else
		fputs("null", stdout);
	fputs(",\n", stdout);
	json_key("override_state");
	fp_json_string(mc.state, strlen(mc.state));
	fputs(",\n", stdout);
	json_all_meta(r);
	fputs("}\n", stdout);
}

/* --- text ------------------------------------------------------------------- */

/* "  LABEL" padded to a column; the label may be a metadata key, whose
 * length is the index's business, so it is written, not formatted. */
static void
label(const char *s, size_t n)
{
	fputs("  ", stdout);
	fp_put_clean(stdout, s, n);
	while (n++ < 18)
		putchar(' ');
	putchar(' ');
}

static void
text_u64(const char *name, uint64_t v)
{
	label(name, strlen(name));
	printf("%" PRIu64 "\n", v);
}

static void
text_meta(const struct fp_reader *r)
{
	struct fp_kv kv;
	size_t pos = 0;
	long long bt;
	char iso[32];

	while (fp_reader_meta_next(r, &pos, &kv)) {
		label(kv.key, kv.key_len);
		fp_put_clean(stdout, kv.value, kv.value_len);
		if (kv.key_len == 10 && memcmp(kv.key, "build_time", 10) == 0 &&
		    fp_meta_int(r, "build_time", &bt) == 0)
			printf(" (%s)", fp_iso_time(bt, iso));
		putchar('\n');
	}
}

static void
info_text(const struct fp_inspect *in, const struct totals *t)
{
	const struct fp_reader *r = in->r;
	const char *arch = architecture(r), *signer;
	struct fp_mount_conf mc;
	char id[17];

	printf("%s: fatpack format %u.%u\n", in->file, r->version_major,
	    r->version_minor);
	label("architecture", 12);
	puts(arch != NULL ? arch : "unknown");
	label("payload offset", 14);
	if (r->flags & FP_FLAG_DICT)   /* zstd needs the dictionary: -D */
		printf("%" PRIu64 "  (zstd -D: docs/FORMAT.md 4.3)\n",
		    r->payload_offset);
	else
		printf("%" PRIu64 "  (tail -c +%" PRIu64 " %s | zstd -dc | "
		    "tar -tv)\n", r->payload_offset, r->payload_offset + 1,
		    in->file);
	text_u64("payload size", r->payload_size);
	if (r->flags & FP_FLAG_DICT) {
		label("dictionary", 10);
		printf("%" PRIu64 " bytes, ID %" PRIu32 "\n", r->dict_size - 8,
		    r->dict_id);
	}
	text_u64("index size", r->index_size);
	if ((signer = signer_of(r, id)) != NULL) {
		label("signed by key", 13);
		printf("%s (fatpack verify --key checks it)\n", signer);
	}
	label("entries", 7);
	printf("%" PRIu32 " (%zu assets)\n", r->count, t->assets);
	text_u64("total size", t->decoded);
	label("compressed size", 15);
	printf("%" PRIu64, t->compressed);
	if (t->decoded > 0)
		printf(" (%.1f%%)", 100.0 * (double)t->compressed /
		    (double)t->decoded);
	putchar('\n');
	text_meta(r);
	fp_mount_conf(r, &mc);
	if (mc.mount[0] == '\0')
		return;
	label("assets override", 15);
	fputs(mc.state, stdout);
	if (mc.override != NULL) {
		putchar('=');
		fp_put_clean(stdout, mc.override, strlen(mc.override));
	}
	putchar('\n');
}

int
fp_inspect_info(const struct fp_inspect *in, int json)
{
	struct totals t = count(in->r);

	if (json)
		info_json(in, &t);
	else
		info_text(in, &t);
	return 0;
}
