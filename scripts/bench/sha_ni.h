/* SHA-256 compression on the CPU's SHA extensions (SHA-NI), shared by the bench programs sha_ni_streams.c and
 * receive_native.c: the round constants, the state packing the instructions want, four rounds and the message
 * schedule as macros (so a caller can interleave streams), and one() over whole 64-byte blocks. */
#ifndef SHA_NI_H
#define SHA_NI_H
#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

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

#endif
