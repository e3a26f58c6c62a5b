/*
 * oci.h - an OCI image layout archive of one artifact (`fatpack oci`,
 * docs/OCI.md): the layer (oci.c) and the JSON documents (ocidoc.c).
 *
 * Everything written depends only on what is given here: the same inputs
 * give the same bytes.
 */
#ifndef FP_OCI_H
#define FP_OCI_H

#include <stddef.h>
#include <stdint.h>

#include "format/reader.h"

/* One entry of the layer. */
struct oci_file {
	char *path;             /* in the image, without the leading '/' */
	char type;              /* 'd' folder, 'f' file, 'l' symbolic link */
	unsigned mode;
	uint64_t size;          /* files */
	char *src;              /* files: the host file; NULL: the artifact */
	char *link;             /* links: the target */
};

/* The layer's entries, in the order they are written. */
struct oci_layer {
	struct oci_file *v;
	size_t n, cap;
	int app_fd;             /* the artifact, read at its offset 0 */
	int64_t mtime;          /* of every entry, and of the archive's */
};

/* Adds an entry, and before it the folders above it not yet added. */
void oci_add(struct oci_layer *l, const char *path, char type,
    unsigned mode, uint64_t size, const char *src, const char *link);

/* Adds the tree under the host folder dir at path: folders, files and
 * links, in bytewise order of the names; anything else is refused. 0, or
 * -1 after a one-line message. */
int oci_add_tree(struct oci_layer *l, const char *path, const char *dir);

void oci_layer_free(struct oci_layer *l);

/* What the image's configuration says. */
struct oci_config {
	const struct fp_reader *r;   /* the artifact: its metadata are labels */
	const char *arch;            /* GOARCH spelling: "amd64", "arm64" */
	const char *entrypoint;      /* "/app/NAME" */
	const char *user;            /* "UID:GID", numeric */
	const char *created;         /* ISO 8601, UTC */
	unsigned port;               /* exposed, 0 for none */
	int port_env;                /* PORT=port in the environment */
	int health;                  /* a Healthcheck: ENTRYPOINT --fatpack-health */
	const char *cert_file;       /* SSL_CERT_FILE, or NULL */
	const char *tag;             /* org.opencontainers.image.ref.name */
};

/* A blob: its bytes (for the JSON documents) and its identity. */
struct oci_blob {
	char *data;
	size_t size;
	char digest[72];             /* "sha256:" and 64 hex digits */
};

/* The documents, each a new blob in fixed key order. */
void oci_config_json(const struct oci_config *c, const struct oci_blob *layer,
    struct oci_blob *out);
void oci_manifest_json(const struct oci_blob *config,
    const struct oci_blob *layer, struct oci_blob *out);
void oci_index_json(const struct oci_config *c, const struct oci_blob *manifest,
    struct oci_blob *out);

/* Sets b->digest from b->data. */
void oci_digest(struct oci_blob *b);

/* Writes the image layout archive of the layer and the configuration c to
 * fd: the layer is made twice (once for its digest, once into the archive)
 * and must come out the same. *manifest gets the manifest's digest. 0, or
 * -1 after a one-line message naming out. */
int oci_write(int fd, const char *out, const struct oci_layer *l,
    const struct oci_config *c, char manifest[72]);

#endif
