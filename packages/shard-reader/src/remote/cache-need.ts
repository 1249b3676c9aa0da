// How many cache bytes a shuffle needs in flight, so a too-small cacheBytes is refused up front, never deadlocked on.
import type { ShuffleMode } from '../shuffle/types.js';

export interface CacheNeed {
  bytes: number;
  /** Why, for the error message. */
  why: string;
}

export interface NeedInput {
  shuffle: ShuffleMode;
  /** Bytes of each shard, manifest order. */
  shardBytes: readonly number[];
  /** Samples of each shard, manifest order. */
  shardSamples: readonly number[];
  blockShards: number;
  /** Samples one step of the world consumes: batchSize x worldSize. */
  step: number;
  /** Batches assembled ahead of the consumer. */
  prefetch: number;
}

/**
 * Block shuffle reads each window of `blockShards` shards whole (ShardFeed). Batches in flight (`prefetch`
 * steps of the world) can span several windows when windows are small; when they all lie in one, the next
 * window is fetched ahead. So the most windows pinned at once is max(2, 1 + ceil(prefetch x step / smallest
 * window's samples)), and the need is that many windows of the largest shards. 'none' is block shuffle with
 * one-shard windows in manifest order. Global shuffle reads records by range into memory: no cache room.
 */
export function cacheBytesNeeded(i: NeedInput): CacheNeed {
  const n = i.shardBytes.length;
  if (i.shuffle === 'global' || n === 0) return { bytes: 0, why: 'global shuffle needs (records are read by range)' };
  const b = i.shuffle === 'none' ? 1 : Math.max(1, Math.min(i.blockShards, n));
  const per = Math.max(...i.shardSamples);
  const smallest = Math.min(...i.shardSamples);
  const lastWindow = n % b || b;
  const minWindow = Math.max(1, Math.min((b - 1) * per, (lastWindow - 1) * per) + smallest);
  const windowCount = Math.ceil(n / b);
  const windows = Math.min(windowCount, Math.max(2, 1 + Math.ceil((i.prefetch * i.step) / minWindow)));
  const k = Math.min(n, windows * b);
  const bytes = [...i.shardBytes].sort((x, y) => y - x).slice(0, k).reduce((x, y) => x + y, 0);
  const mode = i.shuffle === 'none' ? 'sequential reading' : `block shuffle (blockShards ${b})`;
  return { bytes, why: `${mode} needs in flight (${k} shard${k === 1 ? '' : 's'}: ${windows} window${windows === 1 ? '' : 's'} pinned at once with prefetch ${i.prefetch} x ${i.step} samples)` };
}

/** Refuses a cacheBytes below the need, with the number needed. */
export function checkCacheBytes(cacheBytes: number, need: CacheNeed): void {
  if (cacheBytes < need.bytes) throw new RangeError(`cacheBytes ${cacheBytes} is smaller than the ${need.bytes} bytes ${need.why}: raise cacheBytes to at least ${need.bytes}`);
}
