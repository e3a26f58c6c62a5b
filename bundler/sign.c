/*
 * sign.c - keys and signing (docs/SIGNING.md), with libsodium. Keys are in
 * minisign's formats, so minisign checks what fatpack signs and signs with
 * what fatpack makes: the public key file, and the secret key file as
 * `minisign -G -W` writes it (not encrypted; fatpack keeps it private by
 * its mode instead, and refuses encrypted ones).
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "format/bytes.h"
#include "format/check.h"
#include "commands.h"
#include "sign.h"
#include "util.h"

/* A minisign secret key: algorithms, KDF parameters (unused when the key
 * is not encrypted), key ID, secret key, checksum. */
#define SK_ALG 0
#define SK_KDF 2
#define SK_CHK_ALG 4
#define SK_KEYNUM 54
#define SK_SECRET 62
#define SK_CHK 126
#define SK_LEN 158
#define KEY_TEXT_MAX 4096

#define PREHASH_LEN 64       /* BLAKE2b-512 of the file */
#define CHUNK (1u << 16)

static const unsigned char alg_ed[2] = { 'E', 'd' };
static const unsigned char alg_prehashed[2] = { 'E', 'D' };

void
sign_key_wipe(struct sign_key *k)
{
	sodium_memzero(k, sizeof(*k));
}

static int
start_sodium(void)
{
	if (sodium_init() >= 0)
		return 0;
	warnx("libsodium could not start");
	return -1;
}

/* The checksum of a secret key: BLAKE2b-256 of its algorithm, ID and key. */
static void
sk_checksum(const unsigned char *raw, unsigned char out[32])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, raw + SK_ALG, 2);
	crypto_generichash_update(&st, raw + SK_KEYNUM, FP_KEY_ID_LEN + 64);
	crypto_generichash_final(&st, out, 32);
}

/* minisign -W leaves the checksum zero; otherwise it must match. */
static const char *
sk_check(const unsigned char *raw, struct sign_key *k)
{
	static const unsigned char zero[32];
	unsigned char sum[32], pk[32], sk[64];

	if (memcmp(raw + SK_ALG, alg_ed, 2) != 0 ||
	    memcmp(raw + SK_CHK_ALG, "B2", 2) != 0)
		return "not a minisign Ed25519 secret key";
	if (raw[SK_KDF] != 0 || raw[SK_KDF + 1] != 0)
		return "encrypted secret key: fatpack reads unencrypted ones "
		    "(fatpack keygen, minisign -G -W)";
	sk_checksum(raw, sum);
	if (memcmp(raw + SK_CHK, zero, 32) != 0 &&
	    memcmp(raw + SK_CHK, sum, 32) != 0)
		return "corrupt secret key (checksum mismatch)";
	/* the key's second half is its public key: derive it again */
	crypto_sign_seed_keypair(pk, sk, raw + SK_SECRET);
	if (memcmp(sk, raw + SK_SECRET, 64) != 0)
		return "corrupt secret key (its halves disagree)";
	memcpy(k->pub.id, raw + SK_KEYNUM, FP_KEY_ID_LEN);
	memcpy(k->pub.pk, pk, 32);
	memcpy(k->sk, sk, 64);
	sodium_memzero(sk, sizeof(sk));
	return NULL;
}

static const char *
sk_parse(const char *text, size_t len, struct sign_key *k)
{
	unsigned char raw[SK_LEN];
	const char *line, *why;
	size_t n;

	if ((why = fp_key_line(text, len, &line, &n)) != NULL)
		return why;
	if (fp_unbase64(line, n, raw, sizeof(raw)) < 0)
		return "not a minisign secret key (base64 of 158 bytes)";
	why = sk_check(raw, k);
	sodium_memzero(raw, sizeof(raw));
	return why;
}

/* Reads a whole small file; its mode must keep it private when private. */
static ssize_t
read_key_file(const char *path, char *buf, size_t cap, int private)
{
	struct stat st;
	const char *why;
	ssize_t n;
	int fd;

	if ((fd = open_regular(path, &st, &why)) < 0) {
		warnx("%s: %s", path, why);
		return -1;
	}
	if (private && (st.st_mode & 077) != 0) {
		warnx("%s: secret key readable or writable by group or others "
		    "(mode %03o): chmod 600 it", path, (unsigned)st.st_mode & 0777);
		close(fd);
		return -1;
	}
	n = read_full(fd, buf, cap);
	if (n < 0)
		warn("%s", path);
	else if ((size_t)n == cap) {
		warnx("%s: too long for a key file", path);
		n = -1;
	}
	close(fd);
	return n;
}

int
sign_key_load(const char *spec, struct sign_key *k)
{
	const size_t pre = strlen(SIGN_ENV_PREFIX);
	char buf[KEY_TEXT_MAX];
	const char *text = buf, *why;
	ssize_t n;

	if (start_sodium() < 0)
		return -1;
	if (strncmp(spec, SIGN_ENV_PREFIX, pre) == 0) {
		if ((text = getenv(spec + pre)) == NULL) {
			warnx("%s: environment variable not set", spec);
			return -1;
		}
		n = (ssize_t)strlen(text);
	} else if ((n = read_key_file(spec, buf, sizeof(buf), 1)) < 0) {
		return -1;
	}
	why = sk_parse(text, (size_t)n, k);
	sodium_memzero(buf, sizeof(buf));
	if (why == NULL)
		return 0;
	warnx("%s: %s", spec, why);
	return -1;
}

int
sign_pubkey_load(const char *path, struct fp_pubkey *k)
{
	char buf[KEY_TEXT_MAX];
	const char *why;
	ssize_t n;

	if ((n = read_key_file(path, buf, sizeof(buf), 0)) < 0)
		return -1;
	if ((why = fp_pubkey_parse(buf, (size_t)n, k)) == NULL)
		return 0;
	warnx("%s: %s", path, why);
	return -1;
}

int
sign_frame(int fd, uint64_t payload_offset,
    const unsigned char t[FP_TRAILER_SIZE], const struct sign_key *k,
    unsigned char frame[FP_SIG_FRAME])
{
	unsigned char st[FP_STATEMENT_LEN];
	struct fp_sig s;
	int rc;

	if ((rc = fp_sig_statement(fd, payload_offset, t, st)) != 0) {
		warnx("reading the program back: %s", rc == FATPACK_EIO ?
		    strerror(errno) : fp_strerror(rc));
		return -1;
	}
	memcpy(s.id, k->pub.id, FP_KEY_ID_LEN);
	crypto_sign_detached(s.sig, NULL, st, sizeof(st), k->sk);
	fp_sig_frame(frame, &s);
	return 0;
}

/* BLAKE2b-512 of the file on fd, from its start. */
static int
prehash(int fd, const char *name, unsigned char out[PREHASH_LEN])
{
	unsigned char *buf = xmalloc(CHUNK);
	crypto_generichash_state st;
	uint64_t off = 0;
	ssize_t n;

	crypto_generichash_init(&st, NULL, 0, PREHASH_LEN);
	while ((n = pread(fd, buf, CHUNK, (off_t)off)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			warn("%s", name);
			free(buf);
			return -1;
		}
		crypto_generichash_update(&st, buf, (size_t)n);
		off += (uint64_t)n;
	}
	crypto_generichash_final(&st, out, PREHASH_LEN);
	free(buf);
	return 0;
}

char *
sign_minisig(int fd, const char *name, const struct sign_key *k,
    const char *comment)
{
	unsigned char h[PREHASH_LEN], sig[2 + FP_KEY_ID_LEN + 64];
	unsigned char *global = xmalloc(64 + strlen(comment)), gsig[64];
	char sig64[4 * ((sizeof(sig) + 2) / 3) + 1], g64[4 * 22 + 1], id[17];
	char *text;

	if (prehash(fd, name, h) < 0) {
		free(global);
		return NULL;
	}
	memcpy(sig, alg_prehashed, 2);
	memcpy(sig + 2, k->pub.id, FP_KEY_ID_LEN);
	crypto_sign_detached(sig + 2 + FP_KEY_ID_LEN, NULL, h, sizeof(h), k->sk);
	/* the global signature covers the signature and the trusted comment */
	memcpy(global, sig + 2 + FP_KEY_ID_LEN, 64);
	memcpy(global + 64, comment, strlen(comment));
	crypto_sign_detached(gsig, NULL, global, 64 + strlen(comment), k->sk);
	free(global);
	fp_base64(sig, sizeof(sig), sig64);
	fp_base64(gsig, sizeof(gsig), g64);
	fp_key_id_hex(k->pub.id, id);
	text = xasprintf("untrusted comment: signature from fatpack secret key "
	    "%s\n%s\ntrusted comment: %s\n%s\n", id, sig64, comment, g64);
	return text;
}

/* --- fatpack keygen ------------------------------------------------------ */

static void
keygen_usage(FILE *f)
{
	fputs("usage: fatpack keygen [-f] [-o BASENAME]\n"
	    "\n"
	    "Makes an Ed25519 key pair in minisign's formats: BASENAME.pub, the\n"
	    "public key (for fatpack verify --key, minisign -p), and BASENAME.key,\n"
	    "the secret key (for fatpack build --sign), not encrypted and created\n"
	    "with mode 0600. Prints the key ID.\n"
	    "\n"
	    "  -o, --output BASENAME  the files' names without .pub/.key (default\n"
	    "                         fatpack)\n"
	    "  -f, --force            replace existing files\n", f);
}

/* Creates path with mode, never through a link; an existing file is
 * replaced only with force. */
static int
create_file(const char *path, unsigned mode, int force, const char *text)
{
	int fd;

	if (force && unlink(path) < 0 && errno != ENOENT) {
		warn("%s", path);
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd < 0) {
		if (errno == EEXIST)
			warnx("%s: exists (fatpack keygen -f replaces it)", path);
		else
			warn("%s", path);
		return -1;
	}
	if (fchmod(fd, mode) < 0 || write_all(fd, text, strlen(text)) < 0 ||
	    fsync(fd) < 0) {
		warn("%s", path);
		close(fd);
		unlink(path);
		return -1;
	}
	return close(fd);
}

/* The secret key file's text (158 bytes in base64). */
static char *
secret_text(const struct sign_key *k)
{
	unsigned char raw[SK_LEN];
	char b[4 * ((SK_LEN + 2) / 3) + 1], id[17], *text;

	memset(raw, 0, sizeof(raw));
	memcpy(raw + SK_ALG, alg_ed, 2);
	memcpy(raw + SK_CHK_ALG, "B2", 2);
	memcpy(raw + SK_KEYNUM, k->pub.id, FP_KEY_ID_LEN);
	memcpy(raw + SK_SECRET, k->sk, 64);
	sk_checksum(raw, raw + SK_CHK);
	fp_base64(raw, sizeof(raw), b);
	fp_key_id_hex(k->pub.id, id);
	text = xasprintf("untrusted comment: fatpack secret key %s "
	    "(not encrypted: keep it private)\n%s\n", id, b);
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(b, sizeof(b));
	return text;
}

static int
write_keys(const char *base, int force, const struct sign_key *k)
{
	char *pub = xasprintf("%s.pub", base), *sec = xasprintf("%s.key", base);
	char b[FP_PUBKEY_B64_LEN + 1], id[17], *pubtext, *sectext;
	int rc = -1;

	fp_pubkey_b64(&k->pub, b);
	fp_key_id_hex(k->pub.id, id);
	pubtext = xasprintf("untrusted comment: minisign public key %s\n%s\n",
	    id, b);
	sectext = secret_text(k);
	if (!force && access(pub, F_OK) == 0)
		warnx("%s: exists (fatpack keygen -f replaces it)", pub);
	else if (create_file(sec, 0600, force, sectext) == 0) {
		if (create_file(pub, 0644, force, pubtext) == 0)
			rc = 0;
		else
			unlink(sec);
	}
	if (rc == 0)
		printf("key %s: secret key %s, public key %s\n", id, sec, pub);
	sodium_memzero(sectext, strlen(sectext));
	free(sectext);
	free(pubtext);
	free(pub);
	free(sec);
	return rc;
}

int
cmd_keygen(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "force",  no_argument,       NULL, 'f' },
		{ "help",   no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *base = "fatpack";
	struct sign_key k;
	int c, force = 0, rc;

	while ((c = getopt_long(argc, argv, "+o:fh", longs, NULL)) != -1) {
		switch (c) {
		case 'o': base = optarg; break;
		case 'f': force = 1; break;
		case 'h': keygen_usage(stdout); return 0;
		default: return usage_getopt("keygen", c, argv);
		}
	}
	if (optind < argc)
		return usage_error("keygen", "unexpected argument '%s'",
		    argv[optind]);
	if (*base == '\0')
		return usage_error("keygen", "-o needs a name");
	if (start_sodium() < 0)
		return 1;
	randombytes_buf(k.pub.id, sizeof(k.pub.id));
	crypto_sign_keypair(k.pub.pk, k.sk);
	rc = write_keys(base, force, &k);
	sign_key_wipe(&k);
	return rc == 0 ? 0 : 1;
}
