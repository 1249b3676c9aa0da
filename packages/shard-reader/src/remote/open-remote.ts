// openDataset for s3:// and http(s):// URLs: manifest and indexes fetched, records through the cache or by range.
import { closeSync, openSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Manifest } from 'shard-format';
import type { BatchStream } from '../batch/batch-stream.js';
import { InlineExecutor, WorkerExecutor, type BatchExecutor } from '../batch/executor.js';
import type { RecordStore } from '../store/record-store.js';
import { blockWindows } from '../shuffle/index.js';
import { cacheBytesNeeded, checkCacheBytes } from './cache-need.js';
import type { LoadedRemoteDataset } from './load-remote.js';
import type { ObjectStore } from './object-store.js';
import { RangeExecutor } from './range-executor.js';
import { RangeReader } from './range-reader.js';
import { prepareDownloads } from './ingest.js';
import { ShardCache } from './shard-cache.js';
import { ShardFeed, type FeedShard } from './shard-feed.js';
import type { ImageSpec } from '../batch/assemble.js';

export interface RemoteOpenOptions {
  /** Folder of the shared download cache. Default: $XDG_CACHE_HOME/shard-reader, else ~/.cache/shard-reader. */
  cacheDir?: string;
  /** Bound on the cache's bytes (whole shards). Default: the dataset's shard bytes (all of it fits). */
  cacheBytes?: number;
  /** Batch worker threads for whole-shard streams (openDataset's resolved `workers`); 0 assembles on this thread. */
  workers?: number;
}

export function defaultCacheDir(): string {
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'shard-reader');
}

/** What a remote dataset's batch stream reads through. */
export interface StreamParts {
  executor: BatchExecutor;
  stage?: (indices: Uint32Array) => Promise<() => void>;
  onEnd?: () => void;
}

/**
 * The remote half of a Dataset: block and sequential streams read whole shards through the cache
 * (ShardFeed); global shuffle reads records by coalesced ranges (RangeExecutor), on this thread. Whole-shard
 * streams assemble batches in worker threads (as a local dataset does): they read the cached files through
 * the descriptors this thread opens, published in shared memory (sharedFds), and let go of a shard's before
 * this thread closes it (WorkerPool.drop), so a descriptor number is never read after it could be reused.
 */
export class RemoteBacking {
  readonly cache: ShardCache;
  /**
   * Each shard's descriptor while it is in the cache and pinned (-1 otherwise): the record store reads
   * through it, and it is closed before the pin is dropped (an open file keeps its disk space after eviction).
   */
  readonly fds: number[];
  /** The same descriptors in shared memory, for the worker threads. */
  private readonly sharedFds: Int32Array;
  private readonly workers: number;
  private pool: WorkerExecutor | undefined;
  private readonly feeds = new Set<ShardFeed>();
  /** Feeds (streams) that have each shard open: its file is closed when the last lets go. */
  private readonly users: Uint32Array;
  private readonly reader: RangeReader;
  private inline: InlineExecutor | undefined;
  private range: RangeExecutor | undefined;
  private closing = false;

  constructor(
    readonly store: ObjectStore,
    readonly loaded: LoadedRemoteDataset,
    options: RemoteOpenOptions,
    private readonly verify: boolean,
  ) {
    const m = loaded.manifest;
    const total = m.shards.reduce((n, s) => n + s.bytes, 0);
    this.cache = ShardCache.open({ cacheDir: options.cacheDir ?? defaultCacheDir(), cacheBytes: options.cacheBytes ?? Math.max(1, total) });
    // Any whole-shard stream needs at least two shards in the cache: refuse less at open, with the number.
    checkCacheBytes(this.cache.cacheBytes, cacheBytesNeeded({ shuffle: 'none', shardBytes: m.shards.map((s) => s.bytes), shardSamples: m.shards.map((s) => s.samples), blockShards: 1, step: 1, prefetch: 1 }));
    this.fds = new Array<number>(m.shards.length).fill(-1);
    this.sharedFds = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, m.shards.length))).fill(-1);
    this.workers = options.workers ?? 0;
    this.users = new Uint32Array(m.shards.length);
    this.reader = new RangeReader(store, m, loaded.keys);
  }

  get manifest(): Manifest {
    return this.loaded.manifest;
  }

  /** Plumbing for one stream; throws a RangeError (before any download) when the cache is too small for it. */
  streamParts(stream: BatchStream, records: RecordStore, image: ImageSpec): StreamParts {
    const o = stream.options;
    const m = this.manifest;
    if (o.shuffle === 'global') return { executor: (this.range ??= new RangeExecutor(this.reader, this.store, m, image, this.verify)) };
    // Whole-shard streams fetch window by window: reads outside the window (neighbours, weighted draws) would not be there.
    if (o.context) throw new RangeError(`context needs shuffle 'global' on a remote dataset (its ${o.shuffle} streams fetch whole shards a window at a time)`);
    if (o.weights || o.balance) throw new RangeError(`weights and balance need shuffle 'global' on a remote dataset (its ${o.shuffle} streams fetch whole shards a window at a time)`);
    const sizes = m.shards.map((s) => s.samples);
    checkCacheBytes(this.cache.cacheBytes, cacheBytesNeeded({ shuffle: o.shuffle, shardBytes: m.shards.map((s) => s.bytes), shardSamples: sizes, blockShards: o.blockShards, step: o.batchSize * o.worldSize, prefetch: o.prefetch }));
    const windows = o.shuffle === 'block' ? blockWindows(sizes, o.seed, o.epoch, o.blockShards) : m.shards.map((_, s) => [s]);
    const shards: FeedShard[] = m.shards.map((s) => ({ key: s.file, bytes: s.bytes, sha256: s.sha256, firstSample: s.firstSample, samples: s.samples }));
    const feed: ShardFeed = new ShardFeed(this.cache, this.store, shards, windows, m.recordsPerShard, {
      onOpen: (s, file) => {
        // Verified by SHA-256 on download and named by it: the manifest's bytes, header included. A shard
        // kept from an earlier stream still has its descriptor and the workers' mappings.
        if (this.users[s]++ === 0 && !this.cache.unkeep(shards[s])) this.sharedFds[s] = this.fds[s] = openSync(file, 'r');
      },
      onClose: (s) => {
        if (--this.users[s] > 0) return;
        // Kept open and pinned for the next stream (the next epoch) while nobody wants the room: a local
        // dataset keeps its mappings across epochs, and mapping every shard afresh cost a warm epoch ~half its rate.
        if (!this.closing) return this.cache.keep(shards[s], () => this.letGo(s, records));
        return this.letGo(s, records);
      },
    }, {
      // Several windows downloading at once on a cold cache, within cacheBytes; only for a lone stream, so a
      // second stream's windows never find the cache filled by the first one's look-ahead.
      aheadBytes: () => (this.feeds.size === 1 && this.feeds.has(feed) ? this.cache.cacheBytes : 0),
    });
    this.feeds.add(feed);
    return {
      executor: this.executorFor(records, image),
      stage: (indices) => feed.stage(indices),
      onEnd: () => {
        feed.finish();
        this.feeds.delete(feed);
      },
    };
  }

  /** Closes a shard no stream uses: workers unmap it first; the caller's pin (and so the file) stays until then. */
  private letGo(s: number, records: RecordStore): Promise<void> | void {
    records.drop(s);
    const fd = this.fds[s];
    this.fds[s] = this.sharedFds[s] = -1;
    const close = () => {
      if (fd >= 0) closeSync(fd);
    };
    if (!this.pool) return close();
    return this.pool.drop(s).then(close);
  }

  private executorFor(records: RecordStore, image: ImageSpec): BatchExecutor {
    if (this.workers === 0) return (this.inline ??= new InlineExecutor({ store: records.spec, image }, records));
    return (this.pool ??= new WorkerExecutor({ store: { ...records.spec, fds: this.sharedFds }, image }, this.workers, records));
  }

  /** Starts the batch worker threads of whole-shard streams and the download threads (Dataset.ready): start-up kept out of the first epoch. */
  async ready(records: RecordStore, image: ImageSpec): Promise<void> {
    // The download threads too: their start-up (and the S3 SDK's loading there) kept out of the first downloads.
    await Promise.all([this.executorFor(records, image).ready(), prepareDownloads(this.store.spec)]);
  }

  /** Whole records by range reads, each checked (CorruptRecordError naming URL, record and key). */
  readRecords(indices: readonly number[]): Promise<Uint8Array[]> {
    return this.reader.read(indices);
  }

  async close(): Promise<void> {
    // Threads stop before the descriptors they read through are closed (drops then resolve at once).
    this.closing = true;
    await this.pool?.close();
    for (const f of this.feeds) f.close();
    this.feeds.clear();
    await this.cache.reclaim(); // kept shards' descriptors closed before their pins drop
    this.cache.close();
    await this.store.close();
  }
}
