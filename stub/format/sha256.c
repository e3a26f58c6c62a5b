/*
 * sha256.c - SHA-256 as specified by FIPS 180-4, section 6.2.
 *
 * Portable C: bytes are assembled into big-endian words by hand, so the code
 * is the same on any host and under any libc. On x86-64 processors with the
 * SHA extensions the block function uses them instead: hashing the assets is
 * a large part of `fatpack build`, and a fat binary hashes its whole index at
 * start-up. Only that block function is compiled for the extensions, so the
 * rest of the file runs on any x86-64; which one runs is decided once, from
 * cpuid, which works the same under glibc and in a static musl binary.
 */
#include <string.h>

#include "sha256.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_SHANI 1
#include <cpuid.h>
#include <immintrin.h>
#endif
#include <stdatomic.h>

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t
ror(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static uint32_t
load_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void
store_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* The functions of FIPS 180-4 section 4.1.2. */
#define CH(x, y, z)	(((x) & (y)) ^ (~(x) & (z)))
#define MAJ(x, y, z)	(((x) & (y)) ^ ((x) & (z)) ^ ((y) & (z)))
#define BSIG0(x)	(ror(x, 2) ^ ror(x, 13) ^ ror(x, 22))
#define BSIG1(x)	(ror(x, 6) ^ ror(x, 11) ^ ror(x, 25))
#define SSIG0(x)	(ror(x, 7) ^ ror(x, 18) ^ ((x) >> 3))
#define SSIG1(x)	(ror(x, 17) ^ ror(x, 19) ^ ((x) >> 10))

/*
 * Round i of section 6.2.2 step 3. Instead of moving all eight working
 * variables down by one, each round only writes d and h, and the next round
 * is called with the names rotated: eight rounds bring them back in place.
 */
#define ROUND(a, b, c, d, e, f, g, h, i) do {				\
	uint32_t t1 = h + BSIG1(e) + CH(e, f, g) + K[i] + w[i];	\
	d += t1;							\
	h = t1 + BSIG0(a) + MAJ(a, b, c);				\
} while (0)

static void
blocks_portable(uint32_t s[8], const unsigned char *p, size_t n)
{
	uint32_t w[64], a, b, c, d, e, f, g, h;
	int i;

	for (; n > 0; n--, p += 64) {
		for (i = 0; i < 16; i++)
			w[i] = load_be32(p + 4 * i);
		for (; i < 64; i++)
			w[i] = SSIG1(w[i - 2]) + w[i - 7] + SSIG0(w[i - 15]) +
			    w[i - 16];
		a = s[0]; b = s[1]; c = s[2]; d = s[3];
		e = s[4]; f = s[5]; g = s[6]; h = s[7];
		for (i = 0; i < 64; i += 8) {
			ROUND(a, b, c, d, e, f, g, h, i);
			ROUND(h, a, b, c, d, e, f, g, i + 1);
			ROUND(g, h, a, b, c, d, e, f, i + 2);
			ROUND(f, g, h, a, b, c, d, e, i + 3);
			ROUND(e, f, g, h, a, b, c, d, i + 4);
			ROUND(d, e, f, g, h, a, b, c, i + 5);
			ROUND(c, d, e, f, g, h, a, b, i + 6);
			ROUND(b, c, d, e, f, g, h, a, i + 7);
		}
		s[0] += a; s[1] += b; s[2] += c; s[3] += d;
		s[4] += e; s[5] += f; s[6] += g; s[7] += h;
	}
}

#ifdef HAVE_SHANI
#define SHANI __attribute__((target("sha,sse4.1")))
/* Even at -Os: a call would move the state through memory every 4 rounds. */
#define SHANI_INLINE static inline __attribute__((always_inline)) SHANI

/*
 * Four rounds, for W[4j .. 4j+3] in w. sha256rnds2 does two rounds on the
 * state held as ABEF and CDGH, taking W+K from the low half of its third
 * operand, and returns the new ABEF; the old ABEF is then the new CDGH, so
 * the second call swaps the roles and four rounds end with them in place.
 */
SHANI_INLINE void
rounds4(__m128i *abef, __m128i *cdgh, __m128i w, int j)
{
	__m128i wk = _mm_add_epi32(w,
	    _mm_loadu_si128((const __m128i *)&K[4 * j]));

	*cdgh = _mm_sha256rnds2_epu32(*cdgh, *abef, wk);
	*abef = _mm_sha256rnds2_epu32(*abef, *cdgh,
	    _mm_shuffle_epi32(wk, 0x0e));
}

/* W[t .. t+3] from W[t-16 .. t-1], held four to a vector. */
SHANI_INLINE __m128i
schedule(__m128i w16, __m128i w12, __m128i w8, __m128i w4)
{
	__m128i t = _mm_sha256msg1_epu32(w16, w12);	/* W[t-16] + s0(W[t-15]) */

	t = _mm_add_epi32(t, _mm_alignr_epi8(w4, w8, 4)); /* + W[t-7] */
	return _mm_sha256msg2_epu32(t, w4);		/* + s1(W[t-2]) */
}

/*
 * The instructions keep the state as ABEF and CDGH, A in the top lane, not
 * as ABCD and EFGH: shuffle it in before the first block and out after the
 * last.
 */
static SHANI void
blocks_shani(uint32_t s[8], const unsigned char *p, size_t n)
{
	const __m128i bswap = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11,
	    4, 5, 6, 7, 0, 1, 2, 3);
	__m128i abcd = _mm_loadu_si128((const __m128i *)&s[0]);
	__m128i efgh = _mm_loadu_si128((const __m128i *)&s[4]);
	__m128i cdab = _mm_shuffle_epi32(abcd, 0xb1);
	__m128i hgfe = _mm_shuffle_epi32(efgh, 0x1b);
	__m128i abef = _mm_alignr_epi8(cdab, hgfe, 8);
	__m128i cdgh = _mm_blend_epi16(hgfe, cdab, 0xf0);
	__m128i feba, dchg;

	for (; n > 0; n--, p += 64) {
		__m128i abef0 = abef, cdgh0 = cdgh, w0, w1, w2, w3;
		int j;

		w0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)p), bswap);
		w1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16)),
		    bswap);
		w2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 32)),
		    bswap);
		w3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 48)),
		    bswap);
		rounds4(&abef, &cdgh, w0, 0);
		rounds4(&abef, &cdgh, w1, 1);
		rounds4(&abef, &cdgh, w2, 2);
		rounds4(&abef, &cdgh, w3, 3);
		for (j = 4; j < 16; j += 4) {
			w0 = schedule(w0, w1, w2, w3);
			rounds4(&abef, &cdgh, w0, j);
			w1 = schedule(w1, w2, w3, w0);
			rounds4(&abef, &cdgh, w1, j + 1);
			w2 = schedule(w2, w3, w0, w1);
			rounds4(&abef, &cdgh, w2, j + 2);
			w3 = schedule(w3, w0, w1, w2);
			rounds4(&abef, &cdgh, w3, j + 3);
		}
		abef = _mm_add_epi32(abef, abef0);
		cdgh = _mm_add_epi32(cdgh, cdgh0);
	}
	feba = _mm_shuffle_epi32(abef, 0x1b);
	dchg = _mm_shuffle_epi32(cdgh, 0xb1);
	_mm_storeu_si128((__m128i *)&s[0], _mm_blend_epi16(feba, dchg, 0xf0));
	_mm_storeu_si128((__m128i *)&s[4], _mm_alignr_epi8(dchg, feba, 8));
}

/* cpuid leaf 7 EBX bit 29: SHA; leaf 1 ECX: the SSE levels used with it. */
static int
cpu_has_shani(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSSE3) ||
	    !(c & bit_SSE4_1))
		return 0;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return (b & bit_SHA) != 0;
}
#endif

/* -1 until the first block is hashed: cpuid is slow in a virtual machine. */
static _Atomic int use_shani = -1;
static _Atomic int force_portable;

static int
shani_usable(void)
{
	int yes = atomic_load_explicit(&use_shani, memory_order_relaxed);

	if (yes < 0) {
#ifdef HAVE_SHANI
		yes = cpu_has_shani();
#else
		yes = 0;
#endif
		atomic_store_explicit(&use_shani, yes, memory_order_relaxed);
	}
	return yes && !atomic_load_explicit(&force_portable,
	    memory_order_relaxed);
}

int
sha256_force_portable(int on)
{
	atomic_store_explicit(&force_portable, on != 0, memory_order_relaxed);
	return shani_usable();
}

/* Hashes n whole 64-byte blocks. */
static void
blocks(uint32_t s[8], const unsigned char *p, size_t n)
{
#ifdef HAVE_SHANI
	if (shani_usable()) {
		blocks_shani(s, p, n);
		return;
	}
#endif
	blocks_portable(s, p, n);
}

void
sha256_init(struct sha256 *s)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(s->h, iv, sizeof(iv));
	s->len = 0;
	s->fill = 0;
}

void
sha256_update(struct sha256 *s, const void *data, size_t len)
{
	const unsigned char *p = data;

	s->len += len;
	if (s->fill > 0) {
		size_t n = 64 - s->fill < len ? 64 - s->fill : len;

		memcpy(s->buf + s->fill, p, n);
		s->fill += n;
		p += n;
		len -= n;
		if (s->fill < 64)
			return;
		blocks(s->h, s->buf, 1);
		s->fill = 0;
	}
	blocks(s->h, p, len / 64);
	p += len / 64 * 64;
	len %= 64;
	if (len > 0) {
		memcpy(s->buf, p, len);
		s->fill = len;
	}
}

void
sha256_final(struct sha256 *s, unsigned char out[32])
{
	uint64_t bits = s->len * 8;
	int i;

	s->buf[s->fill++] = 0x80;
	if (s->fill > 56) {
		memset(s->buf + s->fill, 0, 64 - s->fill);
		blocks(s->h, s->buf, 1);
		s->fill = 0;
	}
	memset(s->buf + s->fill, 0, 56 - s->fill);
	store_be32(s->buf + 56, (uint32_t)(bits >> 32));
	store_be32(s->buf + 60, (uint32_t)bits);
	blocks(s->h, s->buf, 1);
	for (i = 0; i < 8; i++)
		store_be32(out + 4 * i, s->h[i]);
	memset(s, 0, sizeof(*s));
}

void
sha256(const void *data, size_t len, unsigned char out[32])
{
	struct sha256 s;

	sha256_init(&s);
	sha256_update(&s, data, len);
	sha256_final(&s, out);
}

void
sha256_hex(const unsigned char digest[32], char out[65])
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 15];
	}
	out[64] = '\0';
}
