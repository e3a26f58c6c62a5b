/* test-sources: stub/format/sha256.c tests/unit/tap.c */
/*
 * test_sha256.c - unit tests of stub/format/sha256.c: the FIPS 180-4 example
 * vectors, and the SHA-extension block function against the portable one on
 * random messages fed in random pieces. Prints one "ok - name" /
 * "not ok - name" line per check; exit 1 if any failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/sha256.h"
#include "tap.h"

#define MAX_LEN 10000
#define ROUNDS	400

static const char *mode = "";	/* appended to the names of checks */

/* check, with the block function in use (mode) after the name. */
static void
mcheck(int cond, const char *name)
{
	char full[256];

	snprintf(full, sizeof(full), "%s%s", name, mode);
	check(cond, full);
}

/* xorshift64: the same "random" messages on every run and host. */
static unsigned long long rng = 0x9e3779b97f4a7c15ULL;

static size_t
rand_below(size_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (size_t)(rng % n);
}

static void
hex_of(const void *data, size_t len, char out[65])
{
	unsigned char d[32];

	sha256(data, len, d);
	sha256_hex(d, out);
}

static void
test_vectors(void)
{
	static const char two_blocks[] =
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	static const char four_blocks[] =
	    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
	    "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	char hex[65];

	hex_of("", 0, hex);
	mcheck(strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855") == 0, "empty message");
	hex_of("abc", 3, hex);
	mcheck(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad") == 0, "abc");
	hex_of(two_blocks, strlen(two_blocks), hex);
	mcheck(strcmp(hex, "248d6a61d20638b8e5c026930c3e6039"
	    "a33ce45964ff2167f6ecedd419db06c1") == 0, "448-bit message");
	hex_of(four_blocks, strlen(four_blocks), hex);
	mcheck(strcmp(hex, "cf5b16a778af8380036ce59e7b049237"
	    "0b249b11e8f07a51afac45037afee9d1") == 0, "896-bit message");
}

static void
test_million_a(void)
{
	static const char want[] =
	    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
	struct sha256 s;
	unsigned char d[32], *a;
	char hex[65];
	int i;

	a = malloc(1000000);
	if (a == NULL) {
		mcheck(0, "million a: out of memory");
		return;
	}
	memset(a, 'a', 1000000);
	hex_of(a, 1000000, hex);
	mcheck(strcmp(hex, want) == 0, "1,000,000 x 'a' at once");
	/* 1000 is not a multiple of 64: the buffer is used on most calls */
	sha256_init(&s);
	for (i = 0; i < 1000; i++)
		sha256_update(&s, a + 1000 * i, 1000);
	sha256_final(&s, d);
	sha256_hex(d, hex);
	mcheck(strcmp(hex, want) == 0, "1,000,000 x 'a' in pieces of 1000");
	free(a);
}

/* The digest of msg fed to sha256_update in pieces of random sizes. */
static void
hash_in_pieces(const unsigned char *msg, size_t len, unsigned char out[32])
{
	struct sha256 s;
	size_t off = 0;

	sha256_init(&s);
	while (off < len) {
		size_t n = rand_below(len - off + 1);

		sha256_update(&s, msg + off, n);
		off += n;
	}
	sha256_final(&s, out);
}

/*
 * Each random message is hashed four ways: portable and accelerated, at once
 * and in pieces. Odd offsets into the buffer give unaligned input.
 */
static void
test_random(int accel)
{
	static unsigned char buf[MAX_LEN + 16];
	unsigned char d[4][32];
	size_t i, len, off;
	int r, same = 1;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)rand_below(256);
	for (r = 0; r < ROUNDS && same; r++) {
		len = r < 130 ? (size_t)r : rand_below(MAX_LEN + 1);
		off = rand_below(16);
		sha256_force_portable(1);
		sha256(buf + off, len, d[0]);
		hash_in_pieces(buf + off, len, d[1]);
		sha256_force_portable(0);
		sha256(buf + off, len, d[2]);
		hash_in_pieces(buf + off, len, d[3]);
		same = memcmp(d[0], d[1], 32) == 0 &&
		    memcmp(d[0], d[2], 32) == 0 && memcmp(d[0], d[3], 32) == 0;
		if (!same)
			printf("# length %zu at offset %zu differs\n", len, off);
	}
	mcheck(same, accel ?
	    "SHA extensions equal portable, random input" :
	    "portable at once equals in pieces (no SHA extensions here)");
}

/* The block function chosen must be the one /proc/cpuinfo promises. */
static int
test_detection(void)
{
	static char line[16384];
	FILE *f = fopen("/proc/cpuinfo", "r");
	int listed = 0, used;

	while (f != NULL && !listed && fgets(line, sizeof(line), f) != NULL)
		listed = strncmp(line, "flags", 5) == 0 &&
		    strstr(line, " sha_ni") != NULL;
	if (f != NULL)
		fclose(f);
	used = sha256_force_portable(0);
	mcheck(!sha256_force_portable(1), "force portable turns them off");
	sha256_force_portable(0);
	if (f == NULL)
		printf("ok - SHA extensions used: %d # SKIP no /proc/cpuinfo\n",
		    used);
	else
		mcheck(used == listed, listed ? "SHA extensions used" :
		    "SHA extensions not used (cpu has none)");
	return used;
}

int
main(void)
{
	int accel = test_detection();

	mode = accel ? " (SHA extensions)" : "";
	test_vectors();
	test_million_a();
	if (accel) {
		mode = " (portable)";
		sha256_force_portable(1);
		test_vectors();
		test_million_a();
		sha256_force_portable(0);
	}
	mode = "";
	test_random(accel);
	return failures != 0;
}
