/*
 * serve_conn.c - one worker of the built-in server: an epoll loop over its own
 * SO_REUSEPORT listening socket and the connections it accepted.
 *
 * A connection reads into a fixed buffer of HTTP_MAX_HEADER bytes, answers
 * the requests found there one after the other (pipelining), and sends each
 * response before parsing the next: a head from a small buffer, then the body
 * either from memory (a small file's decoded bytes or zstd frame, with the
 * head in one sendmsg) or with sendfile from a file: the stored zstd frame
 * straight from the executable, or a large file's decoded bytes from its
 * memfd (the identity cache), the head sent first with MSG_MORE so the two
 * leave in full packets. Sockets are edge-triggered, so a connection always
 * runs until the kernel says EAGAIN.
 *
 * Timeouts: every connection carries one deadline, always set to now +
 * SERVE_TIMEOUT (when a request starts, when a write progresses, when a
 * response ends), and each setting moves the connection to the end of one of
 * two lists: idle (between requests, nothing buffered) or busy. Each list is
 * then ordered by deadline, so expiry only looks at the two heads, and at the
 * connection bound the idle head, idle the longest, makes room in O(1) however
 * many slow clients are busy before it (one list would need a walk past them,
 * which a client could make long on purpose). A connection turns idle or busy
 * only where its deadline is set, so touch() is where it changes lists.
 */
#include <errno.h>
#include <stddef.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "fatpack.h"
#include "http.h"
#include "serve.h"

#define HEAD_CAP  2048          /* response head; a longer Location is a 414 */
#define LOG_CAP   16384
#define MAX_EVENTS 128

enum conn_state { C_READ, C_WRITE, C_LINGER };

struct conn_list {
	struct conn *first, *last;
};

struct conn {
	int fd;
	enum conn_state state;
	int close_after;            /* the response in flight ends the connection */
	int fresh;                  /* accepted, no byte of a request read yet */
	int64_t deadline;
	struct conn_list *list;     /* idle or busy, ordered by deadline */
	struct conn *prev, *next;

	size_t rlen, rpos;          /* bytes in rbuf, bytes already answered */

	size_t hlen, hoff;          /* response head */
	const char *body;           /* body in memory still to send */
	size_t blen;
	int ffd;                    /* body in a file still to send: the */
	off_t foff;                 /* executable's frame or a memfd */
	uint64_t flen;

	char peer[INET6_ADDRSTRLEN];
	char msg[64];               /* body of a status response */
	char head[HEAD_CAP];
	char rbuf[HTTP_MAX_HEADER];
};

struct worker {
	const struct serve_config *cfg;
	int epfd, lfd;
	int stopping, accept_paused;
	int64_t now, stop_deadline, stop_grace, resume_accept;
	struct conn_list idle, busy;
	struct conn *dead;          /* closed during this batch of events */
	size_t nconn;

	int64_t date_sec;
	char date[HTTP_DATE_LEN + 1];
	char log_date[32];          /* 06/Nov/1994:08:49:37 +0000 */
	char logbuf[LOG_CAP];
	size_t loglen;
	char path[HTTP_MAX_HEADER + 16];
};

/* epoll data for the two descriptors that are not connections */
static char listen_tag, stop_tag;

/* --- time, the log ------------------------------------------------------- */

static int64_t
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void
update_date(struct worker *w)
{
	struct timespec ts;
	const char *d = w->date;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec == w->date_sec)
		return;
	w->date_sec = ts.tv_sec;
	http_format_date(ts.tv_sec, w->date);
	/* "Sun, 06 Nov 1994 08:49:37 GMT" -> "06/Nov/1994:08:49:37 +0000" */
	snprintf(w->log_date, sizeof(w->log_date), "%.2s/%.3s/%.4s:%.8s +0000",
	    d + 5, d + 8, d + 12, d + 17);
}

static void
log_flush(struct worker *w)
{
	size_t off = 0;

	while (off < w->loglen) {
		ssize_t n = write(STDERR_FILENO, w->logbuf + off, w->loglen - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;  /* a broken stderr must not stop the serving */
		off += (size_t)n;
	}
	w->loglen = 0;
}

static void
log_request(struct worker *w, const struct conn *c, const struct http_req *r,
    int status, uint64_t bytes, const char *enc)
{
	char line[512], ua[160];
	size_t n = 0;
	int k;

	if (!w->cfg->access_log)
		return;
	if (r != NULL && r->method_name.p != NULL) {
		n = http_escape_log(r->method_name.p, r->method_name.n, line,
		    sizeof(line) - 12);
		line[n++] = ' ';
		n += http_escape_log(r->target.p, r->target.n, line + n,
		    sizeof(line) - 12 - n);
		n += (size_t)snprintf(line + n, sizeof(line) - n, " HTTP/1.%d",
		    r->minor);
	} else {
		line[n++] = '-';
		line[n] = '\0';
	}
	ua[0] = '-';
	ua[1] = '\0';
	if (r != NULL && r->user_agent.p != NULL)
		http_escape_log(r->user_agent.p, r->user_agent.n, ua, sizeof(ua));
	if (LOG_CAP - w->loglen < 1024)
		log_flush(w);
	/* the journal stamps each line itself */
	k = snprintf(w->logbuf + w->loglen, LOG_CAP - w->loglen,
	    w->cfg->journal ? "%s - - %.0s\"%s\" %d %llu \"%s\" %s\n" :
	    "%s - - [%s] \"%s\" %d %llu \"%s\" %s\n", c->peer, w->log_date,
	    line, status, (unsigned long long)bytes, ua, enc);
	if (k > 0)
		w->loglen += (size_t)k < LOG_CAP - w->loglen ?
		    (size_t)k : LOG_CAP - w->loglen - 1;
}

/* --- the deadline lists ----------------------------------------------------- */

static void
list_remove(struct conn *c)
{
	struct conn_list *l = c->list;

	if (c->prev)
		c->prev->next = c->next;
	else
		l->first = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		l->last = c->prev;
	c->prev = c->next = NULL;
	c->list = NULL;
}

static void
list_append(struct conn_list *l, struct conn *c)
{
	c->list = l;
	c->prev = l->last;
	c->next = NULL;
	if (l->last)
		l->last->next = c;
	else
		l->first = c;
	l->last = c;
}

static int
is_idle(const struct conn *c)
{
	return c->state == C_READ && c->rlen == c->rpos;
}

static void
touch(struct worker *w, struct conn *c)
{
	struct conn_list *to = is_idle(c) ? &w->idle : &w->busy;

	c->deadline = w->now + SERVE_TIMEOUT;
	if (c->list != to || to->last != c) {
		if (c->list != NULL)
			list_remove(c);
		list_append(to, c);
	}
}

static void
resume_accept(struct worker *w)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &listen_tag };

	if (w->accept_paused && !w->stopping &&
	    epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->lfd, &ev) == 0)
		w->accept_paused = 0;
}

/* The memory waits for the end of the batch of events, which may still name
 * this connection (make_room closes other connections than the current). */
static void
conn_close(struct worker *w, struct conn *c)
{
	list_remove(c);
	close(c->fd);       /* also removes it from the epoll set */
	c->fd = -1;
	c->next = w->dead;
	w->dead = c;
	w->nconn--;
	resume_accept(w);
}

static void
free_dead(struct worker *w)
{
	while (w->dead != NULL) {
		struct conn *c = w->dead;

		w->dead = c->next;
		free(c);
	}
}

/* --- response heads ------------------------------------------------------------ */

struct head {
	char *p;
	size_t n, cap;
	int full;
};

static void
put(struct head *h, const char *s, size_t n)
{
	if (h->full || h->cap - h->n < n) {
		h->full = 1;
		return;
	}
	memcpy(h->p + h->n, s, n);
	h->n += n;
}

static void
puts_h(struct head *h, const char *s)
{
	put(h, s, strlen(s));
}

static void
putu(struct head *h, uint64_t v)
{
	char buf[24];
	size_t i = sizeof(buf);

	do
		buf[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	put(h, buf + i, sizeof(buf) - i);
}

static void
header(struct head *h, const char *name, const char *value)
{
	puts_h(h, name);
	put(h, ": ", 2);
	puts_h(h, value);
	put(h, "\r\n", 2);
}

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 414: return "URI Too Long";
	case 416: return "Range Not Satisfiable";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 505: return "HTTP Version Not Supported";
	default:  return "Error";
	}
}

static struct head
head_begin(struct worker *w, struct conn *c, int status)
{
	struct head h = { c->head, 0, sizeof(c->head), 0 };

	puts_h(&h, "HTTP/1.1 ");
	putu(&h, (uint64_t)status);
	put(&h, " ", 1);
	puts_h(&h, reason(status));
	puts_h(&h, "\r\nServer: fatpack\r\nDate: ");
	puts_h(&h, w->date);
	put(&h, "\r\n", 2);
	return h;
}

/* Ends the head and arms the connection to send it. */
static void
head_end(struct conn *c, struct head *h, int keep, int minor)
{
	if (!keep)
		puts_h(h, "Connection: close\r\n");
	else if (minor == 0)
		puts_h(h, "Connection: keep-alive\r\n");
	put(h, "\r\n", 2);
	c->hlen = h->n;
	c->hoff = 0;
	c->body = NULL;
	c->blen = 0;
	c->flen = 0;
	c->close_after = !keep;
	c->state = C_WRITE;
}

/* A short text body for every status that is not a file. */
static void
respond_status(struct worker *w, struct conn *c, const struct http_req *r,
    int status, int keep, const char *location)
{
	struct head h = head_begin(w, c, status);
	int head_only = r != NULL && r->method == HTTP_HEAD;
	char *body = c->msg;

	snprintf(body, sizeof(c->msg), "%d %s\n", status, reason(status));
	if (status == 405)
		puts_h(&h, "Allow: GET, HEAD\r\n");
	if (location != NULL)
		header(&h, "Location", location);
	puts_h(&h, "Content-Type: text/plain; charset=utf-8\r\nContent-Length: ");
	putu(&h, strlen(body));
	put(&h, "\r\n", 2);
	if (h.full)
		return;         /* cannot happen: the fixed parts fit */
	head_end(c, &h, keep, r ? r->minor : 1);
	if (!head_only) {
		c->body = body;
		c->blen = strlen(body);
	}
	log_request(w, c, r, status, head_only ? 0 : c->blen, "-");
}

/* --- files ----------------------------------------------------------------- */

/* If-Range (RFC 9110 13.1.5): a strong match of our ETag or the exact
 * Last-Modified date keeps the Range; anything else drops it. */
static int
if_range_holds(const struct http_req *r, const struct asset *a)
{
	const char *v = r->if_range.p;
	size_t n = r->if_range.n;

	if (v == NULL)
		return 1;
	return (n == strlen(a->etag) && memcmp(v, a->etag, n) == 0) ||
	    (n == strlen(a->last_modified) && memcmp(v, a->last_modified, n) == 0);
}

static int
not_modified(const struct http_req *r, const struct asset *a)
{
	int64_t since;

	if (r->if_none_match.p != NULL)
		return http_etag_match(r->if_none_match.p, r->if_none_match.n,
		    a->etag, strlen(a->etag)) ||
		    http_etag_match(r->if_none_match.p, r->if_none_match.n,
		    a->zetag, strlen(a->zetag));
	return r->if_modified_since.p != NULL &&
	    http_parse_date(r->if_modified_since.p, r->if_modified_since.n,
	    &since) == 0 && a->mtime <= since;
}

/* The identity body of a: a large file's memfd (*fd) while the identity
 * cache has room, else its decoded bytes in memory (*data). */
static int
identity_body(const struct asset *a, int *fd, const void **data)
{
	size_t size;
	int rc;

	*fd = -1;
	if (a->size > SMALL_BODY && (rc = site_memfd(a, fd)) != 0)
		return rc;
	return *fd >= 0 ? 0 : fatpack_get_at(a->index, data, &size);
}

/* Arms the body to go out with sendfile from fd. */
static void
send_file(struct conn *c, int fd, uint64_t off, uint64_t len)
{
	c->ffd = fd;
	c->foff = (off_t)off;
	c->flen = len;
}

/* Headers every response about the asset carries, 304 included. */
static void
validators(struct worker *w, struct head *h, const struct asset *a, int zstd)
{
	header(h, "ETag", zstd ? a->zetag : a->etag);
	header(h, "Last-Modified", a->last_modified);
	if (w->cfg->cache_control != NULL)
		header(h, "Cache-Control", w->cfg->cache_control);
	if (a->zlen > 0)
		puts_h(h, "Vary: Accept-Encoding\r\n");
}

static void
respond_file(struct worker *w, struct conn *c, const struct http_req *r,
    const struct asset *a, int keep)
{
	int accepts = a->zlen > 0 && r->accept_encoding.p != NULL &&
	    http_accepts_zstd(r->accept_encoding.p, r->accept_encoding.n);
	int ranged = HTTP_RANGE_NONE, status = 200, zstd = 0;
	uint64_t first = 0, count = a->size;
	int head_only = r->method == HTTP_HEAD;
	const void *data = NULL;
	int mfd = -1;
	struct head h;

	if (not_modified(r, a)) {
		h = head_begin(w, c, 304);
		validators(w, &h, a, accepts);
		head_end(c, &h, keep, r->minor);
		log_request(w, c, r, 304, 0, "-");
		return;
	}
	if (r->range.p != NULL && if_range_holds(r, a))
		ranged = http_parse_range(r->range.p, r->range.n, a->size, &first,
		    &count);
	if (ranged == HTTP_RANGE_UNSAT) {
		h = head_begin(w, c, 416);
		puts_h(&h, "Content-Range: bytes */");
		putu(&h, a->size);
		puts_h(&h, "\r\nContent-Length: 0\r\n");
		validators(w, &h, a, 0);
		head_end(c, &h, keep, r->minor);
		log_request(w, c, r, 416, 0, "-");
		return;
	}
	zstd = accepts && ranged == HTTP_RANGE_NONE;
	if (a->size > 0) {
		/* A stored frame is sent as it is, so it is checked first (once);
		 * HEAD promises what GET would send, so it is checked too. */
		int rc = zstd || head_only ? fatpack_check_at(a->index) :
		    identity_body(a, &mfd, &data);

		if (rc != 0) {
			fprintf(stderr, "%s: asset %zu: %s\n", w->cfg->prog, a->index,
			    fatpack_strerror(rc));
			respond_status(w, c, r, 500, 0, NULL);
			return;
		}
	}
	if (ranged == HTTP_RANGE_OK)
		status = 206;

	h = head_begin(w, c, status);
	header(&h, "Content-Type", a->mime);
	puts_h(&h, "Content-Length: ");
	putu(&h, zstd ? a->zlen : count);
	put(&h, "\r\n", 2);
	if (zstd)
		puts_h(&h, "Content-Encoding: zstd\r\n");
	if (status == 206) {
		puts_h(&h, "Content-Range: bytes ");
		putu(&h, first);
		put(&h, "-", 1);
		putu(&h, first + count - 1);
		put(&h, "/", 1);
		putu(&h, a->size);
		put(&h, "\r\n", 2);
	}
	puts_h(&h, "Accept-Ranges: bytes\r\n");
	validators(w, &h, a, zstd);
	if (h.full) {
		respond_status(w, c, r, 500, 0, NULL);
		return;
	}
	head_end(c, &h, keep, r->minor);
	if (!head_only && zstd && (data = site_small_frame(a)) != NULL) {
		c->body = data;
		c->blen = (size_t)a->zlen;
	} else if (!head_only && zstd) {
		send_file(c, site_fd(), a->zoff, a->zlen);
	} else if (!head_only && mfd >= 0) {
		send_file(c, mfd, first, count);
	} else if (!head_only && data != NULL) {
		c->body = (const char *)data + first;
		c->blen = (size_t)count;
	}
	log_request(w, c, r, status, head_only ? 0 : zstd ? a->zlen : count,
	    zstd ? "zstd" : "identity");
}

static void
respond_redirect(struct worker *w, struct conn *c, const struct http_req *r,
    size_t len, int keep)
{
	char loc[HEAD_CAP / 2];
	long n;

	loc[0] = '/';
	n = http_escape_path(w->path, len, loc + 1, sizeof(loc) - 2);
	if (n < 0 || (size_t)n + 2 + 1 + r->query.n + 1 > sizeof(loc)) {
		respond_status(w, c, r, 414, keep, NULL);
		return;
	}
	loc[++n] = '/';
	loc[++n] = '\0';
	if (r->query.p != NULL) {
		loc[n++] = '?';
		memcpy(loc + n, r->query.p, r->query.n);
		loc[n + (long)r->query.n] = '\0';
	}
	respond_status(w, c, r, 301, keep, loc);
}

static void
respond(struct worker *w, struct conn *c, const struct http_req *r)
{
	int keep = r->keep_alive && !w->stopping, dir, rc;
	const struct asset *a = NULL;
	size_t len;

	if (r->method == HTTP_OTHER) {
		respond_status(w, c, r, 405, keep, NULL);
		return;
	}
	rc = http_normalize_path(r->path.p, r->path.n, w->path,
	    sizeof(w->path) - 16, &len, &dir);
	if (rc == HTTP_PATH_BAD) {
		respond_status(w, c, r, 400, 0, NULL);
		return;
	}
	if (rc == HTTP_PATH_LONG) {
		respond_status(w, c, r, 414, keep, NULL);
		return;
	}
	switch (rc == HTTP_PATH_OUTSIDE ? SITE_NOTFOUND :
	    site_resolve(w->path, len, sizeof(w->path), dir, &a)) {
	case SITE_FILE:
		respond_file(w, c, r, a, keep);
		return;
	case SITE_REDIRECT:
		respond_redirect(w, c, r, len, keep);
		return;
	case SITE_NOTFOUND:
		break;
	}
	if (w->cfg->spa_fallback != NULL && rc == HTTP_PATH_OK &&
	    (a = site_lookup(w->cfg->spa_fallback)) != NULL)
		respond_file(w, c, r, a, keep);
	else
		respond_status(w, c, r, 404, keep, NULL);
}

/* --- connections ------------------------------------------------------------ */

/* Sends what the kernel takes: 1 when the response is out, 0 on EAGAIN,
 * -1 when the connection is gone. */
static int
send_some(struct worker *w, struct conn *c)
{
	for (;;) {
		ssize_t n;

		if (c->hoff < c->hlen) {
			struct iovec iov[2] = {
				{ c->head + c->hoff, c->hlen - c->hoff },
				{ (void *)c->body, c->blen },
			};
			struct msghdr m = { .msg_iov = iov,
			    .msg_iovlen = c->blen > 0 ? 2 : 1 };

			n = sendmsg(c->fd, &m,
			    MSG_NOSIGNAL | (c->flen > 0 ? MSG_MORE : 0));
			if (n > 0 && (size_t)n > c->hlen - c->hoff) {
				size_t b = (size_t)n - (c->hlen - c->hoff);

				c->hoff = c->hlen;
				c->body += b;
				c->blen -= b;
			} else if (n > 0) {
				c->hoff += (size_t)n;
			}
		} else if (c->blen > 0) {
			n = send(c->fd, c->body, c->blen, MSG_NOSIGNAL);
			if (n > 0) {
				c->body += n;
				c->blen -= (size_t)n;
			}
		} else if (c->flen > 0) {
			size_t chunk = c->flen > (1u << 30) ? (1u << 30) :
			    (size_t)c->flen;

			n = sendfile(c->fd, c->ffd, &c->foff, chunk);
			if (n == 0)
				return -1;      /* the executable shrank (a memfd
						   cannot: sealed) */
			if (n > 0)
				c->flen -= (uint64_t)n;
		} else {
			return 1;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -1;
		}
		touch(w, c);
	}
}

/* After the last response: stop sending, read until the client closes, so
 * unread request bytes do not turn our close into a reset that destroys the
 * response before the client has read it. */
static void
linger_start(struct worker *w, struct conn *c)
{
	shutdown(c->fd, SHUT_WR);
	c->state = C_LINGER;
	touch(w, c);
}

/* Returns 0 while the connection lives, -1 once closed. */
static int
linger_read(struct worker *w, struct conn *c)
{
	for (;;) {
		ssize_t n = read(c->fd, c->rbuf, sizeof(c->rbuf));

		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		conn_close(w, c);
		return -1;
	}
}

/* Answers the next request in the buffer, if complete. Returns 1 when a
 * response was armed, 0 when more bytes are needed. */
static int
next_request(struct worker *w, struct conn *c)
{
	struct http_req r;
	long n;

	if (c->rpos == c->rlen)
		return 0;
	n = http_parse_request(c->rbuf + c->rpos, c->rlen - c->rpos, &r);
	if (n == 0)
		return 0;
	if (n < 0) {
		respond_status(w, c, NULL, (int)-n, 0, NULL);
		c->rpos = c->rlen;
		return 1;
	}
	c->rpos += (size_t)n;
	respond(w, c, &r);
	return 1;
}

/* Reads what is there. Returns 1 with new bytes, 0 on EAGAIN, -1 when the
 * connection was closed (a half request at EOF gets its 400 first). */
static int
read_some(struct worker *w, struct conn *c)
{
	ssize_t n;

	if (c->rpos > 0) {
		memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
		c->rlen -= c->rpos;
		c->rpos = 0;
	}
	do
		n = read(c->fd, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		int starts = c->rlen == 0;

		c->rlen += (size_t)n;
		c->fresh = 0;
		if (starts)
			touch(w, c);    /* a request starts: its head has a deadline */
		return 1;
	}
	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n == 0 && c->rlen > 0) {
		respond_status(w, c, NULL, 400, 0, NULL);
		c->rpos = c->rlen;
		return 1;
	}
	conn_close(w, c);
	return -1;
}

static void
conn_run(struct worker *w, struct conn *c)
{
	for (;;) {
		int rc;

		if (c->state == C_LINGER) {
			linger_read(w, c);
			return;
		}
		if (c->state == C_WRITE) {
			if ((rc = send_some(w, c)) <= 0) {
				if (rc < 0)
					conn_close(w, c);
				return;
			}
			c->state = C_READ;
			if (c->close_after) {
				linger_start(w, c);
				continue;
			}
			touch(w, c);
		}
		if (next_request(w, c))
			continue;
		if (w->stopping && c->rlen == c->rpos &&
		    (!c->fresh || w->now >= w->stop_grace)) {
			conn_close(w, c);
			return;
		}
		if ((rc = read_some(w, c)) <= 0)
			return;
	}
}

/* --- accepting ----------------------------------------------------------------- */

static void
peer_name(const struct sockaddr_storage *ss, char *out, size_t cap)
{
	const void *addr = ss->ss_family == AF_INET6 ?
	    (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr :
	    (const void *)&((const struct sockaddr_in *)ss)->sin_addr;

	if (inet_ntop(ss->ss_family, addr, out, (socklen_t)cap) == NULL)
		snprintf(out, cap, "-");
}

/* At the bound, the connection idle the longest goes; with none idle (all
 * mid-request or mid-response) the newcomer is refused. */
static int
make_room(struct worker *w)
{
	if (w->nconn < w->cfg->max_conn)
		return 0;
	if (w->idle.first == NULL)
		return -1;
	conn_close(w, w->idle.first);
	return 0;
}

/* Out of descriptors: a level-triggered listener would spin, so it leaves
 * the epoll set until a connection closes or a second has passed. */
static void
pause_accept(struct worker *w)
{
	if (epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->lfd, NULL) == 0) {
		w->accept_paused = 1;
		w->resume_accept = w->now + 1;
	}
}

static void
conn_open(struct worker *w, int fd, const struct sockaddr_storage *ss)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP |
	    EPOLLET };
	struct conn *c;
	int one = 1;

	if (make_room(w) != 0 || (c = malloc(sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	memset(c, 0, offsetof(struct conn, head));
	c->fd = fd;
	c->state = C_READ;
	c->fresh = 1;
	peer_name(ss, c->peer, sizeof(c->peer));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	ev.data.ptr = c;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		close(fd);
		free(c);
		return;
	}
	w->nconn++;
	touch(w, c);
	conn_run(w, c);
}

static void
accept_all(struct worker *w)
{
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = accept4(w->lfd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			conn_open(w, fd, &ss);
			continue;
		}
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM) {
			pause_accept(w);
			return;
		}
		if (errno != EINTR && errno != ECONNABORTED)
			return;
	}
}

/* --- the loop ------------------------------------------------------------------- */

static void
expire(struct worker *w)
{
	while (w->idle.first != NULL && w->idle.first->deadline <= w->now)
		conn_close(w, w->idle.first);
	while (w->busy.first != NULL && w->busy.first->deadline <= w->now)
		conn_close(w, w->busy.first);
}

/* Idle connections that have had a request go; with all, those accepted
 * but not yet asked on go too. */
static void
close_idle(struct worker *w, int all)
{
	struct conn *c = w->idle.first, *next;

	for (; c != NULL; c = next) {
		next = c->next;
		if (all || !c->fresh)
			conn_close(w, c);
	}
}

/* Stop accepting; idle connections go now, busy ones after their response.
 * A connection accepted just before has its request on the way (the
 * client cannot know we are stopping, and would not retry a first request
 * on a new connection): it gets SERVE_STOP_GRACE to send it. A restart on a
 * socket the manager holds then loses no request. */
static void
begin_stop(struct worker *w)
{
	w->stopping = 1;
	w->stop_deadline = w->now + SERVE_DRAIN;
	w->stop_grace = w->now + SERVE_STOP_GRACE;
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->cfg->stop_fd, NULL);
	close(w->lfd);
	w->lfd = -1;
	close_idle(w, 0);
}

void *
worker_run(void *arg)
{
	struct worker *w = arg;
	struct epoll_event ev[MAX_EVENTS];

	for (;;) {
		int n = epoll_wait(w->epfd, ev, MAX_EVENTS, 1000);

		w->now = mono_now();
		update_date(w);
		for (int i = 0; i < n; i++) {
			if (ev[i].data.ptr == &listen_tag) {
				if (!w->stopping)
					accept_all(w);
			} else if (ev[i].data.ptr == &stop_tag) {
				if (!w->stopping)
					begin_stop(w);
			} else if (((struct conn *)ev[i].data.ptr)->fd >= 0) {
				conn_run(w, ev[i].data.ptr);
			}
		}
		expire(w);
		if (w->stopping && w->now >= w->stop_grace)
			close_idle(w, 1);
		free_dead(w);
		log_flush(w);
		if (w->accept_paused && w->now >= w->resume_accept)
			resume_accept(w);
		if (w->stopping && (w->nconn == 0 || w->now >= w->stop_deadline))
			break;
	}
	while (w->idle.first != NULL)
		conn_close(w, w->idle.first);
	while (w->busy.first != NULL)
		conn_close(w, w->busy.first);
	free_dead(w);
	log_flush(w);
	return NULL;
}

struct worker *
worker_new(const struct serve_config *cfg, int listen_fd)
{
	struct epoll_event lev = { .events = EPOLLIN, .data.ptr = &listen_tag };
	struct epoll_event sev = { .events = EPOLLIN, .data.ptr = &stop_tag };
	struct worker *w = calloc(1, sizeof(*w));

	if (w == NULL) {
		fprintf(stderr, "%s: out of memory\n", cfg->prog);
		return NULL;
	}
	w->cfg = cfg;
	w->lfd = listen_fd;
	w->date_sec = -1;
	w->now = mono_now();
	update_date(w);
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0 ||
	    epoll_ctl(w->epfd, EPOLL_CTL_ADD, listen_fd, &lev) != 0 ||
	    epoll_ctl(w->epfd, EPOLL_CTL_ADD, cfg->stop_fd, &sev) != 0) {
		fprintf(stderr, "%s: epoll: %s\n", cfg->prog, strerror(errno));
		worker_free(w);
		return NULL;
	}
	return w;
}

void
worker_free(struct worker *w)
{
	if (w == NULL)
		return;
	if (w->epfd >= 0)
		close(w->epfd);
	free(w);
}
