/*
 * check.h - the rules of docs/FORMAT.md on single values, in one place.
 *
 * The reader (reader.c) refuses a file whose index breaks one of these; the
 * writer (bundler/pack.c), the fatpack file (bundler/config.c) and the
 * built-in server (stub/server/serve.c) call the same functions before they
 * write or use a value, so the writer never produces what the reader refuses.
 *
 * Each check returns NULL when the value is fine, else a short static text
 * saying what is wrong ("path is not UTF-8"); the caller adds its context
 * (the option, "file:line", or "index: entry 12").
 */
#ifndef FP_CHECK_H
#define FP_CHECK_H

#include <stddef.h>

/* Length of the well-formed UTF-8 sequence at p (at most n > 0 bytes), or 0:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
size_t fp_utf8_len(const unsigned char *p, size_t n);

/* Whether p[0..n) is well-formed UTF-8 without NUL. */
int fp_utf8_valid(const char *p, size_t n);

/* An index path (FORMAT.md 4): relative UTF-8, no empty, "." or ".."
 * component, no trailing '/', no NUL or backslash, at most FP_PATH_MAX. */
const char *fp_check_path(const char *p, size_t n);

/* A MIME type: printable ASCII, at most FP_MIME_MAX bytes. */
const char *fp_check_mime(const char *p, size_t n);

/* A metadata key: one or more of [a-z0-9_.]. */
const char *fp_check_meta_key(const char *p, size_t n);

/* A metadata value: UTF-8 text without NUL or newline. */
const char *fp_check_meta_value(const char *p, size_t n);

/* The name metadata as fatpack build takes it; {name} puts it in file names.
 * Metadata text whose ASCII characters are letters, digits, '.', '_' and
 * '-', not starting with '.' or '-'. Characters outside ASCII count as
 * letters, so a name may be in any script; C1 controls do not. */
const char *fp_check_name(const char *v);

/* version and revision: the same, with '+' and '~' too. */
const char *fp_check_version(const char *v);

/* serve.listen: PORT, :PORT, HOST:PORT or [ADDR]:PORT, port 0..65535 (0:
 * any free port). On success, when host is not NULL, writes the host part
 * ("0.0.0.0" for ":PORT", "127.0.0.1" for a bare PORT) into host[0..cap)
 * and the port into *port. */
const char *fp_parse_listen(const char *v, char *host, size_t cap,
    unsigned *port);
const char *fp_check_listen(const char *v);   /* fp_parse_listen, no output */

/* Where the built-in server listens: the one rule for the server and for
 * --fatpack-health's default. opt (--listen) when not NULL; else env ($PORT:
 * a port number only, on all interfaces, as twelve-factor platforms expect)
 * when set and not empty; else meta (serve.listen) when not NULL; else
 * 127.0.0.1:8080. Fills *a and returns NULL, or why a->value, taken from
 * the setting named a->from, is refused. */
#define FP_LISTEN_DEFAULT "127.0.0.1:8080"
struct fp_listen {
	char host[256];
	unsigned port;
	const char *from, *value;
};
const char *fp_serve_listen(const char *opt, const char *env,
    const char *meta, struct fp_listen *a);

/* serve.cache_control: a header value, printable ASCII, 1..FP_HEADER_VALUE_MAX
 * bytes. */
const char *fp_check_cache_control(const char *v);

/* serve.spa_fallback: the index path of an asset (a leading '/' is allowed
 * and dropped by the caller with fp_skip_slashes). */
const char *fp_check_spa_fallback(const char *v);
const char *fp_skip_slashes(const char *v);

/* serve.identity_cache: the memory the built-in server may fill with
 * decoded files to send them with sendfile: a number of bytes with an
 * optional K, M, G or T (powers of 1024), at most 1P, or 0 for none. */
#define FP_IDENTITY_CACHE_DEFAULT "256M"
const char *fp_parse_identity_cache(const char *v, unsigned long long *out);
const char *fp_check_identity_cache(const char *v);

/* mount: where the assets appear as files (docs/MOUNT.md). An absolute
 * path in the form the kernel would print it: a '/' then components that
 * follow the index path rules (fp_check_path), at most FP_MOUNT_MAX bytes;
 * "/" alone is refused, since it would hide the whole file system. */
const char *fp_check_mount(const char *v);

/* mount.override: "on" or "off" (docs/MOUNT.md). */
const char *fp_check_override(const char *v);

/* The jail metadata (docs/CONFIG.md, "The jail"): "off", or words separated
 * by one space: "on", "read=PATH", "write=PATH" (each repeatable, PATH
 * absolute and following the index path rules, not "/"), "net", "exec",
 * "best-effort", "nofile=N", "mem=SIZE" (bytes, or with K, M, G or T),
 * "cpu=SECONDS", "user=NAME" or "user=UID". Each other word at most once;
 * at most FP_JAIL_MAX bytes. fp_parse_jail fills *j, whose strings point
 * into j->buf; the build checks the value with the same function before
 * writing it, and the runtime before applying it. */
#define FP_JAIL_MAX 1024u
#define FP_JAIL_PATHS 16
struct fp_jail {
	int off;                    /* "off": no jail */
	int net, exec, best_effort;
	const char *read[FP_JAIL_PATHS], *write[FP_JAIL_PATHS];
	size_t nread, nwrite;
	unsigned long long nofile, mem, cpu;   /* 0: not set */
	const char *user;           /* NULL: not set */
	char buf[FP_JAIL_MAX + 1];
};
const char *fp_parse_jail(const char *v, struct fp_jail *j);
const char *fp_check_jail(const char *v);

/* Length of the sequence at p (n > 0 bytes) that output for a terminal may
 * show as it is: printable ASCII but the backslash, or a UTF-8 character
 * that is not a C1 control. 0: show the byte as \xHH. Names from an
 * artifact or a command line pass through here, so they cannot move the
 * cursor, fake a line or talk to the terminal. */
size_t fp_shown_len(const unsigned char *p, size_t n);

/* Copies s[0..n) into out (cap >= 8) for a message, each byte that
 * fp_shown_len refuses as \xHH. Truncates with "..." when it does not fit.
 * Returns out. */
char *fp_escape(const char *s, size_t n, char *out, size_t cap);

/* The one table of error texts for the FATPACK_E* codes (never NULL). */
const char *fp_strerror(int err);

#endif
