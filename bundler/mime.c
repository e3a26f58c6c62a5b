/*
 * mime.c - the MIME type of an asset, from its file name.
 *
 * The built-in table wins over /etc/mime.types so that an artifact's types do
 * not depend on the build machine for the files a web server meets most, and
 * so that text types carry the charset browsers need.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "format/check.h"
#include "mime.h"
#include "util.h"

#define MIME_DEFAULT "application/octet-stream"
#define MIME_TYPES_FILE "/etc/mime.types"

struct mime {
	const char *ext;
	const char *type;
};

static const struct mime builtin[] = {
	{ "avif",  "image/avif" },
	{ "bmp",   "image/bmp" },
	{ "css",   "text/css; charset=utf-8" },
	{ "csv",   "text/csv; charset=utf-8" },
	{ "eot",   "application/vnd.ms-fontobject" },
	{ "gif",   "image/gif" },
	{ "gz",    "application/gzip" },
	{ "htm",   "text/html; charset=utf-8" },
	{ "html",  "text/html; charset=utf-8" },
	{ "ico",   "image/vnd.microsoft.icon" },
	{ "jpeg",  "image/jpeg" },
	{ "jpg",   "image/jpeg" },
	{ "js",    "text/javascript; charset=utf-8" },
	{ "json",  "application/json" },
	{ "jsonld", "application/ld+json" },
	{ "manifest", "application/manifest+json" },
	{ "map",   "application/json" },
	{ "md",    "text/markdown; charset=utf-8" },
	{ "mjs",   "text/javascript; charset=utf-8" },
	{ "mp3",   "audio/mpeg" },
	{ "mp4",   "video/mp4" },
	{ "oga",   "audio/ogg" },
	{ "ogg",   "audio/ogg" },
	{ "ogv",   "video/ogg" },
	{ "otf",   "font/otf" },
	{ "pdf",   "application/pdf" },
	{ "png",   "image/png" },
	{ "rss",   "application/rss+xml" },
	{ "svg",   "image/svg+xml" },
	{ "tar",   "application/x-tar" },
	{ "ttf",   "font/ttf" },
	{ "txt",   "text/plain; charset=utf-8" },
	{ "wasm",  "application/wasm" },
	{ "wav",   "audio/wav" },
	{ "webm",  "video/webm" },
	{ "webmanifest", "application/manifest+json" },
	{ "webp",  "image/webp" },
	{ "woff",  "font/woff" },
	{ "woff2", "font/woff2" },
	{ "xml",   "application/xml" },
	{ "zip",   "application/zip" },
	{ "zst",   "application/zstd" },
};

#define NBUILTIN (sizeof(builtin) / sizeof(builtin[0]))

/* /etc/mime.types, sorted by extension; read once. The strings are never freed:
 * they live as long as the process, like the built-in ones. */
static struct mime *system_types;
static size_t n_system;
static pthread_once_t system_once = PTHREAD_ONCE_INIT;

static int
cmp_ext(const void *a, const void *b)
{
	const struct mime *x = a, *y = b;
	int c = strcasecmp(x->ext, y->ext);

	/* keep the first line that names an extension: entries are added in file
	 * order, so the lower address came first */
	if (c == 0)
		c = (x > y) - (x < y);
	return c;
}

static void
add_line(char *line, size_t *cap)
{
	char *save = NULL, *ext;
	const char *word = strtok_r(line, " \t\r\n", &save), *type = NULL;

	/* a type the index may not hold (FORMAT.md 4) is not a type */
	if (word == NULL || *word == '#' ||
	    fp_check_mime(word, strlen(word)) != NULL)
		return;
	while ((ext = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
		if (*ext == '#')
			break;
		if (type == NULL)
			type = xstrdup(word);
		if (n_system == *cap) {
			*cap = *cap ? *cap * 2 : 256;
			system_types = xrealloc(system_types,
			    *cap * sizeof(*system_types));
		}
		system_types[n_system].ext = xstrdup(ext);
		system_types[n_system].type = type;
		n_system++;
	}
}

static void
load_system_types(void)
{
	FILE *f = fopen(MIME_TYPES_FILE, "re");
	char *line = NULL;
	size_t len = 0, cap = 0;

	if (f == NULL)
		return;   /* optional: the built-in table covers the web */
	while (getline(&line, &len, f) != -1)
		add_line(line, &cap);
	free(line);
	fclose(f);
	qsort(system_types, n_system, sizeof(*system_types), cmp_ext);
}

static const char *
find_builtin(const char *ext)
{
	for (size_t i = 0; i < NBUILTIN; i++)
		if (strcasecmp(builtin[i].ext, ext) == 0)
			return builtin[i].type;
	return NULL;
}

/* The first /etc/mime.types line naming ext (lower bound of the sorted run). */
static const char *
find_system(const char *ext)
{
	size_t lo = 0, hi;

	pthread_once(&system_once, load_system_types);
	hi = n_system;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcasecmp(system_types[mid].ext, ext) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < n_system && strcasecmp(system_types[lo].ext, ext) == 0)
		return system_types[lo].type;
	return NULL;
}

const char *
mime_type(const char *path)
{
	const char *base = strrchr(path, '/');
	const char *dot, *t;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	if (dot == NULL || dot == base || dot[1] == '\0')
		return MIME_DEFAULT;
	if ((t = find_builtin(dot + 1)) != NULL)
		return t;
	if ((t = find_system(dot + 1)) != NULL)
		return t;
	return MIME_DEFAULT;
}
