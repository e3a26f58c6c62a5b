/* test-sources: bundler/util.c bundler/temps.c tests/unit/tap.c */
/*
 * test_util.c - unit tests of bundler/util.c, run by tests/run.sh as
 * `test_util SCRATCH_DIR` (without an argument it makes its own folder).
 * Prints one "ok - name" / "not ok - name" line per check; exit 1 if any failed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "tap.h"

static void
test_duration(void)
{
	check(parse_duration("90s") == 90, "duration 90s");
	check(parse_duration("15m") == 900, "duration 15m");
	check(parse_duration("12h") == 43200, "duration 12h");
	check(parse_duration("14d") == 14 * 86400LL, "duration 14d");
	check(parse_duration("2w") == 14 * 86400LL, "duration 2w");
	check(parse_duration("0") == 0, "duration 0 needs no unit");
	check(parse_duration("14") == -1, "duration without unit refused");
	check(parse_duration("") == -1, "duration empty refused");
	check(parse_duration("d") == -1, "duration without number refused");
	check(parse_duration("-1d") == -1, "duration negative refused");
	check(parse_duration("1dd") == -1, "duration trailing junk refused");
	check(parse_duration("1y") == -1, "duration unknown unit refused");
	check(parse_duration(" 1d") == -1, "duration leading space refused");
	check(parse_duration("9223372036854775807s") == 9223372036854775807LL,
	    "duration LLONG_MAX seconds");
	check(parse_duration("9223372036854775808s") == -1, "duration overflow refused");
	check(parse_duration("15250284452472w") == -1, "duration unit overflow refused");
}

static void
test_outfile(const char *dir)
{
	struct outfile o;
	char *path = xasprintf("%s/out", dir), buf[16] = "";
	struct stat st;
	FILE *f;

	unlink(path);
	check(outfile_open(&o, path, 0750) == 0, "outfile_open");
	check(access(path, F_OK) < 0, "target absent before commit");
	check(write_all(o.fd, "hello", 5) == 0, "write_all");
	check(pread(o.fd, buf, 5, 0) == 5 && memcmp(buf, "hello", 5) == 0,
	    "the temporary file holds what was written");
	check(outfile_commit(&o) == 0, "outfile_commit");
	check(stat(path, &st) == 0 && st.st_size == 5 && (st.st_mode & 07777) == 0750,
	    "committed file has its bytes and mode");
	f = fopen(path, "r");
	check(f != NULL && fread(buf, 1, 5, f) == 5 && memcmp(buf, "hello", 5) == 0,
	    "committed content");
	if (f != NULL)
		fclose(f);

	check(outfile_open(&o, path, 0644) == 0, "outfile_open over an existing file");
	write_all(o.fd, "x", 1);
	outfile_abort(&o);
	check(stat(path, &st) == 0 && st.st_size == 5, "abort leaves the target alone");
	umask(077);
	check(outfile_open(&o, path, 0755) == 0 && outfile_commit(&o) == 0 &&
	    stat(path, &st) == 0 && (st.st_mode & 07777) == 0700,
	    "committed file's mode honours the umask");
	umask(022);
	unlink(path);
	free(path);

	path = xasprintf("%s/missing/out", dir);
	check(outfile_open(&o, path, 0644) < 0, "outfile_open in a missing folder fails");
	free(path);
}

static void
test_mkdir_parents(const char *dir)
{
	char *deep = xasprintf("%s/a/b/c/file", dir);
	char *made = xasprintf("%s/a/b/c", dir);
	char *blocked = xasprintf("%s/f/x/file", dir);
	char *plain = xasprintf("%s/f", dir);
	struct stat st;
	FILE *f;

	check(mkdir_parents(deep) == 0 && stat(made, &st) == 0 &&
	    S_ISDIR(st.st_mode), "mkdir_parents makes every missing folder");
	check(stat(deep, &st) < 0, "... and not the last component");
	check(mkdir_parents(deep) == 0, "mkdir_parents again: nothing to do");
	f = fopen(plain, "w");
	if (f != NULL)
		fclose(f);
	check(mkdir_parents(blocked) < 0, "a file where a folder goes fails");
	free(deep);
	free(made);
	free(blocked);
	free(plain);
}

int
main(int argc, char **argv)
{
	char tmpl[] = "/tmp/test_util.XXXXXX";
	const char *dir = argc > 1 ? argv[1] : mkdtemp(tmpl);

	if (dir == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_duration();
	test_outfile(dir);
	test_mkdir_parents(dir);
	if (argc < 2)
		rmdir(dir);
	return failures != 0;
}
