/*
 * fatpack.h - the runtime API of a fat binary.
 *
 * A program linked with `fatpack cc` (or built by `fatpack build`) carries its
 * assets appended to its own executable. At start, before main() runs, the
 * runtime opens the executable (/proc/self/exe, or the path the kernel passed
 * when /proc is absent), keeps that descriptor for the life of the process and
 * reads the asset index. Asset contents are decoded on first use and stay valid,
 * at the same address, until the process exits. Every function here is
 * thread-safe.
 *
 * Functions that can fail return 0 on success or a negative FATPACK_E* code;
 * fatpack_strerror() turns a code into a one-line message.
 *
 * The on-disk format is specified in docs/FORMAT.md.
 */
#ifndef FATPACK_H
#define FATPACK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FATPACK_VERSION_MAJOR 1 /* format version this runtime reads */

/* Error codes. All are negative; 0 means success. */
#define FATPACK_ENOTFAT    (-1)  /* the executable carries no fatpack payload */
#define FATPACK_ELOST      (-2)  /* runtime present, payload lost (stripped?) */
#define FATPACK_ETRUNC     (-3)  /* the file was cut short */
#define FATPACK_ECHECKSUM  (-4)  /* a checksum did not match: the file is corrupt */
#define FATPACK_EVERSION   (-5)  /* unsupported format major version */
#define FATPACK_ECORRUPT   (-6)  /* malformed trailer, index or frame */
#define FATPACK_ENOENT     (-7)  /* no asset at that path */
#define FATPACK_EISDIR     (-8)  /* the path is a folder, not a file */
#define FATPACK_EIO        (-9)  /* reading the executable failed (see errno) */
#define FATPACK_ENOMEM     (-10) /* out of memory */
#define FATPACK_ERANGE     (-11) /* index out of range */
#define FATPACK_EJAIL      (-12) /* the jail policy could not be applied */
#define FATPACK_EDICT      (-13) /* the frame needs the payload's zstd dictionary */

/* Entry types. */
#define FATPACK_FILE 0
#define FATPACK_DIR  1

/* What the index says about one entry. Strings point into the index and live as
 * long as the process. */
struct fatpack_entry {
	size_t index;           /* position in path order, 0 .. fatpack_count()-1 */
	const char *path;       /* NUL-terminated, relative, e.g. "css/site.css" */
	size_t path_len;
	const char *mime;       /* e.g. "text/css"; "" when unknown */
	uint64_t size;          /* decoded size in bytes; 0 for folders */
	int64_t mtime;          /* seconds since the epoch */
	uint32_t mode;          /* permission bits, 0644 or 0755 */
	int type;               /* FATPACK_FILE or FATPACK_DIR */
	const unsigned char *sha256; /* 32 bytes: SHA-256 of the decoded content */
};

/* Where an asset's zstd frame lies in the executable, for serving it as-is with
 * Content-Encoding: zstd (e.g. with sendfile). The frame decodes to exactly the
 * asset's bytes and carries a content checksum. */
struct fatpack_frame {
	int fd;                 /* the runtime's descriptor of the executable */
	uint64_t offset;        /* absolute offset of the frame in that file */
	uint64_t length;        /* frame length in bytes; 0 for an empty file */
};

/* The result of loading the payload at start: 0, or why it could not be used.
 * Every other call returns this error while the payload is unusable. */
int fatpack_status(void);

/* A one-line description of an error code (never NULL). */
const char *fatpack_strerror(int err);

/* Number of entries (files and folders) in the index. */
size_t fatpack_count(void);

/* Looks up an entry by path without decoding it. The path must be in index form:
 * no leading or trailing slash, no "." or ".." parts. */
int fatpack_stat(const char *path, struct fatpack_entry *out);

/* The entry at position i in path order, for iteration:
 *     for (size_t i = 0; i < fatpack_count(); i++) fatpack_entry_at(i, &e);  */
int fatpack_entry_at(size_t i, struct fatpack_entry *out);

/* Decodes (on first use) and returns the content of a file. *data stays valid
 * for the life of the process and is followed by a NUL byte that is not counted
 * in *size. A corrupt frame returns FATPACK_ECHECKSUM or FATPACK_ECORRUPT and
 * never any of its bytes. */
int fatpack_get(const char *path, const void **data, size_t *size);

/* The same, by position in path order. */
int fatpack_get_at(size_t i, const void **data, size_t *size);

/* A read-only stream over a file's content. NULL on failure, with errno set
 * (ENOENT: no such asset, EISDIR: a folder, EIO: corrupt, ENOMEM). */
FILE *fatpack_fopen(const char *path);

/* The raw zstd frame of the entry at position i (see struct fatpack_frame).
 * Cheap: it reads only the index, and with a dictionary the frame's header.
 * FATPACK_EDICT when the frame was compressed with the payload's zstd
 * dictionary (docs/FORMAT.md 4.3), which no client has: send the decoded
 * content instead (fatpack_get, fatpack_memfd_at). `fatpack build
 * --no-dictionary` and --serve builds write no such frame. Check the frame
 * with fatpack_check_at before sending it anywhere. */
int fatpack_frame_at(size_t i, struct fatpack_frame *out);

/* Checks the content of the entry at position i (zstd checksum, size and
 * SHA-256) without keeping its decoded bytes: 0, or FATPACK_ECHECKSUM /
 * FATPACK_ECORRUPT. The check runs once; later calls return its result. A
 * server sending frames as-is calls this first, so a corrupt frame is never
 * sent. An asset already decoded by fatpack_get passed it. */
int fatpack_check_at(size_t i);

/* The decoded content of the entry at position i in a new sealed memfd
 * (memfd_create(2), sealed against any change, close-on-exec), decoded and
 * checked now: its descriptor, which the caller owns, or a negative
 * FATPACK_E* code (FATPACK_ENOMEM when the memory for it could not be had).
 * The runtime keeps neither the descriptor nor the decoded bytes, so a
 * server can send them with sendfile(2) from the page cache, with no copy
 * through user space, under a memory budget of its own. */
int fatpack_memfd_at(size_t i);

/* A build metadata value (docs/FORMAT.md, "Metadata"), e.g. "version";
 * NULL when absent. The string lives as long as the process. */
const char *fatpack_meta(const char *key);

/* Absolute offset of the payload in the executable. */
uint64_t fatpack_payload_offset(void);

/* --- Running as a service (docs/SERVICE.md) ---------------------------------
 * The conventions of systemd's service manager, without libsystemd. Each is a
 * no-op when the manager did not ask for it, so a program can call them
 * unconditionally. */

/* Sends state to the service manager (sd_notify(3)): one or more
 * "KEY=VALUE" lines, e.g. "READY=1", "STOPPING=1", "WATCHDOG=1" or
 * "STATUS=serving on port 8080". Returns 1 when sent, 0 when no manager
 * listens (NOTIFY_SOCKET unset), FATPACK_EIO with errno set when sending
 * failed (EAFNOSUPPORT: NOTIFY_SOCKET is neither a path nor "@name"). */
int fatpack_notify(const char *state);

/* The watchdog timeout the manager set for this process (WATCHDOG_USEC,
 * honouring WATCHDOG_PID), in microseconds; 0 when none. Send "WATCHDOG=1"
 * at least twice per timeout, e.g. every fatpack_watchdog_usec() / 2. */
uint64_t fatpack_watchdog_usec(void);

/* The first descriptor passed by socket activation (sd_listen_fds(3)). */
#define FATPACK_LISTEN_FDS_START 3

/* How many listening sockets the manager passed to this process
 * (LISTEN_FDS, when LISTEN_PID is this process): they are descriptors
 * FATPACK_LISTEN_FDS_START .. FATPACK_LISTEN_FDS_START + n - 1, already
 * bound and listening, marked close-on-exec by the first call. 0 when
 * none. */
int fatpack_listen_fds(void);

/* The name the manager gave a passed socket (LISTEN_FDNAMES, the
 * FileDescriptorName= of its socket unit), "unknown" when it gave none,
 * NULL when fd is not a passed socket. */
const char *fatpack_listen_name(int fd);

/* Confines this process with the build's jail policy (`fatpack build
 * --jail`, docs/CONFIG.md "The jail"): rlimits, an unprivileged user when
 * root, no new privileges, Landlock and a seccomp allowlist. The runtime
 * calls it before main. A program that must first bind sockets or open
 * files declares FATPACK_JAIL_SELF at file scope and calls fatpack_jail()
 * itself, once that is done and before it starts any thread. Returns 0
 * when confined, or when the build has no jail or says "off";
 * FATPACK_EJAIL after saying why on stderr when the policy cannot be
 * applied (e.g. no Landlock, and the policy does not say best-effort):
 * the program must not go on. */
int fatpack_jail(void);
#define FATPACK_JAIL_SELF \
	extern const int fatpack_jail_self; const int fatpack_jail_self = 1

/* 1 when stderr is connected to the journal (JOURNAL_STREAM names its
 * device and inode), so log lines need no timestamp of their own; else 0. */
int fatpack_stderr_is_journal(void);

#ifdef __cplusplus
}
#endif

#endif /* FATPACK_H */
