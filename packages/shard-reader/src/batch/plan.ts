// One rank's batches for one epoch: which global samples batch b holds. Pure arithmetic over the epoch order.
//
// Step j of the world consumes positions [j*W*B, (j+1)*W*B) of the epoch order; rank r takes the r-th
// run of B. The final partial step (R samples) is split evenly: every rank gets floor(R/W) or
// ceil(R/W). When 0 < R < W some ranks would get nothing, so they repeat a sample from the start of
// the order (W - R repeats in all). With dropLast the final partial step is dropped on every rank.
// With per-sample weights the epoch order is N weighted draws instead of a permutation, partitioned
// the same way.
import { aliasTable, drawWeighted, type AliasTable } from '../sampler/index.js';
import { getShuffle, type ShuffleMode } from '../shuffle/index.js';
import { resolveBatchOptions } from './options.js';

export interface PlanOptions {
  batchSize: number;
  seed: number;
  epoch: number;
  shuffle: ShuffleMode;
  rank: number;
  worldSize: number;
  dropLast: boolean;
  blockShards: number;
  /** Per-sample weights: the epoch is N draws with probability proportional to weight (`shuffle` is then unused). */
  weights?: ArrayLike<number> | null;
}

export interface EpochPlan {
  /** Batches this rank yields this epoch (the same on every rank). */
  batches: number;
  /** Global sample indices of batch b on this rank. */
  batch(b: number): Uint32Array;
  /** The epoch order every rank shares. */
  order: Uint32Array;
}

export function planEpoch(shardSizes: readonly number[], o: PlanOptions): EpochPlan {
  const { weights: _, ...plain } = o;
  resolveBatchOptions(plain); // the same checks and wording as batches() (weights are checked against the size below)
  const order = o.weights ? weightedOrder(shardSizes, o.weights, o.seed, o.epoch) : getShuffle(o.shuffle)({ shardSizes, seed: o.seed, epoch: o.epoch, blockShards: o.blockShards });
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

/** Alias tables by weights array: built once per weights, not once per epoch or per rank. */
const tables = new WeakMap<object, AliasTable>();

function weightedOrder(shardSizes: readonly number[], weights: ArrayLike<number>, seed: number, epoch: number): Uint32Array {
  const n = shardSizes.reduce((a, b) => a + b, 0);
  if (weights.length !== n) throw new RangeError(`weights has ${weights.length} entries; the dataset has ${n} samples`);
  let table = tables.get(weights);
  if (!table) tables.set(weights, (table = aliasTable(weights)));
  return drawWeighted({ weights, seed, epoch }, table);
}
