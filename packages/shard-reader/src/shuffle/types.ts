// The one signature every shuffle mode implements.

export type ShuffleMode = 'global' | 'block' | 'none';

export interface ShuffleInput {
  /** Samples per shard, in manifest order; shard s holds global indices [start_s, start_s + sizes[s]). */
  shardSizes: readonly number[];
  seed: number;
  epoch: number;
  /** Shards whose samples are mixed together at a time (block mode only). */
  blockShards: number;
}

/** Returns the epoch's order: a permutation of every global sample index. */
export type ShuffleFn = (input: ShuffleInput) => Uint32Array;

export function totalSamples(sizes: readonly number[]): number {
  return sizes.reduce((a, b) => a + b, 0);
}
