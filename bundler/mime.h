/*
 * mime.h - the MIME type of an asset, from its file name.
 */
#ifndef FP_MIME_H
#define FP_MIME_H

/* The MIME type for path's extension (case-insensitive): the built-in table of
 * web types first, then /etc/mime.types, else "application/octet-stream".
 * Never NULL; the string is static. Thread-safe. */
const char *mime_type(const char *path);

#endif
