// 'block': shard order shuffled per epoch, then samples shuffled within windows of `blockShards` shards.
// Only one window's shards are hot at a time, so data larger than memory streams near-sequentially
// (the idea of FFCV's QUASI_RANDOM and MosaicML's py1e). Each batch mixes up to blockShards shards.
import { createRng, hashSeed, shuffleInPlace } from './prng.js';
import type { ShuffleFn } from './types.js';

const SALT = 0x626c6f63; // 'bloc'

export const block: ShuffleFn = ({ shardSizes, seed, epoch, blockShards }) => {
  const starts: number[] = [];
  let total = 0;
  for (const n of shardSizes) {
    starts.push(total);
    total += n;
  }
  const rng = createRng(hashSeed(seed, epoch, SALT));
  const shardOrder = Uint32Array.from(shardSizes.keys());
  shuffleInPlace(shardOrder, rng);
  const order = new Uint32Array(total);
  let at = 0;
  for (let w = 0; w < shardOrder.length; w += blockShards) {
    const windowStart = at;
    for (const s of shardOrder.subarray(w, w + blockShards)) {
      for (let i = 0; i < shardSizes[s]; i++) order[at++] = starts[s] + i;
    }
    shuffleInPlace(order, rng, windowStart, at);
  }
  return order;
};

/** The shards of each window, in the order block mode visits them (used for read-ahead hints). */
export function blockWindows(shardSizes: readonly number[], seed: number, epoch: number, blockShards: number): number[][] {
  const rng = createRng(hashSeed(seed, epoch, SALT));
  const shardOrder = Uint32Array.from(shardSizes.keys());
  shuffleInPlace(shardOrder, rng);
  const windows: number[][] = [];
  for (let w = 0; w < shardOrder.length; w += blockShards) windows.push([...shardOrder.subarray(w, w + blockShards)]);
  return windows;
}
