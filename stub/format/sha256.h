/*
 * sha256.h - SHA-256 (FIPS 180-4), for content hashes and index checksums.
 */
#ifndef FP_SHA256_H
#define FP_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t len;
	unsigned char buf[64];
	size_t fill;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, unsigned char out[32]);
void sha256(const void *data, size_t len, unsigned char out[32]);
void sha256_hex(const unsigned char digest[32], char out[65]);

/*
 * For tests and benchmarks only: on != 0 makes every later block use the
 * portable code; 0 restores the default. Returns 1 if blocks are now hashed
 * with the CPU's SHA extensions, else 0.
 */
int sha256_force_portable(int on);

#endif
