/* SHA-256 compression with the CPU's SHA extensions (SHA-NI), one stream against two streams interleaved in
 * one loop: whether hashing several downloads together on one thread (multi-buffer) would cut the cold
 * cache's per-byte cost. Two streams only help if one stream leaves the SHA unit idle (latency-bound).
 * Checks: the FIPS 180-2 "abc" vector, and the interleaved loop giving each stream the one-stream result.
 * usage: sha_ni_streams   (built by `node scripts/bench/sha-speed.mjs`) -> "one X two Y" in ns a byte */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sha_ni.h"

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
