// Seeded PRNG (splitmix32 stream over a hashed seed): same (seed, parts) -> same numbers on every machine.

/** Mixes 32-bit integers into one well-spread 32-bit seed (murmur3 finaliser per part). */
export function hashSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    // Seeds may exceed 32 bits: fold the high part in too.
    for (const word of [p >>> 0, Math.floor(p / 2 ** 32) >>> 0]) {
      h = Math.imul(h ^ word, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
    }
  }
  return h >>> 0;
}

export interface Rng {
  /** Uniform in [0, 1) with 53 random bits. */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
}

export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const u32 = () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  };
  const next = () => (u32() * 2 ** 21 + (u32() >>> 11)) / 2 ** 53;
  return {
    next,
    int: (n) => Math.floor(next() * n),
    normal: () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()),
  };
}

/** In-place Fisher-Yates shuffle of `a[from, to)`. */
export function shuffleInPlace(a: Uint32Array, rng: Rng, from = 0, to = a.length): void {
  for (let i = to - 1; i > from; i--) {
    const j = from + rng.int(i - from + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}
