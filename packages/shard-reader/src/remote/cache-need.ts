// How many cache bytes a shuffle needs in flight, so a too-small cacheBytes is refused at open, not deadlocked on.
import type { ShuffleMode } from '../shuffle/types.js';

export interface CacheNeed {
  bytes: number;
  /** Why, for the error message. */
  why: string;
}

/**
 * Block shuffle draws every batch from a window of `blockShards` shards and, at a window's end, from the
 * next one too (a batch can straddle the boundary, and prefetched batches run ahead into it): two windows must
 * fit at once, so the need is the 2 x blockShards largest shards. 'none' reads shards in order: two at a
 * time. Global shuffle reads records by range into memory and needs no cache room.
 */
export function cacheBytesNeeded(shuffle: ShuffleMode, shardBytes: readonly number[], blockShards: number): CacheNeed {
  const largest = (k: number) => [...shardBytes].sort((a, b) => b - a).slice(0, k).reduce((a, b) => a + b, 0);
  switch (shuffle) {
    case 'block': {
      const k = Math.min(shardBytes.length, 2 * blockShards);
      return { bytes: largest(k), why: `block shuffle needs in flight (${k} shards: two windows of blockShards ${blockShards})` };
    }
    case 'none': {
      const k = Math.min(shardBytes.length, 2);
      return { bytes: largest(k), why: `sequential reading needs in flight (${k} shards)` };
    }
    case 'global':
      return { bytes: 0, why: 'global shuffle needs (records are read by range)' };
  }
}

/** Refuses a cacheBytes below the need, with the number needed. */
export function checkCacheBytes(cacheBytes: number, need: CacheNeed): void {
  if (cacheBytes < need.bytes) throw new RangeError(`cacheBytes ${cacheBytes} is smaller than the ${need.bytes} bytes ${need.why}: raise cacheBytes to at least ${need.bytes}`);
}
