/*
 * ocidoc.c - the JSON documents of an OCI image: configuration, manifest,
 * index. Each is written by hand in a fixed key order, without whitespace,
 * so that its digest depends on nothing but the values.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "format/sha256.h"
#include "oci.h"
#include "util.h"

#define MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_INDEX "application/vnd.oci.image.index.v1+json"
/* uncompressed: docs/OCI.md says why */
#define MT_LAYER "application/vnd.oci.image.layer.v1.tar"

static void
put(struct oci_blob *b, const char *s, size_t n)
{
	b->data = xrealloc(b->data, b->size + n + 1);
	memcpy(b->data + b->size, s, n);
	b->size += n;
	b->data[b->size] = '\0';
}

/* a string literal, its length known at compile time */
#define LIT(b, s) put((b), (s), sizeof(s) - 1)

static void
putf(struct oci_blob *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
putf(struct oci_blob *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n >= 0)
		put(b, small, (size_t)n < sizeof(small) ? (size_t)n :
		    sizeof(small) - 1);
}

/* s[0..n) escaped for a JSON string. The values are UTF-8 already:
 * metadata the reader checked (FORMAT.md rule 37b) or what this program
 * chose. */
static void
escaped(struct oci_blob *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			putf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			putf(b, "\\u%04x", c);
		else
			put(b, s + i, 1);
	}
}

/* The JSON string of pre followed by s[0..n). */
static void
str(struct oci_blob *b, const char *pre, const char *s, size_t n)
{
	LIT(b, "\"");
	escaped(b, pre, strlen(pre));
	escaped(b, s, n);
	LIT(b, "\"");
}

static void
cstr(struct oci_blob *b, const char *s)
{
	str(b, "", s, strlen(s));
}

/* ,"key": or "key": when first */
static void
key(struct oci_blob *b, int *first, const char *k)
{
	if (!*first)
		LIT(b, ",");
	*first = 0;
	cstr(b, k);
	LIT(b, ":");
}

void
oci_digest(struct oci_blob *b)
{
	unsigned char d[32];
	char hex[65];

	sha256(b->data, b->size, d);
	sha256_hex(d, hex);
	snprintf(b->digest, sizeof(b->digest), "sha256:%s", hex);
}

static void
descriptor(struct oci_blob *out, const char *type, const struct oci_blob *b)
{
	LIT(out, "{\"mediaType\":");
	cstr(out, type);
	LIT(out, ",\"digest\":");
	cstr(out, b->digest);
	putf(out, ",\"size\":%zu", b->size);
}

/* Every metadata key as fatpack.KEY (in the metadata's order, which is
 * bytewise), then the standard keys that have a value, in bytewise order. */
static void
labels(struct oci_blob *b, const struct oci_config *c)
{
	static const struct { const char *label, *meta; } std[] = {
		{ "org.opencontainers.image.created", NULL },
		{ "org.opencontainers.image.revision", "revision" },
		{ "org.opencontainers.image.title", "name" },
		{ "org.opencontainers.image.version", "version" },
	};
	struct fp_kv kv;
	size_t pos = 0, len;
	const char *v;
	int first = 1;

	LIT(b, "{");
	while (fp_reader_meta_next(c->r, &pos, &kv)) {
		if (!first)
			LIT(b, ",");
		first = 0;
		str(b, "fatpack.", kv.key, kv.key_len);
		LIT(b, ":");
		str(b, "", kv.value, kv.value_len);
	}
	for (size_t i = 0; i < sizeof(std) / sizeof(std[0]); i++) {
		v = std[i].meta == NULL ? c->created :
		    fp_reader_meta(c->r, std[i].meta, &len);
		if (v == NULL)
			continue;
		if (std[i].meta == NULL)
			len = strlen(v);
		key(b, &first, std[i].label);
		str(b, "", v, len);
	}
	LIT(b, "}");
}

static void
env(struct oci_blob *b, const struct oci_config *c)
{
	char port[16];

	snprintf(port, sizeof(port), "%u", c->port);
	LIT(b, "[");
	if (c->port_env)
		str(b, "PORT=", port, strlen(port));
	if (c->port_env && c->cert_file != NULL)
		LIT(b, ",");
	if (c->cert_file != NULL)
		str(b, "SSL_CERT_FILE=", c->cert_file, strlen(c->cert_file));
	LIT(b, "]");
}

/* The "config" object: what a runtime runs, as whom, and what it shows. */
static void
run_config(struct oci_blob *b, const struct oci_config *c)
{
	int first = 1;

	LIT(b, "{");
	key(b, &first, "User");
	cstr(b, c->user);
	if (c->port != 0) {
		key(b, &first, "ExposedPorts");
		putf(b, "{\"%u/tcp\":{}}", c->port);
	}
	if (c->port_env || c->cert_file != NULL) {
		key(b, &first, "Env");
		env(b, c);
	}
	key(b, &first, "Entrypoint");
	LIT(b, "[");
	cstr(b, c->entrypoint);
	LIT(b, "]");
	key(b, &first, "WorkingDir");
	cstr(b, "/");
	key(b, &first, "Labels");
	labels(b, c);
	if (c->health) {
		/* Docker's key, which podman honours too; the OCI
		 * specification has none */
		key(b, &first, "Healthcheck");
		LIT(b, "{\"Test\":[\"CMD\",");
		cstr(b, c->entrypoint);
		LIT(b, ",\"--fatpack-health\"]}");
	}
	LIT(b, "}");
}

void
oci_config_json(const struct oci_config *c, const struct oci_blob *layer,
    struct oci_blob *out)
{
	memset(out, 0, sizeof(*out));
	LIT(out, "{\"created\":");
	cstr(out, c->created);
	LIT(out, ",\"architecture\":");
	cstr(out, c->arch);
	LIT(out, ",\"os\":\"linux\",\"config\":");
	run_config(out, c);
	LIT(out, ",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[");
	cstr(out, layer->digest);
	LIT(out, "]},\"history\":[{\"created\":");
	cstr(out, c->created);
	LIT(out, ",\"created_by\":\"fatpack oci\"}]}");
	oci_digest(out);
}

void
oci_manifest_json(const struct oci_blob *config, const struct oci_blob *layer,
    struct oci_blob *out)
{
	memset(out, 0, sizeof(*out));
	LIT(out, "{\"schemaVersion\":2,\"mediaType\":");
	cstr(out, MT_MANIFEST);
	LIT(out, ",\"config\":");
	descriptor(out, MT_CONFIG, config);
	LIT(out, "},\"layers\":[");
	descriptor(out, MT_LAYER, layer);
	LIT(out, "}]}");
	oci_digest(out);
}

void
oci_index_json(const struct oci_config *c, const struct oci_blob *manifest,
    struct oci_blob *out)
{
	memset(out, 0, sizeof(*out));
	LIT(out, "{\"schemaVersion\":2,\"mediaType\":");
	cstr(out, MT_INDEX);
	LIT(out, ",\"manifests\":[");
	descriptor(out, MT_MANIFEST, manifest);
	LIT(out, ",\"platform\":{\"architecture\":");
	cstr(out, c->arch);
	LIT(out, ",\"os\":\"linux\"},\"annotations\":{"
	    "\"org.opencontainers.image.ref.name\":");
	cstr(out, c->tag);
	LIT(out, "}}]}");
	oci_digest(out);
}
