/*
 * inspect.h - the read commands: list, info, verify, extract.
 *
 * One implementation for both ways of asking: `fatpack ls APP` (the bundler,
 * on any artifact) and `APP --fatpack-list` (the runtime, on itself). Both
 * sides open the artifact with the format library's reader and hand it here,
 * so they print the same output, the same JSON keys and the same messages;
 * only the message prefix differs ("fatpack" or the program's argv[0]).
 *
 * Messages go to stderr as one line "PROG: FILE: reason" (bytes that are not
 * printable UTF-8 escaped). Every function returns the exit status: 0, or 1
 * after saying why.
 */
#ifndef FP_INSPECT_H
#define FP_INSPECT_H

#include "format/format.h"
#include "format/reader.h"
#include "format/signature.h"

struct fp_inspect {
	const struct fp_reader *r;  /* the artifact, opened */
	const char *file;           /* its name in messages and output */
	const char *prog;           /* message prefix: "fatpack" or argv[0] */
	const struct fp_pubkey *key;/* verify: the signer's key (--key), or
	                             * NULL: the key the artifact embeds, if any */
};

/* The environment a fat binary reads (docs/MOUNT.md). */
#define FP_ENV_ASSETS "FATPACK_ASSETS"  /* the override folder */
#define FP_ENV_MOUNT "FATPACK_MOUNT"    /* the mount of a program not bundled */

/* Where the assets appear as files, and whether a folder overrides them. */
struct fp_mount_conf {
	char mount[FP_MOUNT_MAX + 1];   /* "" when there is no mount */
	const char *override;           /* the folder in use (getenv's), or NULL */
	const char *state;              /* the override's state, for info */
};

/* Decides *c for the artifact r, or for a program not bundled (r NULL):
 * the mount is the metadata's (FORMAT.md), or without an artifact
 * FATPACK_MOUNT or "/fatpack". FATPACK_ASSETS names the override folder,
 * honoured unless the build said mount.override=off or the program runs
 * set-id (AT_SECURE). */
void fp_mount_conf(const struct fp_reader *r, struct fp_mount_conf *c);

/* fp_inspect_extract flags */
#define FP_EXTRACT_FORCE 1u     /* replace existing files, never write through */
#define FP_EXTRACT_VERBOSE 2u   /* list each entry on stdout as it is written */

/* "PROG: " and the formatted text, one line on stderr. Control bytes and
 * bytes that are not UTF-8 are written as \xHH: paths and names come from
 * the artifact or the command line, and must not break the line. */
void fp_msg(const char *prog, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Opens path and reads its trailer and index into *r. The file must be a
 * regular file: it is opened non-blocking, so a FIFO or a device is refused
 * at once instead of hanging. Returns the descriptor (also r->fd), or -1
 * after a message. */
int fp_inspect_open(const char *prog, const char *path, struct fp_reader *r);

/* Releases what fp_inspect_open set up, the descriptor included. */
void fp_inspect_close(struct fp_reader *r);

/* The entries in path order, folders with a trailing '/'; lng: mode, size,
 * mtime (UTC), MIME type, path, in aligned columns. */
int fp_inspect_list(const struct fp_inspect *in, int lng);

/* Format version, payload location and sizes, every metadata key; json:
 * one JSON object with the keys of docs/fatpack-info.1. */
int fp_inspect_info(const struct fp_inspect *in, int json);

/* Every check of docs/fatpack-verify.1: each content frame, payload_sha256,
 * asset_count, the runtime marker, the tar stream against the index. Each
 * problem is one line on stderr; success is one line on stdout. */
int fp_inspect_verify(const struct fp_inspect *in);

/* Whether the artifact's signature verifies with key k (FORMAT.md 4.2): 0,
 * or a FATPACK_E* code and a one-line detail. Links libsodium
 * (sigcheck.c): the runtime has it only when built with
 * --require-signature (verify.c refers to it weakly). */
int fp_sig_verify(const struct fp_reader *r, const struct fp_pubkey *k,
    char *detail, size_t len);

/* The signature check of verify (sigcheck.c, linked like fp_sig_verify):
 * with the --key or the embedded key, fp_sig_verify, and signer receives
 * the key's ID; without a key, the signature frame only. 0, or a
 * FATPACK_E* code and a one-line detail. */
int fp_sig_check(const struct fp_inspect *in, char signer[17], char *detail,
    size_t len);

/* Writes every entry under dir (created if missing), after the checks of
 * fp_inspect_verify and a search for conflicts: when either fails, nothing
 * is written. Links are never followed nor created; set-id and sticky bits
 * are dropped. */
int fp_inspect_extract(const struct fp_inspect *in, const char *dir,
    unsigned flags);

#endif
