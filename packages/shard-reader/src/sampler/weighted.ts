// Weighted epochs: `count` samples drawn with replacement, probability proportional to weight, from a
// generator seeded by (seed, epoch) alone. An epoch is then a set of draws, not a permutation: a
// sample may appear several times or not at all. The draws are an epoch order like any shuffle's, so
// ranks, batches and resume partition them exactly as batch/plan.ts does for a permutation.
import { createRng, hashSeed } from '../shuffle/prng.js';
import { aliasTable, type AliasTable } from './alias-table.js';
import type { DrawInput } from './types.js';

const SALT = 0x77676874; // 'wght'

export function drawWeighted(input: DrawInput, table: AliasTable = aliasTable(input.weights)): Uint32Array {
  const count = input.count ?? table.n;
  if (!Number.isSafeInteger(count) || count < 1 || count >= 2 ** 32) throw new RangeError(`draws per epoch must be a positive integer (got ${count})`);
  const rng = createRng(hashSeed(input.seed, input.epoch, SALT));
  const out = new Uint32Array(count);
  const { n, keep, alias } = table;
  for (let d = 0; d < count; d++) {
    const u = rng.next() * n;
    const i = Math.floor(u);
    out[d] = u - i < keep[i] ? i : alias[i];
  }
  return out;
}
