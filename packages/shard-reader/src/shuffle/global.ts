// 'global': a full uniform permutation of every sample per epoch (needs the data in page cache to be fast).
import { createRng, hashSeed, shuffleInPlace } from './prng.js';
import { none } from './none.js';
import type { ShuffleFn } from './types.js';

const SALT = 0x676c6f62; // 'glob'

export const global: ShuffleFn = (input) => {
  const order = none(input);
  shuffleInPlace(order, createRng(hashSeed(input.seed, input.epoch, SALT)));
  return order;
};
