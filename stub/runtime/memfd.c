/*
 * memfd.c - an asset's decoded bytes in a sealed memfd: the mount's open
 * files (mount.c) and fatpack_memfd_at, which a server sends from with
 * sendfile(2), so the page cache serves them with no copy through user
 * space.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fatpack.h"
#include "runtime.h"

int
fp_memfd_of(const char *name, const void *data, size_t size)
{
	unsigned seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;
	size_t done = 0;
	ssize_t w;
	int fd;

	fd = memfd_create(name, MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	while (done < size) {
		w = pwrite(fd, (const char *)data + done, size - done, (off_t)done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		done += (size_t)w;
	}
	if (fcntl(fd, F_ADD_SEALS, seals) < 0)
		goto fail;
	return fd;
fail:
	w = errno;
	close(fd);
	errno = (int)w;
	return -1;
}

int
fatpack_memfd_at(size_t i)
{
	const struct fp_reader *r = fp_runtime_archive();
	struct fatpack_entry e;
	const char *slash;
	void *data;
	size_t size;
	int fd, rc;

	if (r == NULL)
		return fatpack_status();
	if ((rc = fp_reader_entry(r, i, &e)) != 0 ||
	    (rc = fp_reader_decode(r, i, &data, &size)) != 0)
		return rc;
	slash = strrchr(e.path, '/');
	fd = fp_memfd_of(slash != NULL ? slash + 1 : e.path, data, size);
	free(data);
	if (fd < 0)
		return errno == ENOMEM || errno == ENOSPC || errno == EMFILE ||
		    errno == ENFILE ? FATPACK_ENOMEM : FATPACK_EIO;
	return fd;
}
