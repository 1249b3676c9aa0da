// One rank's batches for one epoch: which global samples batch b holds. Pure arithmetic over the epoch order.
//
// Step j of the world consumes positions [j*W*B, (j+1)*W*B) of the epoch order; rank r takes the r-th
// run of B. The final partial step (R samples) is split evenly: every rank gets floor(R/W) or
// ceil(R/W). When 0 < R < W some ranks would get nothing, so they repeat a sample from the start of
// the order (W - R repeats in all). With dropLast the final partial step is dropped on every rank.
import { getShuffle, type ShuffleMode } from '../shuffle/index.js';

export interface PlanOptions {
  batchSize: number;
  seed: number;
  epoch: number;
  shuffle: ShuffleMode;
  rank: number;
  worldSize: number;
  dropLast: boolean;
  blockShards: number;
}

export interface EpochPlan {
  /** Batches this rank yields this epoch (the same on every rank). */
  batches: number;
  /** Global sample indices of batch b on this rank. */
  batch(b: number): Uint32Array;
  /** The epoch order every rank shares. */
  order: Uint32Array;
}

export function checkPlanOptions(o: PlanOptions): void {
  const int = (name: string, v: number, min: number) => {
    if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`${name} must be an integer >= ${min} (got ${v})`);
  };
  int('batchSize', o.batchSize, 1);
  int('seed', o.seed, 0);
  int('epoch', o.epoch, 0);
  int('worldSize', o.worldSize, 1);
  int('rank', o.rank, 0);
  int('blockShards', o.blockShards, 1);
  if (o.rank >= o.worldSize) throw new RangeError(`rank ${o.rank} must be below worldSize ${o.worldSize}`);
}

export function planEpoch(shardSizes: readonly number[], o: PlanOptions): EpochPlan {
  checkPlanOptions(o);
  const order = getShuffle(o.shuffle)({ shardSizes, seed: o.seed, epoch: o.epoch, blockShards: o.blockShards });
  const n = order.length;
  const W = o.worldSize;
  const B = o.batchSize;
  const step = W * B;
  const fullSteps = Math.floor(n / step);
  const rest = n - fullSteps * step;
  const hasTail = rest > 0 && !o.dropLast;
  const batches = fullSteps + (hasTail ? 1 : 0);
  return {
    order,
    batches,
    batch(b: number): Uint32Array {
      if (!Number.isInteger(b) || b < 0 || b >= batches) throw new RangeError(`batch ${b} is outside 0..${batches - 1} for this epoch`);
      if (b < fullSteps) return order.slice(b * step + o.rank * B, b * step + (o.rank + 1) * B);
      // Tail: R samples shared out, the first R mod W ranks take one more.
      const base = Math.floor(rest / W);
      const extra = rest % W;
      const size = base + (o.rank < extra ? 1 : 0);
      const start = fullSteps * step + o.rank * base + Math.min(o.rank, extra);
      if (size > 0) return order.slice(start, start + size);
      return order.slice(o.rank % n, (o.rank % n) + 1); // pad: repeat one sample so every rank has the batch
    },
  };
}
