/*
 * open.c - opening an artifact for the read commands (inspect.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/check.h"
#include "common.h"

int
fp_inspect_open(const char *prog, const char *path, struct fp_reader *r)
{
	char detail[512];
	const char *why = NULL;
	struct stat st;
	int fd, rc;

	/* O_NONBLOCK: opening a FIFO for reading would wait for a writer */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		fp_msg(prog, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if ((rc = fp_reader_open(r, fd, detail, sizeof(detail))) != 0)
		why = detail[0] != '\0' ? detail : fp_strerror(rc);
	if (why != NULL) {
		fp_msg(prog, "%s: %s", path, why);
		close(fd);
		return -1;
	}
	return fd;
}

void
fp_inspect_close(struct fp_reader *r)
{
	int fd = r->fd;

	fp_reader_close(r);
	close(fd);
}
