/*
 * cmd_oci.c - `fatpack oci APP -o FILE`: an OCI image layout archive whose
 * one layer holds the artifact (docs/OCI.md, docs/fatpack-oci.1). The
 * artifact is verified first with the checks of `fatpack verify`; the image
 * is written to a temporary file beside FILE and renamed over it.
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "assets.h"
#include "commands.h"
#include "format/check.h"
#include "inspect/common.h"
#include "oci.h"
#include "util.h"

static const char prog[] = "fatpack";

#define CERTS_HOST "/etc/ssl/certs/ca-certificates.crt"
#define CERTS_IMAGE "etc/ssl/certs/ca-certificates.crt"
#define ZONEINFO_HOST "/usr/share/zoneinfo"
#define ZONEINFO_IMAGE "usr/share/zoneinfo"
#define USER_DEFAULT "65532:65532"
#define TAG_DEFAULT "latest"
#define TAG_MAX 128

struct oci_opts {
	const char *app, *out, *tag, *user;
	const char *certs, *zoneinfo;   /* host paths, NULL: not added */
};

static void
usage(FILE *f)
{
	fputs("usage: fatpack oci [OPTIONS] APP -o FILE\n"
	    "\n"
	    "Writes an OCI image layout archive (for skopeo, umoci, a registry):\n"
	    "one layer holding APP as /app/NAME, and a configuration\n"
	    "with its entrypoint, a non-root user, labels from its metadata and,\n"
	    "for a --serve artifact, the port and a health check. APP is verified\n"
	    "first. The same APP and options give the same bytes\n"
	    "(SOURCE_DATE_EPOCH, else the artifact's build_time, dates it).\n"
	    "\n"
	    "  -o, --output FILE     the archive to write (required)\n"
	    "  -t, --tag NAME        its reference name (default latest)\n"
	    "  -u, --user UID[:GID]  numeric user to run as, not 0 (default\n"
	    "                        65532:65532)\n"
	    "      --ca-certs[=FILE] add the host's CA certificates (default\n"
	    "                        " CERTS_HOST ")\n"
	    "                        as /" CERTS_IMAGE "\n"
	    "      --zoneinfo[=DIR]  add the host's time zones (default\n"
	    "                        " ZONEINFO_HOST ") as /" ZONEINFO_IMAGE "\n"
	    "  -h, --help            show this help\n"
	    "\n"
	    "Exit status: 0 written, 1 failed, 2 usage error.\n", f);
}

enum { OPT_CERTS = 256, OPT_ZONEINFO };

static int
parse(int argc, char **argv, struct oci_opts *o)
{
	static const struct option longs[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "tag", required_argument, NULL, 't' },
		{ "user", required_argument, NULL, 'u' },
		{ "ca-certs", optional_argument, NULL, OPT_CERTS },
		{ "zoneinfo", optional_argument, NULL, OPT_ZONEINFO },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:t:u:h", longs, NULL)) != -1) {
		switch (c) {
		case 'o': o->out = optarg; break;
		case 't': o->tag = optarg; break;
		case 'u': o->user = optarg; break;
		case OPT_CERTS: o->certs = optarg ? optarg : CERTS_HOST; break;
		case OPT_ZONEINFO:
			o->zoneinfo = optarg ? optarg : ZONEINFO_HOST;
			break;
		case 'h': usage(stdout); return 0;
		default: return usage_getopt("oci", c, argv);
		}
	}
	if (argc - optind != 1)
		return usage_error("oci", "takes one APP");
	o->app = argv[optind];
	if (o->out == NULL)
		return usage_error("oci", "-o FILE is required");
	return -1;
}

/* --- what the options and the artifact say ------------------------------- */

static int
is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* org.opencontainers.image.ref.name (OCI image-spec, annotations):
 * components of alphanumerics joined by one of -._:@+ or "--", separated
 * by '/'. */
static const char *
check_tag(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > TAG_MAX)
		return "must be 1 to 128 characters";
	for (const char *p = s; *p != '\0';) {
		if (!is_alnum((unsigned char)*p))
			return "must be letters and digits joined by one of "
			    "-._:@+ or --, with '/' between components";
		while (is_alnum((unsigned char)*p))
			p++;
		if (p[0] == '-' && p[1] == '-')
			p += 2;
		else if (*p != '\0' && strchr("-._:@+/", *p) != NULL)
			p++;
		else if (*p != '\0')
			return "holds a character outside [A-Za-z0-9-._:@+/]";
		if (*p == '\0' && !is_alnum((unsigned char)p[-1]))
			return "must end with a letter or a digit";
	}
	return NULL;
}

/* A decimal id, 0..2^31-1 */
static int
parse_id(const char *s, size_t n, unsigned long *v)
{
	*v = 0;
	if (n == 0 || n > 10)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (unsigned long)(s[i] - '0');
	}
	return *v <= 0x7fffffffUL ? 0 : -1;
}

/* UID or UID:GID, numeric (the image has no /etc/passwd to look a name
 * up in), the user not root. Writes "UID:GID" into out. */
static const char *
check_user(const char *s, char *out, size_t cap)
{
	const char *colon = strchr(s, ':');
	size_t un = colon ? (size_t)(colon - s) : strlen(s);
	unsigned long uid, gid;

	if (parse_id(s, un, &uid) < 0 ||
	    (colon != NULL && parse_id(colon + 1, strlen(colon + 1), &gid) < 0))
		return "must be UID or UID:GID, numbers up to 2147483647";
	if (uid == 0)
		return "is root: an image runs its program as a user";
	if (colon == NULL)
		gid = uid;
	snprintf(out, cap, "%lu:%lu", uid, gid);
	return NULL;
}

/* The ELF machine as OCI (Go's GOARCH) spells it. */
static const char *
oci_arch(const struct fp_reader *r)
{
	int m = fp_elf_machine(r->fd);
	const char *name = m < 0 ? NULL : fp_machine_name((unsigned)m);

	if (name != NULL && strcmp(name, "x86_64") == 0)
		return "amd64";
	if (name != NULL && strcmp(name, "aarch64") == 0)
		return "arm64";
	return NULL;
}

/* A metadata value as a new string, NULL when absent. */
static char *
meta_dup(const struct fp_reader *r, const char *key)
{
	size_t len;
	const char *v = fp_reader_meta(r, key, &len);

	return v != NULL ? xasprintf("%.*s", (int)len, v) : NULL;
}

/* The program's name in the image: the metadata's name, else APP's own
 * file name; either must be a valid name (fp_check_name). */
static char *
app_name(const char *app, const struct fp_reader *r)
{
	char *name = meta_dup(r, "name");
	const char *base = strrchr(app, '/'), *why;

	if (name == NULL)
		name = xstrdup(base != NULL ? base + 1 : app);
	if ((why = fp_check_name(name)) != NULL) {
		fp_msg(prog, "%s: name '%s' %s: give the build --name", app,
		    name, why);
		free(name);
		return NULL;
	}
	return name;
}

/* A --serve artifact (it has serve.* metadata; the build writes
 * serve.listen for every one): the port its server listens on, by the
 * server's own rule without PORT, and whether the image must set PORT so
 * that it listens beyond the container's loopback. 0 when not a server,
 * 1 when one, -1 after a message. */
static int
serve_port(const char *app, const struct fp_reader *r, struct oci_config *c)
{
	char *listen = meta_dup(r, "serve.listen");
	struct fp_listen a;
	const char *why;

	if (listen == NULL)
		return 0;
	why = fp_serve_listen(NULL, NULL, listen, &a);
	if (why == NULL && a.port == 0)
		why = "port 0 (any free port) cannot be exposed: build with "
		    "--listen :PORT";
	if (why != NULL)
		fp_msg(prog, "%s: serve.listen '%s': %s", app, listen, why);
	free(listen);
	if (why != NULL)
		return -1;
	c->port = a.port;
	c->port_env = strncmp(a.host, "127.", 4) == 0 ||
	    strcmp(a.host, "::1") == 0 || strcmp(a.host, "localhost") == 0;
	c->health = 1;
	return 1;
}

/* SOURCE_DATE_EPOCH, else the artifact's build_time. */
static int
image_time(const char *app, const struct fp_reader *r, int64_t *t)
{
	long long bt;
	int rc = source_date_epoch(t);

	if (rc <= 0)
		return rc;
	if (fp_meta_int(r, "build_time", &bt) < 0 || bt < 0) {
		fp_msg(prog, "%s: no build_time in the metadata: set "
		    "SOURCE_DATE_EPOCH", app);
		return -1;
	}
	*t = bt;
	return 0;
}

/* --- the work ------------------------------------------------------------ */

struct image {
	struct oci_layer layer;
	struct oci_config conf;
	char *name, *entry;
	char user[32], created[32];
};

/* The host's CA bundle as one file of the image (a link to it is
 * followed: the image has no target for it). */
static int
add_certs(struct oci_layer *l, const char *host)
{
	struct stat st;
	const char *why;
	int fd = open_regular(host, &st, &why);

	if (fd < 0) {
		warnx("%s: %s", host, why);
		return -1;
	}
	close(fd);
	oci_add(l, CERTS_IMAGE, 'f', 0644, (uint64_t)st.st_size, host, NULL);
	return 0;
}

/* What the image holds and says, from the options and the artifact. */
static int
collect(const struct oci_opts *o, const struct fp_reader *r,
    struct image *im)
{
	im->conf.r = r;
	im->conf.tag = o->tag;
	im->conf.user = im->user;
	if ((im->conf.arch = oci_arch(r)) == NULL) {
		fp_msg(prog, "%s: not a program for x86_64 or aarch64", o->app);
		return -1;
	}
	if (image_time(o->app, r, &im->layer.mtime) < 0 ||
	    serve_port(o->app, r, &im->conf) < 0 ||
	    (im->name = app_name(o->app, r)) == NULL)
		return -1;
	im->conf.created = fp_iso_time(im->layer.mtime, im->created);
	im->entry = xasprintf("/app/%s", im->name);
	im->conf.entrypoint = im->entry;
	im->layer.app_fd = r->fd;
	oci_add(&im->layer, im->entry + 1, 'f', 0755, r->file_size, NULL, NULL);
	if (o->certs != NULL) {
		if (add_certs(&im->layer, o->certs) < 0)
			return -1;
		im->conf.cert_file = "/" CERTS_IMAGE;
	}
	if (o->zoneinfo != NULL &&
	    oci_add_tree(&im->layer, ZONEINFO_IMAGE, o->zoneinfo) < 0)
		return -1;
	return 0;
}

/* Writes the image through a temporary file renamed over o->out. */
static int
write_image(const struct oci_opts *o, const struct image *im)
{
	struct outfile of;
	char manifest[72];

	if (outfile_open(&of, o->out, 0644) < 0)
		return -1;
	if (oci_write(of.fd, o->out, &im->layer, &im->conf, manifest) < 0) {
		outfile_abort(&of);
		return -1;
	}
	if (outfile_commit(&of) < 0)
		return -1;
	fprintf(stderr, "%s: %s image %s, linux/%s, %s\n", o->out, im->name,
	    o->tag, im->conf.arch, manifest);
	return 0;
}

/* The options' own checks, before the artifact is opened. */
static int
check_opts(const struct oci_opts *o, struct image *im)
{
	const char *why;

	if ((why = check_tag(o->tag)) != NULL)
		return usage_error("oci", "--tag '%s' %s", o->tag, why);
	if ((why = check_user(o->user, im->user, sizeof(im->user))) != NULL)
		return usage_error("oci", "--user '%s' %s", o->user, why);
	return -1;
}

int
cmd_oci(int argc, char **argv)
{
	struct oci_opts o = { NULL, NULL, TAG_DEFAULT, USER_DEFAULT, NULL, NULL };
	struct image im = { 0 };
	struct fp_reader r;
	struct fp_inspect in = { &r, NULL, prog, NULL };
	int rc;

	if ((rc = parse(argc, argv, &o)) >= 0 || (rc = check_opts(&o, &im)) >= 0)
		return rc;
	in.file = o.app;
	if (fp_inspect_open(prog, o.app, &r) < 0)
		return 1;
	rc = 1;
	/* the checks of `fatpack verify`, each problem on its own line */
	if (fp_check_all(&in, NULL) == 0 && collect(&o, &r, &im) == 0 &&
	    write_image(&o, &im) == 0)
		rc = 0;
	oci_layer_free(&im.layer);
	free(im.name);
	free(im.entry);
	fp_inspect_close(&r);
	return rc;
}
