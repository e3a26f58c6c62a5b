/*
 * serve.c - the built-in static file server, the program of every artifact
 * made with `fatpack build --serve SITE/`. The runtime has loaded the payload
 * before main runs; this file reads the settings (build-time metadata,
 * overridden by the command line and the environment), opens one
 * SO_REUSEPORT listening socket per worker thread (or takes the sockets a
 * service manager passed), and waits for SIGTERM or SIGINT to stop them
 * gracefully, speaking the manager's protocol meanwhile (docs/SERVICE.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fatpack.h"
#include "format/check.h"
#include "serve.h"

#define MAX_WORKERS 256

struct options {
	const char *listen;
	int workers;
	long max_conn;
	const char *identity_cache;
	const char *spa_from, *cache_from, *identity_from;  /* for messages */
};

/* the jail is entered once the sockets are bound (docs/SERVICE.md) */
FATPACK_JAIL_SELF;

static const char *prog = "fatpack-serve";
static char listen_url[INET6_ADDRSTRLEN + 32];  /* for STATUS= */

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: %s [options]\n"
	    "Serves the site packed into this executable over HTTP/1.1.\n"
	    "\n"
	    "  --listen HOST:PORT     address to listen on; also PORT, :PORT or\n"
	    "                         [ADDR]:PORT (default: $PORT on all interfaces\n"
	    "                         when set, else the build's, else 127.0.0.1:8080)\n"
	    "  --spa-fallback PATH    serve PATH for paths that are not in the site\n"
	    "  --cache-control VALUE  Cache-Control header of every file\n"
	    "  --identity-cache SIZE  memory for decoded files over 16 KiB, sent\n"
	    "                         with sendfile (default: the build's, else\n"
	    "                         256M; 0: none)\n"
	    "  --workers N            event loops, one thread each (default: CPUs)\n"
	    "  --max-connections N    open connections at most (default: 10000)\n"
	    "  --no-access-log        no log line per request (also\n"
	    "                         FATPACK_ACCESS_LOG=0)\n"
	    "  --help                 this text\n", prog);
}

static long
number(const char *opt, const char *v, long min, long max)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || n < min || n > max) {
		fprintf(stderr, "%s: %s: '%s' is not a number in %ld..%ld\n", prog,
		    opt, v, min, max);
		exit(2);
	}
	return n;
}

/* A setting the rules of format/check.h refuse, in the words fatpack build
 * uses for the same value: one rule, whichever side applies it. from is the
 * option, or the metadata key or variable the value came from. */
static void
refuse(const char *from, const char *v, const char *why)
{
	char esc[128];

	fprintf(stderr, "%s: %s '%s': %s\n", prog, from,
	    fp_escape(v, strlen(v), esc, sizeof(esc)), why);
}

/* The build checked its values; the command line and an older build's
 * metadata are checked here. */
static void
check_settings(struct serve_config *cfg, const struct options *o)
{
	const char *spa = cfg->spa_fallback, *cc = cfg->cache_control, *why;
	unsigned long long bytes;

	/* an empty --spa-fallback turns the build's off */
	if (spa != NULL && *fp_skip_slashes(spa) == '\0')
		spa = NULL;
	if (spa != NULL && (why = fp_check_spa_fallback(spa)) != NULL) {
		refuse(o->spa_from, spa, why);
		exit(2);
	}
	cfg->spa_fallback = spa != NULL ? fp_skip_slashes(spa) : NULL;
	if (cc != NULL && (why = fp_check_cache_control(cc)) != NULL) {
		refuse(o->cache_from, cc, why);
		exit(2);
	}
	if ((why = fp_parse_identity_cache(o->identity_cache, &bytes)) != NULL) {
		refuse(o->identity_from, o->identity_cache, why);
		exit(2);
	}
	cfg->memfd_bytes = bytes;
}

static int
cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > MAX_WORKERS ? MAX_WORKERS : (int)n;
}

/* Build-time settings first; the command line overrides them. */
static void
parse_args(int argc, char **argv, struct options *o, struct serve_config *cfg)
{
	enum { O_LISTEN = 256, O_SPA, O_CACHE, O_IDENTITY, O_WORKERS, O_MAXCONN,
	    O_NOLOG };
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "spa-fallback", required_argument, NULL, O_SPA },
		{ "cache-control", required_argument, NULL, O_CACHE },
		{ "identity-cache", required_argument, NULL, O_IDENTITY },
		{ "workers", required_argument, NULL, O_WORKERS },
		{ "max-connections", required_argument, NULL, O_MAXCONN },
		{ "no-access-log", no_argument, NULL, O_NOLOG },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *env = getenv("FATPACK_ACCESS_LOG");
	int c;

	cfg->spa_fallback = fatpack_meta("serve.spa_fallback");
	cfg->cache_control = fatpack_meta("serve.cache_control");
	cfg->access_log = !(env != NULL && strcmp(env, "0") == 0);
	o->identity_cache = fatpack_meta("serve.identity_cache");
	o->spa_from = "serve.spa_fallback";
	o->cache_from = "serve.cache_control";
	o->identity_from = "serve.identity_cache";
	if (o->identity_cache == NULL)
		o->identity_cache = FP_IDENTITY_CACHE_DEFAULT;
	o->listen = NULL;
	o->workers = cpus();
	o->max_conn = 10000;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case O_LISTEN:  o->listen = optarg; break;
		case O_SPA:
			cfg->spa_fallback = optarg;
			o->spa_from = "--spa-fallback";
			break;
		case O_CACHE:
			cfg->cache_control = optarg;
			o->cache_from = "--cache-control";
			break;
		case O_IDENTITY:
			o->identity_cache = optarg;
			o->identity_from = "--identity-cache";
			break;
		case O_WORKERS:
			o->workers = (int)number("--workers", optarg, 1, MAX_WORKERS);
			break;
		case O_MAXCONN:
			o->max_conn = number("--max-connections", optarg, 1, 1000000);
			break;
		case O_NOLOG:   cfg->access_log = 0; break;
		case 'h':       usage(stdout); exit(0);
		default:        usage(stderr); exit(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
		exit(2);
	}
	check_settings(cfg, o);
}

/* --- the listening address ------------------------------------------------ */

/* --listen; else PORT; else the build's serve.listen; else 127.0.0.1:8080,
 * by fp_serve_listen, the rule --fatpack-health's default follows too;
 * parsed by fp_parse_listen, as fatpack build checks serve.listen, so the
 * build takes exactly what the server takes. Returns -1 after saying why. */
static int
listen_address(const struct options *o, struct fp_listen *a)
{
	const char *why = fp_serve_listen(o->listen, getenv("PORT"),
	    fatpack_meta("serve.listen"), a);

	if (why != NULL) {
		refuse(a->from, a->value, why);
		return -1;
	}
	return 0;
}

static int
resolve(const struct fp_listen *a, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
	    .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res;
	char port[8];
	int rc;

	snprintf(port, sizeof(port), "%u", a->port);
	if ((rc = getaddrinfo(a->host, port, &hints, &res)) != 0) {
		refuse(a->from, a->value, gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int
open_listener(const struct sockaddr_storage *ss, socklen_t len,
    const char *what)
{
	int one = 1;
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);

	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
	    bind(fd, (const struct sockaddr *)ss, len) != 0 ||
	    listen(fd, 1024) != 0) {
		fprintf(stderr, "%s: listen on %s: %s\n", prog, what,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void
say_listening(const struct sockaddr_storage *ss)
{
	char host[INET6_ADDRSTRLEN];
	const void *addr;
	int port;

	if (ss->ss_family == AF_INET6) {
		addr = &((const struct sockaddr_in6 *)ss)->sin6_addr;
		port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	} else {
		addr = &((const struct sockaddr_in *)ss)->sin_addr;
		port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
	}
	inet_ntop(ss->ss_family, addr, host, sizeof(host));
	fprintf(stderr, ss->ss_family == AF_INET6 ?
	    "listening on http://[%s]:%d/\n" : "listening on http://%s:%d/\n",
	    host, port);
	snprintf(listen_url, sizeof(listen_url), ss->ss_family == AF_INET6 ?
	    "http://[%s]:%d/" : "http://%s:%d/", host, port);
}

/* The first socket fixes the port (port 0 picks a free one); the others
 * join it through SO_REUSEPORT, so the kernel spreads connections. */
static int
open_listeners(const struct fp_listen *a, int *fds, int n)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (resolve(a, &ss, &len) != 0 ||
	    (fds[0] = open_listener(&ss, len, a->value)) < 0)
		return -1;
	len = sizeof(ss);
	getsockname(fds[0], (struct sockaddr *)&ss, &len);
	for (int i = 1; i < n; i++)
		if ((fds[i] = open_listener(&ss, len, a->value)) < 0)
			return -1;
	say_listening(&ss);
	return 0;
}

/* A socket passed by the service manager must be a listening TCP socket;
 * it is made non-blocking like our own. */
static int
check_passed(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int listening = 0, type = 0, flags;
	socklen_t ilen = sizeof(int);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &ilen) != 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ilen) != 0 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) ||
	    type != SOCK_STREAM || !listening) {
		fprintf(stderr, "%s: passed descriptor %d (%s): not a listening "
		    "TCP socket\n", prog, fd, fatpack_listen_name(fd));
		return -1;
	}
	if ((flags = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
		fprintf(stderr, "%s: passed descriptor %d: %s\n", prog, fd,
		    strerror(errno));
		return -1;
	}
	say_listening(&ss);
	return 0;
}

/* Socket activation (LISTEN_FDS): the manager's sockets instead of our
 * own, so the server binds nothing. Worker i takes its own descriptor of
 * passed socket i mod count, since each worker closes its own. */
static int
take_passed(int *fds, int n, int count)
{
	for (int i = 0; i < count; i++)
		if (check_passed(FATPACK_LISTEN_FDS_START + i) != 0)
			return -1;
	for (int i = 0; i < n; i++) {
		fds[i] = fcntl(FATPACK_LISTEN_FDS_START + i % count,
		    F_DUPFD_CLOEXEC, 0);
		if (fds[i] < 0) {
			fprintf(stderr, "%s: dup: %s\n", prog, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* --- running -------------------------------------------------------------- */

/* Connections need descriptors: take what the hard limit allows. */
static long
fd_budget(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur > LONG_MAX ? LONG_MAX : (long)rl.rlim_cur;
}

static void
force_exit(int sig)
{
	(void)sig;
	_exit(1);
}

/* As PID 1 (a container's init) the server adopts every orphan of the
 * namespace: it must reap them, or they stay zombies. It starts no
 * process itself, so every child is such an orphan. */
static void
reap(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* Waits for SIGTERM or SIGINT, reaping children and pinging the service
 * manager's watchdog meanwhile, then tells the workers; a second signal
 * ends the process at once. */
static void
wait_for_stop(const sigset_t *set, int stop_fd)
{
	struct sigaction sa = { .sa_handler = force_exit };
	uint64_t one = 1, half = fatpack_watchdog_usec() / 2;
	struct timespec ts = { (time_t)(half / 1000000),
	    (long)(half % 1000000) * 1000 };
	char state[64];
	size_t files;
	uint64_t bytes;
	int sig;

	for (;;) {
		sig = half > 0 ? sigtimedwait(set, NULL, &ts) :
		    sigwaitinfo(set, NULL);
		if (sig == SIGTERM || sig == SIGINT)
			break;
		if (sig == SIGCHLD)
			reap();
		else if (sig < 0 && errno == EAGAIN)
			fatpack_notify("WATCHDOG=1");
	}
	snprintf(state, sizeof(state), "STOPPING=1\nSTATUS=stopping (signal %d)",
	    sig);
	fatpack_notify(state);
	site_memfd_usage(&files, &bytes);
	fprintf(stderr, "%s: stopping (signal %d), finishing responses; "
	    "identity cache: %zu files, %llu bytes\n", prog, sig, files,
	    (unsigned long long)bytes);
	if (write(stop_fd, &one, sizeof(one)) != sizeof(one))
		_exit(1);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	pthread_sigmask(SIG_UNBLOCK, set, NULL);
}

/* READY=1 once every worker accepts, with the address for systemctl
 * status. */
static void
notify_ready(void)
{
	char state[sizeof(listen_url) + 32];

	snprintf(state, sizeof(state), "READY=1\nSTATUS=serving on %s",
	    listen_url);
	fatpack_notify(state);
}

static int
run(struct serve_config *cfg, const struct fp_listen *a, int n,
    int passed)
{
	struct worker *w[MAX_WORKERS];
	pthread_t t[MAX_WORKERS];
	int fds[MAX_WORKERS];
	sigset_t set;
	int started = 0;

	if ((passed > 0 ? take_passed(fds, n, passed) :
	    open_listeners(a, fds, n)) != 0 || fatpack_jail() != 0)
		return 1;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	for (; started < n; started++) {
		if ((w[started] = worker_new(cfg, fds[started])) == NULL)
			break;
		if ((errno = pthread_create(&t[started], NULL, worker_run,
		    w[started])) != 0) {
			fprintf(stderr, "%s: thread: %s\n", prog, strerror(errno));
			worker_free(w[started]);
			break;
		}
	}
	if (started == n) {
		notify_ready();
		wait_for_stop(&set, cfg->stop_fd);
	} else if (write(cfg->stop_fd, &(uint64_t){ 1 }, 8) != 8) {
		_exit(1);
	}
	for (int i = 0; i < started; i++) {
		pthread_join(t[i], NULL);
		worker_free(w[i]);
	}
	return started == n ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct serve_config cfg = { 0 };
	struct options o;
	struct fp_listen addr;
	long budget;
	int rc, passed;

	if (argv[0] != NULL && argv[0][0] != '\0') {
		const char *slash = strrchr(argv[0], '/');

		prog = slash ? slash + 1 : argv[0];
	}
	cfg.prog = prog;
	cfg.journal = fatpack_stderr_is_journal();
	if ((rc = fatpack_status()) != 0) {
		fprintf(stderr, "%s: %s\n", prog, fatpack_strerror(rc));
		return 1;
	}
	parse_args(argc, argv, &o, &cfg);
	/* with sockets passed, --listen, PORT and serve.listen do not apply */
	if ((passed = fatpack_listen_fds()) > 0 && o.workers < passed)
		o.workers = passed > MAX_WORKERS ? MAX_WORKERS : passed;
	else if (passed == 0 && listen_address(&o, &addr) != 0)
		return 2;

	budget = fd_budget() - 16 - 2L * o.workers;
	if (o.max_conn > budget)
		o.max_conn = budget > o.workers ? budget : o.workers;
	cfg.max_conn = (size_t)((o.max_conn + o.workers - 1) / o.workers);
	/* each file of the identity cache holds a descriptor: connections
	 * have theirs first */
	budget -= (long)cfg.max_conn * o.workers;
	cfg.memfd_files = budget > 0 ? (size_t)budget : 0;
	if ((cfg.stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		fprintf(stderr, "%s: eventfd: %s\n", prog, strerror(errno));
		return 1;
	}
	if (site_init(&cfg) != 0)
		return 1;
	return run(&cfg, &addr, o.workers, passed);
}
