/*
 * mountconf.c - where a program's assets appear as files, and whether a
 * folder overrides them (docs/MOUNT.md).
 *
 * One decision for the runtime, which acts on it, and for `fatpack info`
 * and `--fatpack-info`, which show it: the same function, the same words.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

#include "format/check.h"
#include "format/format.h"
#include "inspect.h"

/* The metadata value of key as a string in buf, or NULL when absent. */
static const char *
meta_str(const struct fp_reader *r, const char *key, char *buf, size_t cap)
{
	size_t len;
	const char *v = fp_reader_meta(r, key, &len);

	if (v == NULL || len >= cap)
		return NULL;
	memcpy(buf, v, len);
	buf[len] = '\0';
	return buf;
}

/* The mount of an artifact: its metadata (none when absent: such a build
 * predates the mount, or is a --serve build, and was linked without it).
 * Without an artifact (a program not bundled yet): FATPACK_MOUNT, or the
 * default. */
static void
find_mount(const struct fp_reader *r, struct fp_mount_conf *c, int secure)
{
	const char *v;

	if (r != NULL) {
		v = meta_str(r, "mount", c->mount, sizeof(c->mount));
		if (v == NULL || fp_check_mount(v) != NULL)
			c->mount[0] = '\0';
		return;
	}
	v = secure ? NULL : getenv(FP_ENV_MOUNT);
	if (v == NULL || *v == '\0' || fp_check_mount(v) != NULL)
		v = FP_MOUNT_DEFAULT;
	snprintf(c->mount, sizeof(c->mount), "%s", v);
}

void
fp_mount_conf(const struct fp_reader *r, struct fp_mount_conf *c)
{
	char on[4];
	const char *dir = getenv(FP_ENV_ASSETS), *v;
	int secure = getauxval(AT_SECURE) != 0;

	memset(c, 0, sizeof(*c));
	find_mount(r, c, secure);
	if (c->mount[0] == '\0') {
		c->state = "no mount";
		return;
	}
	v = r != NULL ? meta_str(r, "mount.override", on, sizeof(on)) : "on";
	if (v == NULL || strcmp(v, "on") != 0)
		c->state = "off (turned off by the build)";
	else if (secure)
		c->state = "ignored: a set-id program";
	else if (dir == NULL || *dir == '\0')
		c->state = "allowed, " FP_ENV_ASSETS " not set";
	else {
		c->override = dir;
		c->state = "in use: " FP_ENV_ASSETS;
	}
}
