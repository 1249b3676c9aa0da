// Shuffle quality of one epoch's plan: how well mixed batches are, computed from indices alone (no I/O).
import type { EpochPlan } from './batch/plan.js';

export interface ShuffleQuality {
  /** Mean number of different shards a batch draws from (1 = no mixing; up to batch size). */
  meanShardsPerBatch: number;
  /** Pearson correlation of position in the epoch vs. global sample index (1 = manifest order, ~0 = shuffled). */
  positionCorrelation: number;
}

export function shuffleQuality(plan: EpochPlan, perShard: number): ShuffleQuality {
  let shardSum = 0;
  for (let b = 0; b < plan.batches; b++) {
    const shards = new Set<number>();
    for (const i of plan.batch(b)) shards.add(Math.floor(i / perShard));
    shardSum += shards.size;
  }
  return { meanShardsPerBatch: plan.batches ? shardSum / plan.batches : 0, positionCorrelation: correlation(plan.order) };
}

function correlation(order: Uint32Array): number {
  const n = order.length;
  if (n < 2) return 1;
  const mean = (n - 1) / 2; // both position and value are permutations of 0..n-1
  let cov = 0;
  let varSum = 0;
  for (let p = 0; p < n; p++) {
    cov += (p - mean) * (order[p] - mean);
    varSum += (p - mean) ** 2;
  }
  return cov / varSum;
}
