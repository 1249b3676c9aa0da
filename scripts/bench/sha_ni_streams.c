/* SHA-256 compression with the CPU's SHA extensions (SHA-NI), one stream against two streams interleaved in
 * one loop: whether hashing several downloads together on one thread (multi-buffer) would cut the cold
 * cache's per-byte cost. Two streams only help if one stream leaves the SHA unit idle (latency-bound).
 * Checks: the FIPS 180-2 "abc" vector, and the interleaved loop giving each stream the one-stream result.
 * usage: sha_ni_streams   (built by `node scripts/bench/sha-speed.mjs`) -> "one X two Y" in ns a byte */
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const uint32_t K[64] __attribute__((aligned(16))) = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be,
  0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa,
  0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
  0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
  0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
  0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
static const uint32_t H0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

#define SHA __attribute__((target("sha,sse4.1")))
/* The SHA instructions keep the state as ABEF and CDGH. */
SHA static inline void pack(const uint32_t *s, __m128i *abef, __m128i *cdgh) {
  __m128i t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)s), 0xB1);
  __m128i u = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(s + 4)), 0x1B);
  *abef = _mm_alignr_epi8(t, u, 8);
  *cdgh = _mm_blend_epi16(u, t, 0xF0);
}
SHA static inline void unpack(uint32_t *s, __m128i abef, __m128i cdgh) {
  __m128i t = _mm_shuffle_epi32(abef, 0x1B);
  cdgh = _mm_shuffle_epi32(cdgh, 0xB1);
  _mm_storeu_si128((__m128i *)s, _mm_blend_epi16(t, cdgh, 0xF0));
  _mm_storeu_si128((__m128i *)(s + 4), _mm_alignr_epi8(cdgh, t, 8));
}
/* Four rounds: two SHA256RNDS2, the second on the upper two words of message + constants. */
#define ROUNDS4(S0, S1, M)                                                                                         \
  do {                                                                                                             \
    __m128i m_ = (M);                                                                                              \
    S1 = _mm_sha256rnds2_epu32(S1, S0, m_);                                                                        \
    S0 = _mm_sha256rnds2_epu32(S0, S1, _mm_shuffle_epi32(m_, 0x0E));                                               \
  } while (0)
/* W[4g..4g+3] from the four previous groups, in the ring W[0..3]. */
#define SCHEDULE(W, g)                                                                                             \
  (W[(g) & 3] = _mm_sha256msg2_epu32(                                                                              \
       _mm_add_epi32(_mm_sha256msg1_epu32(W[(g) & 3], W[((g) + 1) & 3]), _mm_alignr_epi8(W[((g) + 3) & 3], W[((g) + 2) & 3], 4)), \
       W[((g) + 3) & 3]))
#define BSWAP _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL)

SHA static void one(uint32_t *st, const uint8_t *p, size_t blocks) {
  __m128i s0, s1;
  pack(st, &s0, &s1);
  for (; blocks; blocks--, p += 64) {
    __m128i a0 = s0, a1 = s1, W[4];
    for (int i = 0; i < 4; i++) W[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)), BSWAP);
#pragma GCC unroll 16
    for (int g = 0; g < 16; g++) {
      if (g >= 4) SCHEDULE(W, g);
      ROUNDS4(s0, s1, _mm_add_epi32(W[g & 3], _mm_load_si128((const __m128i *)(K + 4 * g))));
    }
    s0 = _mm_add_epi32(s0, a0);
    s1 = _mm_add_epi32(s1, a1);
  }
  unpack(st, s0, s1);
}

SHA static void two(uint32_t *sa, const uint8_t *pa, uint32_t *sb, const uint8_t *pb, size_t blocks) {
  __m128i s0, s1, t0, t1;
  pack(sa, &s0, &s1);
  pack(sb, &t0, &t1);
  for (; blocks; blocks--, pa += 64, pb += 64) {
    __m128i a0 = s0, a1 = s1, b0 = t0, b1 = t1, W[4], V[4];
    for (int i = 0; i < 4; i++) {
      W[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(pa + 16 * i)), BSWAP);
      V[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(pb + 16 * i)), BSWAP);
    }
#pragma GCC unroll 16
    for (int g = 0; g < 16; g++) {
      if (g >= 4) {
        SCHEDULE(W, g);
        SCHEDULE(V, g);
      }
      __m128i k = _mm_load_si128((const __m128i *)(K + 4 * g));
      ROUNDS4(s0, s1, _mm_add_epi32(W[g & 3], k));
      ROUNDS4(t0, t1, _mm_add_epi32(V[g & 3], k));
    }
    s0 = _mm_add_epi32(s0, a0);
    s1 = _mm_add_epi32(s1, a1);
    t0 = _mm_add_epi32(t0, b0);
    t1 = _mm_add_epi32(t1, b1);
  }
  unpack(sa, s0, s1);
  unpack(sb, t0, t1);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(void) {
  if (!__builtin_cpu_supports("sha")) {
    fprintf(stderr, "this CPU has no SHA extensions\n");
    return 2;
  }
  uint8_t abc[64] = {'a', 'b', 'c', 0x80};
  abc[63] = 24;
  uint32_t s[8], sa[8], sb[8];
  memcpy(s, H0, 32);
  one(s, abc, 1);
  if (s[0] != 0xba7816bf || s[7] != 0xf20015ad) {
    fprintf(stderr, "wrong SHA-256 of \"abc\"\n");
    return 1;
  }
  const size_t n = 16 << 20, rounds = 4;
  uint8_t *a = malloc(n), *b = malloc(n);
  for (size_t i = 0; i < n; i++) a[i] = (uint8_t)(i * 7 + (i >> 9)), b[i] = (uint8_t)(i * 13 + (i >> 7));
  double best1 = 1e9, best2 = 1e9;
  uint32_t ra[8], rb[8];
  for (int r = 0; r < 5; r++) {
    double t = now();
    for (size_t k = 0; k < rounds; k++) memcpy(ra, H0, 32), one(ra, a, n / 64);
    double d = (now() - t) / (rounds * n);
    best1 = d < best1 ? d : best1;
    memcpy(rb, H0, 32);
    one(rb, b, n / 64);
    t = now();
    for (size_t k = 0; k < rounds / 2; k++) memcpy(sa, H0, 32), memcpy(sb, H0, 32), two(sa, a, sb, b, n / 64);
    d = (now() - t) / (rounds * n); /* per byte of both streams */
    best2 = d < best2 ? d : best2;
    if (memcmp(sa, ra, 32) || memcmp(sb, rb, 32)) {
      fprintf(stderr, "interleaved streams disagree with one stream\n");
      return 1;
    }
  }
  printf("one %.3f two %.3f\n", best1 * 1e9, best2 * 1e9);
  return 0;
}
