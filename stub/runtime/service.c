/*
 * service.c - the service manager's conventions, spoken without libsystemd:
 * readiness and watchdog messages (sd_notify), sockets passed at start
 * (socket activation) and whether stderr is the journal. The protocols are
 * systemd's, documented in sd_notify(3), sd_listen_fds(3) and systemd.exec(5);
 * other managers (s6, runit with sd-notify shims, Nomad, podman) speak the
 * same. docs/SERVICE.md says how the built-in server uses them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fatpack.h"
#include "runtime.h"

#define MAX_NAMES 64    /* LISTEN_FDNAMES entries kept; later ones: "unknown" */

static pthread_once_t listen_once = PTHREAD_ONCE_INIT;
static int listen_count;
static char *listen_names;          /* LISTEN_FDNAMES, ':' turned into NUL */
static const char *listen_name[MAX_NAMES];

/* A decimal number without sign, spaces or overflow: the environment is the
 * manager's, but a mistyped unit must not turn into a wrong descriptor. */
static int
parse_u64(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long n = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || n > (max - (unsigned)(*s - '0')) / 10)
			return -1;
		n = n * 10 + (unsigned)(*s - '0');
	}
	*out = n;
	return 0;
}

/* Variables meant for this process only: a child started with the same
 * environment has another pid and must not take them for its own. */
static int
for_this_pid(const char *var)
{
	unsigned long long pid;

	if (parse_u64(getenv(var), INT_MAX, &pid) != 0)
		return 0;
	return pid == (unsigned long long)getpid();
}

/* NOTIFY_SOCKET as an address: a path, or "@name" for a socket in the
 * abstract namespace. -1 with errno EAFNOSUPPORT for anything else. */
static int
notify_address(const char *path, struct sockaddr_un *sa, socklen_t *len)
{
	size_t n = strlen(path);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if ((path[0] != '/' && path[0] != '@') || n < 2 ||
	    n > sizeof(sa->sun_path) - (path[0] == '/')) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	memcpy(sa->sun_path, path, n);
	if (path[0] == '@')
		sa->sun_path[0] = '\0';
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
	    (path[0] == '/'));
	return 0;
}

/* A socket connected to the manager once, before the jail: sending on it
 * needs no path lookup, which the jail and a switch of user may forbid. */
static int notify_fd = -1;

void
fp_notify_connect(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	socklen_t len;
	int fd;

	if (path == NULL || *path == '\0' || notify_fd >= 0 ||
	    notify_address(path, &sa, &len) != 0 ||
	    (fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return;
	if (connect(fd, (struct sockaddr *)&sa, len) != 0) {
		close(fd);
		return;
	}
	notify_fd = fd;
}

int
fatpack_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	socklen_t len;
	ssize_t sent;
	int fd, saved;

	if (path == NULL || *path == '\0')
		return 0;
	if (notify_fd >= 0) {
		do
			sent = send(notify_fd, state, strlen(state),
			    MSG_NOSIGNAL);
		while (sent < 0 && errno == EINTR);
		return sent < 0 ? FATPACK_EIO : 1;
	}
	if (notify_address(path, &sa, &len) != 0 ||
	    (fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return FATPACK_EIO;
	do
		sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		    (struct sockaddr *)&sa, len);
	while (sent < 0 && errno == EINTR);
	saved = errno;
	close(fd);
	if (sent < 0) {
		errno = saved;
		return FATPACK_EIO;
	}
	return 1;
}

uint64_t
fatpack_watchdog_usec(void)
{
	unsigned long long usec;

	if (getenv("WATCHDOG_PID") != NULL && !for_this_pid("WATCHDOG_PID"))
		return 0;
	if (parse_u64(getenv("WATCHDOG_USEC"), UINT64_MAX, &usec) != 0)
		return 0;
	return usec;
}

/* Splits LISTEN_FDNAMES into listen_name[]; a missing name is "unknown",
 * as sd_listen_fds_with_names(3) reports it. */
static void
take_names(void)
{
	const char *env = getenv("LISTEN_FDNAMES");
	char *p;
	int i;

	for (i = 0; i < MAX_NAMES; i++)
		listen_name[i] = "unknown";
	if (env == NULL || (listen_names = strdup(env)) == NULL)
		return;
	for (i = 0, p = listen_names; i < MAX_NAMES && p != NULL; i++) {
		char *colon = strchr(p, ':');

		if (colon != NULL)
			*colon = '\0';
		if (*p != '\0')
			listen_name[i] = p;
		p = colon != NULL ? colon + 1 : NULL;
	}
}

/* Once per process. The descriptors get FD_CLOEXEC, so a program that
 * starts another one does not hand them on by accident. */
static void
take_listen_fds(void)
{
	unsigned long long n;
	int i;

	if (!for_this_pid("LISTEN_PID") ||
	    parse_u64(getenv("LISTEN_FDS"), INT_MAX - FATPACK_LISTEN_FDS_START,
	    &n) != 0)
		return;
	for (i = 0; i < (int)n; i++) {
		int fd = FATPACK_LISTEN_FDS_START + i;
		int flags = fcntl(fd, F_GETFD);

		if (flags < 0)
			break;  /* fewer than announced: keep those that exist */
		fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
	}
	listen_count = i;
	take_names();
}

int
fatpack_listen_fds(void)
{
	pthread_once(&listen_once, take_listen_fds);
	return listen_count;
}

const char *
fatpack_listen_name(int fd)
{
	int i = fd - FATPACK_LISTEN_FDS_START;

	if (i < 0 || i >= fatpack_listen_fds())
		return NULL;
	return i < MAX_NAMES ? listen_name[i] : "unknown";
}

int
fatpack_stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	char buf[64], *colon;
	struct stat st;

	if (env == NULL || strlen(env) >= sizeof(buf))
		return 0;
	strcpy(buf, env);
	if ((colon = strchr(buf, ':')) == NULL)
		return 0;
	*colon = '\0';
	if (parse_u64(buf, UINT64_MAX, &dev) != 0 ||
	    parse_u64(colon + 1, UINT64_MAX, &ino) != 0 ||
	    fstat(STDERR_FILENO, &st) != 0)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}
