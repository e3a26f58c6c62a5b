/*
 * format.h - constants of the on-disk format, shared by the writer
 * (bundler/pack.c) and the reader (reader.c). docs/FORMAT.md is the spec;
 * the rules on single values (paths, MIME types, metadata) are in check.c.
 */
#ifndef FP_FORMAT_H
#define FP_FORMAT_H

#define FP_VERSION_MAJOR 1
#define FP_VERSION_MINOR 3

/* Trailer flags: features a reader must know, or refuse the file. */
#define FP_FLAG_ZINDEX 0x1u            /* the index data is one zstd frame */
#define FP_FLAG_DICT 0x2u              /* a dictionary frame starts the payload */
#define FP_FLAG_SIGNED 0x4u            /* a signature frame follows the index */
#define FP_FLAGS_KNOWN (FP_FLAG_ZINDEX | FP_FLAG_DICT | FP_FLAG_SIGNED)

#define FP_ALIGN 4096u                 /* payload_offset alignment */

#define FP_TRAILER_MAGIC 0x184D2A5Fu   /* zstd skippable frame */
#define FP_TRAILER_SIZE 96u
#define FP_TRAILER_DATA 88u
#define FP_TRAILER_SIG "FATPACK"       /* 8 bytes with its NUL */

#define FP_INDEX_MAGIC 0x184D2A5Eu     /* zstd skippable frame */
#define FP_INDEX_SIG "FPINDEX"         /* 8 bytes with its NUL */
#define FP_INDEX_HEADER 32u
#define FP_ENTRY_SIZE 96u
#define FP_ZINDEX_RATIO_MAX 64u        /* decoded size / compressed size */
#define FP_SUM_LEN 8u                  /* an index or entry check */
#define FP_SUMS_MINOR 3                /* from 1.3 the index holds them */

#define FP_DICT_MAGIC 0x184D2A5Cu      /* zstd skippable frame */
#define FP_ZDICT_MAGIC 0xEC30A437u     /* a zstd dictionary (RFC 8878 5) */
#define FP_DICT_MIN 16u                /* frame header, dictionary magic, ID */
#define FP_META_DICT_SHA "dictionary_sha256"

#define FP_SIG_MAGIC 0x184D2A5Du       /* zstd skippable frame */
#define FP_SIG_TAG "FPSIGN"            /* 8 bytes with its NULs */
#define FP_SIG_DATA 80u                /* tag, key ID, Ed25519 signature */
#define FP_SIG_FRAME (8u + FP_SIG_DATA)

#define FP_TYPE_FILE 0
#define FP_TYPE_DIR 1

#define FP_PATH_MAX 4096u
#define FP_MIME_MAX 255u
#define FP_WINDOW_LOG_MAX 23           /* RFC 9659: 8 MiB */
#define FP_HEADER_VALUE_MAX 512u       /* serve.cache_control */
#define FP_MOUNT_MAX 1024u             /* the mount metadata value */
#define FP_MOUNT_DEFAULT "/fatpack"    /* docs/MOUNT.md */

#define FP_RUNTIME_SECTION ".fatpack"
#define FP_RUNTIME_MARK "fatpack-runtime 1"
/* the runtime's signature check is linked in (--require-signature) */
#define FP_SIGN_SECTION ".fatpack.sign"
#define FP_SIGN_MARK "fatpack-require-signature 1"

/* Trailer field offsets */
#define FP_T_SIG 8
#define FP_T_MAJOR 16
#define FP_T_MINOR 18
#define FP_T_FLAGS 20
#define FP_T_PAYLOAD_OFF 24
#define FP_T_PAYLOAD_SIZE 32
#define FP_T_INDEX_OFF 40
#define FP_T_INDEX_SIZE 48
#define FP_T_INDEX_SHA 56
#define FP_T_CHECK 88

/* Index header field offsets (from the start of the frame data) */
#define FP_I_COUNT 8
#define FP_I_ENTRY_SIZE 12
#define FP_I_STRTAB 16
#define FP_I_META 20
#define FP_I_CHECK 24

/* Entry field offsets */
#define FP_E_FRAME_OFF 0
#define FP_E_FRAME_SIZE 8
#define FP_E_SIZE 16
#define FP_E_MTIME 24
#define FP_E_PATH_OFF 32
#define FP_E_PATH_LEN 36
#define FP_E_MIME_OFF 40
#define FP_E_MIME_LEN 44
#define FP_E_MODE 48
#define FP_E_TYPE 52
#define FP_E_CHECK 56
#define FP_E_SHA 64

#endif
