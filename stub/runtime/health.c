/*
 * health.c - `APP --fatpack-health [--timeout SECONDS] [URL]`: one HTTP/1.1
 * GET with a deadline, so a Docker HEALTHCHECK, a Nomad check or systemd's
 * ExecStartPost= needs nothing else in the image. A 2xx or 3xx status exits
 * 0 and prints the status line; anything else exits 1 with one line saying
 * why. Without a URL it asks the server's own address, chosen by the rule
 * the server follows (fp_serve_listen).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fatpack.h"
#include "format/check.h"
#include "runtime.h"

#define PATH_CAP 1024

struct target {
	char host[256];
	char port[12];
	char authority[300];        /* the Host header: host[:port] */
	char path[PATH_CAP];
	const char *url;            /* for messages */
};

struct deadline {
	struct timespec end;
};

static int
remaining_ms(const struct deadline *d)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(d->end.tv_sec - now.tv_sec) * 1000 +
	    (d->end.tv_nsec - now.tv_nsec) / 1000000;
	return ms <= 0 ? 0 : ms > 3600000 ? 3600000 : (int)ms;
}

/* Waits until fd is ready for events or the deadline passes: 0, or -1 with
 * errno ETIMEDOUT. */
static int
wait_fd(int fd, short events, const struct deadline *d)
{
	struct pollfd p = { fd, events, 0 };
	int r;

	do
		r = poll(&p, 1, remaining_ms(d));
	while (r < 0 && errno == EINTR);
	if (r == 0)
		errno = ETIMEDOUT;
	return r > 0 ? 0 : -1;
}

/* The request target: printable ASCII without spaces, as a request line
 * needs it; "/" when the URL has none. */
static const char *
take_path(const char *p, struct target *t)
{
	size_t n = strlen(p);

	if (n == 0)
		p = "/";
	if (*p != '/')
		return "the path must start with '/'";
	if (n >= sizeof(t->path))
		return "the path is too long";
	for (size_t i = 0; p[i] != '\0'; i++)
		if (p[i] <= ' ' || p[i] > '~')
			return "the path holds a space, a control or a "
			    "non-ASCII byte";
	strcpy(t->path, p);
	return NULL;
}

/* http://HOST[:PORT][/PATH]; HOST a name, an IPv4 address or [IPv6]. The
 * host and port follow the rules of serve.listen (fp_parse_listen). */
static const char *
parse_url(const char *url, struct target *t)
{
	const char *a = url + 7, *slash, *why;
	char auth[sizeof(t->authority) + 4];
	unsigned port;
	size_t n;

	if (strncmp(url, "http://", 7) != 0)
		return "only http:// URLs are checked";
	slash = strchr(a, '/');
	n = slash != NULL ? (size_t)(slash - a) : strlen(a);
	if (n == 0 || *a == ':' || n >= sizeof(t->authority) - 4)
		return "no host, or a host too long";
	memcpy(t->authority, a, n);
	t->authority[n] = '\0';
	/* a port is there when the last ':' follows any ']' */
	if (strrchr(t->authority, ':') != NULL &&
	    strrchr(t->authority, ':') > strrchr(t->authority, ']'))
		snprintf(auth, sizeof(auth), "%s", t->authority);
	else
		snprintf(auth, sizeof(auth), "%s:80", t->authority);
	if ((why = fp_parse_listen(auth, t->host, sizeof(t->host), &port)) !=
	    NULL)
		return why;
	if (port == 0)
		return "port 0 cannot be asked";
	snprintf(t->port, sizeof(t->port), "%u", port);
	return take_path(slash != NULL ? slash : "", t);
}

/* No URL: where the server listens, as seen from this host. */
static const char *
own_address(struct target *t)
{
	struct fp_listen a;
	const char *why = fp_serve_listen(NULL, getenv("PORT"),
	    fatpack_meta("serve.listen"), &a);
	const char *host = a.host;

	if (why != NULL)
		return why;
	if (a.port == 0)
		return "the server picks its port at start (port 0): give the URL";
	if (strcmp(host, "0.0.0.0") == 0)
		host = "127.0.0.1";
	else if (strcmp(host, "::") == 0)
		host = "::1";
	snprintf(t->host, sizeof(t->host), "%s", host);
	snprintf(t->port, sizeof(t->port), "%u", a.port);
	snprintf(t->authority, sizeof(t->authority),
	    strchr(host, ':') != NULL ? "[%s]:%u" : "%s:%u", host, a.port);
	strcpy(t->path, "/");
	return NULL;
}

/* Where host is: an IPv4 or IPv6 address, or "localhost" (both
 * loopbacks), into *v4 and *v6, with *use4 and *use6 saying which to try.
 * No name is looked up: a lookup is not bound by the deadline, and a
 * scratch image has no resolver to ask. 0, or -1 for anything else. */
static int
addresses(const char *host, unsigned port, struct sockaddr_in *v4,
    struct sockaddr_in6 *v6, int *use4, int *use6)
{
	int local = strcmp(host, "localhost") == 0;

	*v4 = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(port) };
	*v6 = (struct sockaddr_in6){ .sin6_family = AF_INET6,
	    .sin6_port = htons(port) };
	*use4 = inet_pton(AF_INET, local ? "127.0.0.1" : host, &v4->sin_addr) == 1;
	*use6 = inet_pton(AF_INET6, local ? "::1" : host, &v6->sin6_addr) == 1;
	return *use4 || *use6 ? 0 : -1;
}

/* A socket connected to addr within the deadline, or -1 with why. */
static int
connect_one(const struct sockaddr *addr, socklen_t alen,
    const struct deadline *d, char *why, size_t cap)
{
	int fd, err = 0;
	socklen_t len = sizeof(err);

	fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 && (connect(fd, addr, alen) == 0 ||
	    (errno == EINPROGRESS && wait_fd(fd, POLLOUT, d) == 0 &&
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
	    (errno = err) == 0)))
		return fd;
	snprintf(why, cap, "connect: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* A connected socket to one of the host's addresses, or -1 with why. */
static int
connect_to(const struct target *t, const struct deadline *d, char *why,
    size_t cap)
{
	struct sockaddr_in6 v6;
	struct sockaddr_in v4;
	int fd = -1, use4, use6;

	if (addresses(t->host, (unsigned)strtoul(t->port, NULL, 10), &v4, &v6,
	    &use4, &use6) < 0) {
		snprintf(why, cap, "'%.64s' is not an IP address (host names are "
		    "not looked up: give the address, or localhost)", t->host);
		return -1;
	}
	if (use4)
		fd = connect_one((const struct sockaddr *)&v4, sizeof(v4), d, why, cap);
	if (fd < 0 && use6)
		fd = connect_one((const struct sockaddr *)&v6, sizeof(v6), d, why, cap);
	return fd;
}

static int
send_all(int fd, const char *p, size_t n, const struct deadline *d)
{
	while (n > 0) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);

		if (k < 0 && errno == EAGAIN && wait_fd(fd, POLLOUT, d) == 0)
			continue;
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* The first "\r\n" in s, or NULL: strstr's work for one pattern, without
 * the 1.3 KB strstr adds to every fat binary. */
static char *
crlf(char *s)
{
	while ((s = strchr(s, '\r')) != NULL && s[1] != '\n')
		s++;
	return s;
}

/* Reads until the status line is complete: 0 with line NUL-terminated at
 * its CR LF, or -1 with why filled. */
static int
read_status_line(int fd, char *line, size_t cap, const struct deadline *d,
    char *why, size_t wcap)
{
	size_t n = 0;
	char *end;

	for (;;) {
		ssize_t k;

		if (wait_fd(fd, POLLIN, d) != 0) {
			snprintf(why, wcap, "no answer: %s", strerror(errno));
			return -1;
		}
		k = recv(fd, line + n, cap - 1 - n, 0);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k <= 0) {
			snprintf(why, wcap, k == 0 ? "connection closed before "
			    "a status line" : "recv: %s", strerror(errno));
			return -1;
		}
		n += (size_t)k;
		line[n] = '\0';
		if ((end = crlf(line)) != NULL) {
			*end = '\0';
			return 0;
		}
		if (n == cap - 1) {
			snprintf(why, wcap, "status line too long");
			return -1;
		}
	}
}

/* The status code of "HTTP/1.x NNN reason", or -1. */
static int
status_code(const char *line)
{
	int code = 0;

	if (strncmp(line, "HTTP/1.", 7) != 0 || line[7] < '0' ||
	    line[7] > '9' || line[8] != ' ')
		return -1;
	for (int i = 9; i < 12; i++) {
		if (line[i] < '0' || line[i] > '9')
			return -1;
		code = code * 10 + line[i] - '0';
	}
	if (line[12] != ' ' && line[12] != '\0')
		return -1;
	return code;
}

/* One request; fills why and returns -1 when the server is not healthy. */
static int
ask(const struct target *t, int timeout, char *line, size_t cap, char *why,
    size_t wcap)
{
	struct deadline d;
	char req[PATH_CAP + 512];
	int fd, n, code;

	clock_gettime(CLOCK_MONOTONIC, &d.end);
	d.end.tv_sec += timeout;
	if ((fd = connect_to(t, &d, why, wcap)) < 0)
		return -1;
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n"
	    "User-Agent: fatpack-health\r\nConnection: close\r\n\r\n", t->path,
	    t->authority);
	if (send_all(fd, req, (size_t)n, &d) != 0) {
		snprintf(why, wcap, "send: %s", strerror(errno));
		close(fd);
		return -1;
	}
	code = read_status_line(fd, line, cap, &d, why, wcap);
	close(fd);
	if (code != 0)
		return -1;
	if ((code = status_code(line)) < 0) {
		char shown[64];

		snprintf(why, wcap, "not an HTTP/1.x status line: '%s'",
		    fp_escape(line, strlen(line), shown, sizeof(shown)));
		return -1;
	}
	if (code < 200 || code > 399) {
		snprintf(why, wcap, "status %d", code);
		return -1;
	}
	return 0;
}

int
fp_health(const char *prog, const char *url, int timeout)
{
	struct target t;
	char line[512], why[256], shown[400], status[128];
	const char *bad;

	bad = url != NULL ? parse_url(url, &t) : own_address(&t);
	if (bad != NULL) {
		if (url == NULL)
			fprintf(stderr, "%s: health: %s\n", prog, bad);
		else
			fprintf(stderr, "%s: health: URL '%s': %s\n", prog,
			    fp_escape(url, strlen(url), shown, sizeof(shown)),
			    bad);
		return url == NULL ? 1 : 2;
	}
	snprintf(shown, sizeof(shown), "http://%s%.64s%s", t.authority, t.path,
	    strlen(t.path) > 64 ? "..." : "");
	if (ask(&t, timeout, line, sizeof(line), why, sizeof(why)) != 0) {
		fprintf(stderr, "%s: health: %s: %s\n", prog, shown, why);
		return 1;
	}
	printf("%s: %s\n", shown, fp_escape(line, strlen(line), status,
	    sizeof(status)));
	return 0;
}
