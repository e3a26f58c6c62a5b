/* test-sources: bundler/pack.c bundler/dict.c bundler/mime.c bundler/assets.c bundler/util.c bundler/temps.c stub/format/check.c stub/format/reader.c stub/format/sha256.c bundler/sign.c stub/format/signature.c tests/unit/tap.c; test-libs: -lzstd -larchive -lsodium */
/*
 * test_meta.c - the writer's last line of defence: pack_write refuses every
 * metadata value the reader would refuse (newline, not UTF-8), writing
 * nothing the reader takes, and what it writes with good values, non-ASCII
 * UTF-8 included, the reader opens and reads back. Run by tests/run.sh as
 * `test_meta SCRATCH_DIR`. Prints one "ok - name" / "not ok - name" line per
 * check; exit 1 if any failed.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/reader.h"
#include "pack.h"
#include "tap.h"

static char path[4096];

/* pack_write of an empty site with m into a new file; its result. */
static int
write_meta(const struct pack_meta *m)
{
	struct asset_list l = { 0 };
	struct pack_opts po = { .level = 1, .jobs = 1 };
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644), rc;

	if (fd < 0) {
		perror(path);
		exit(1);
	}
	rc = pack_write(fd, 0, &l, m, &po, NULL);
	close(fd);
	return rc;
}

/* Whether the reader opens the file and finds key = want. */
static int
reads_back(const char *key, const char *want)
{
	struct fp_reader a;
	const char *v;
	size_t n;
	int fd = open(path, O_RDONLY), ok;

	if (fd < 0 || fp_reader_open(&a, fd, NULL, 0) != 0) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	v = fp_reader_meta(&a, key, &n);
	ok = v != NULL && n == strlen(want) && memcmp(v, want, n) == 0;
	fp_reader_close(&a);
	close(fd);
	return ok;
}

static void
refused(const char *name, struct pack_meta m)
{
	check(write_meta(&m) < 0 && !reads_back("name", "x"), name);
}

int
main(int argc, char **argv)
{
	const struct pack_meta good = {
		.name = "caf\xc3\xa9", .version = "1.0", .revision = "r1",
		.listen = "[::1]:0", .spa_fallback = "index.html",
		.cache_control = "public, max-age=60", .build_time = 1,
	};
	struct pack_meta m = { .name = "x" };

	snprintf(path, sizeof(path), "%s/meta.bin", argc > 1 ? argv[1] : "/tmp");
	check(write_meta(&good) == 0, "good metadata is written");
	check(reads_back("name", "caf\xc3\xa9"), "the reader reads the UTF-8 name");
	check(reads_back("serve.listen", "[::1]:0"), "the reader reads serve.listen");
	check(write_meta(&m) == 0 && reads_back("name", "x"),
	    "the refusals below start from a file the reader takes");
	m.name = "a\nb";
	refused("name with a newline refused", m);
	m.name = "caf\xe9";
	refused("name in Latin-1 refused", m);
	m.name = "x";
	m.version = "1\xff";
	refused("version not UTF-8 refused", m);
	m.version = NULL;
	m.revision = "r\n1";
	refused("revision with a newline refused", m);
	m.revision = NULL;
	m.listen = ":80\n";
	refused("serve.listen with a newline refused", m);
	m.listen = NULL;
	m.spa_fallback = "\xc0\xae";
	refused("serve.spa_fallback in overlong UTF-8 refused", m);
	m.spa_fallback = NULL;
	m.cache_control = "max-age=\xff";
	refused("serve.cache_control not UTF-8 refused", m);
	unlink(path);
	return failures != 0;
}
