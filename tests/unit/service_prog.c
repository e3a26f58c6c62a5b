/*
 * service_prog.c - a fat-binary program that exercises the service API of
 * include/fatpack.h (fatpack_notify, fatpack_watchdog_usec,
 * fatpack_listen_fds, fatpack_listen_name, fatpack_stderr_is_journal) and
 * prints what it sees, for tests/t_systemd.sh to compare against what the
 * manager (a test listener, systemd-socket-activate) set up. Not a host unit
 * test: tests/run.sh compiles only tests/unit/test_*.c.
 *
 *   service_prog notify STATE   fatpack_notify(STATE); prints its result
 *   service_prog env            prints watchdog, journal and passed sockets
 *   service_prog accept         answers one connection on each passed socket
 *                               with its name
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fatpack.h"

static int
env(void)
{
	int n = fatpack_listen_fds();

	printf("watchdog_usec=%" PRIu64 "\n", fatpack_watchdog_usec());
	printf("journal=%d\n", fatpack_stderr_is_journal());
	printf("listen_fds=%d\n", n);
	for (int fd = FATPACK_LISTEN_FDS_START;
	    fd < FATPACK_LISTEN_FDS_START + n; fd++)
		printf("fd %d name=%s cloexec=%d\n", fd, fatpack_listen_name(fd),
		    (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
	printf("name_of_0=%s\n", fatpack_listen_name(0) == NULL ? "(null)" :
	    fatpack_listen_name(0));
	return 0;
}

static int
answer(void)
{
	int n = fatpack_listen_fds();

	for (int fd = FATPACK_LISTEN_FDS_START;
	    fd < FATPACK_LISTEN_FDS_START + n; fd++) {
		const char *name = fatpack_listen_name(fd);
		int c = accept(fd, NULL, NULL);

		if (c < 0) {
			fprintf(stderr, "service_prog: accept: %s\n",
			    strerror(errno));
			return 1;
		}
		if (write(c, name, strlen(name)) < 0 || close(c) != 0)
			return 1;
	}
	return n > 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	int rc;

	if (argc == 3 && strcmp(argv[1], "notify") == 0) {
		rc = fatpack_notify(argv[2]);
		printf("%d\n", rc);
		if (rc < 0)
			fprintf(stderr, "service_prog: notify: %s\n",
			    strerror(errno));
		return rc < 0;
	}
	if (argc == 2 && strcmp(argv[1], "env") == 0)
		return env();
	if (argc == 2 && strcmp(argv[1], "accept") == 0)
		return answer();
	fprintf(stderr, "usage: service_prog notify STATE | env | accept\n");
	return 2;
}
