// 'block': shard order shuffled per epoch, then samples shuffled within windows of `blockShards` shards.
// Only one window's shards are hot at a time, so data larger than memory streams near-sequentially
// (the idea of FFCV's QUASI_RANDOM and MosaicML's py1e). Each batch mixes up to blockShards shards.
import { createRng, hashSeed, shuffleInPlace, type Rng } from './prng.js';
import type { ShuffleFn } from './types.js';

const SALT = 0x626c6f63; // 'bloc'

/** The epoch's shard order, and the generator the window shuffles continue with: one source for both users. */
function shardOrderOf(shardCount: number, seed: number, epoch: number): { shardOrder: Uint32Array; rng: Rng } {
  const rng = createRng(hashSeed(seed, epoch, SALT));
  const shardOrder = Uint32Array.from({ length: shardCount }, (_, i) => i);
  shuffleInPlace(shardOrder, rng);
  return { shardOrder, rng };
}

export const block: ShuffleFn = ({ shardSizes, seed, epoch, blockShards }) => {
  const starts: number[] = [];
  let total = 0;
  for (const n of shardSizes) {
    starts.push(total);
    total += n;
  }
  const { shardOrder, rng } = shardOrderOf(shardSizes.length, seed, epoch);
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
  const { shardOrder } = shardOrderOf(shardSizes.length, seed, epoch);
  const windows: number[][] = [];
  for (let w = 0; w < shardOrder.length; w += blockShards) windows.push([...shardOrder.subarray(w, w + blockShards)]);
  return windows;
}
