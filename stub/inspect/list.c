/*
 * list.c - the entries of an artifact (`fatpack ls`, `--fatpack-list`).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common.h"

static const char *
or_dash(const char *s)
{
	return s[0] != '\0' ? s : "-";
}

/* As ls(1) shows it: type, then rwx for owner, group, others. */
static void
mode_string(const struct fatpack_entry *e, char s[11])
{
	static const char rwx[] = "rwxrwxrwx";
	int i;

	s[0] = e->type == FATPACK_DIR ? 'd' : '-';
	for (i = 0; i < 9; i++)
		s[i + 1] = (e->mode & (0400u >> i)) ? rwx[i] : '-';
	s[10] = '\0';
}

/* Widths of the size and MIME columns. */
static void
widths(const struct fp_reader *r, int *size_w, int *mime_w)
{
	struct fatpack_entry e;
	size_t i, m;
	int n;

	*size_w = *mime_w = 1;
	for (i = 0; fp_reader_entry(r, i, &e) == 0; i++) {
		n = snprintf(NULL, 0, "%" PRIu64, e.size);
		m = strlen(or_dash(e.mime));   /* at most FP_MIME_MAX */
		if (n > *size_w)
			*size_w = n;
		if ((int)m > *mime_w)
			*mime_w = (int)m;
	}
}

int
fp_inspect_list(const struct fp_inspect *in, int lng)
{
	struct fatpack_entry e;
	char mode[11], when[32];
	int size_w = 0, mime_w = 0;
	size_t i;

	if (lng)
		widths(in->r, &size_w, &mime_w);
	for (i = 0; fp_reader_entry(in->r, i, &e) == 0; i++) {
		const char *slash = e.type == FATPACK_DIR ? "/" : "";

		if (lng) {
			mode_string(&e, mode);
			printf("%s %*" PRIu64 " %s %-*s ", mode, size_w, e.size,
			    fp_iso_time(e.mtime, when), mime_w, or_dash(e.mime));
		}
		fp_put_clean(stdout, e.path, e.path_len);
		printf("%s\n", slash);
	}
	return 0;
}
