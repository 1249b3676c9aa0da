// Block-shuffle feed for remote datasets: whole shards fetched into the cache a window ahead, pinned while used.
//
// Windows are the block shuffle's groups of shards, in visiting order. A window is opened (its shards
// acquired and pinned) when the first batch needing it is staged, or ahead of time once every batch still in
// flight lies in the window before it. It is closed (unpinned, evictable) once the stream has moved past it and
// no batch in flight still reads it. So at most two windows are pinned at once: the bound cacheBytesNeeded
// refuses a smaller cache by.
import type { ObjectStore } from './object-store.js';
import type { CacheEntry, ShardCache } from './shard-cache.js';

export interface FeedShard extends CacheEntry {
  /** Samples in the shard (global indices firstSample .. firstSample + samples - 1). */
  firstSample: number;
  samples: number;
}

export interface FeedEvents {
  /** A shard's file is local and pinned: readers may open it. */
  onOpen?(shard: number, path: string): void;
  /**
   * A shard is about to be unpinned: readers must close it first (an open file keeps its disk space). A
   * returned promise (worker threads letting go) delays the unpin until it settles.
   */
  onClose?(shard: number): unknown;
}

export interface FeedOptions {
  /**
   * Bytes the feed may keep pinned to fetch windows further ahead (several downloads at once on a cold
   * cache); default 0: only the next window, once the stream is inside a single one. Windows batches need
   * are opened whatever this says (cacheBytesNeeded bounds those).
   */
  aheadBytes?: number | (() => number);
  /** Most shards of windows ahead of the stream being fetched or held at once (default 8). */
  aheadShards?: number;
}

export class ShardFeed {
  private readonly windowOfShard: Int32Array;
  private readonly perShard: number;
  /** Window -> the promise of its shards being present and pinned. */
  private readonly open = new Map<number, Promise<void>>();
  /** In-flight batches: the windows each one reads. */
  private readonly inFlight = new Set<number[]>();
  private furthest = -1;
  private closed = false;

  constructor(
    private readonly cache: ShardCache,
    private readonly store: ObjectStore,
    private readonly shards: readonly FeedShard[],
    /** Shard numbers of each window, in the order the epoch visits them. */
    private readonly windows: readonly (readonly number[])[],
    recordsPerShard: number,
    private readonly events: FeedEvents = {},
    private readonly options: FeedOptions = {},
  ) {
    this.perShard = recordsPerShard;
    this.windowOfShard = new Int32Array(shards.length).fill(-1);
    windows.forEach((w, i) => w.forEach((s) => (this.windowOfShard[s] = i)));
  }

  /** Windows currently pinned (for tests and stats). */
  get pinnedWindows(): number[] {
    return [...this.open.keys()].sort((a, b) => a - b);
  }

  /**
   * Makes the shards of a batch's samples local and pinned; resolves to the function to call once the batch
   * has been assembled (its records copied out), which lets the feed unpin windows behind the stream.
   */
  async stage(indices: ArrayLike<number>): Promise<() => void> {
    if (this.closed) throw new Error('the shard feed is closed');
    const wins = new Set<number>();
    for (let i = 0; i < indices.length; i++) {
      const w = this.windowOfShard[Math.floor(indices[i] / this.perShard)];
      if (w < 0) throw new RangeError(`sample ${indices[i]} is in no window of this epoch`);
      wins.add(w);
    }
    const list = [...wins].sort((a, b) => a - b);
    const entry = list;
    this.inFlight.add(entry);
    this.furthest = Math.max(this.furthest, list[list.length - 1]);
    try {
      await Promise.all(list.map((w) => this.openWindow(w)));
    } catch (err) {
      this.inFlight.delete(entry);
      throw err;
    }
    this.advance();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight.delete(entry);
      this.advance();
    };
  }

  /** No more batches will be staged: unpins everything once the batches in flight are done. */
  finish(): void {
    this.finishing = true;
    this.advance();
  }

  private finishing = false;

  /** Unpins everything now. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.open.keys()]) this.closeWindow(w);
  }

  private openWindow(w: number): Promise<void> {
    let p = this.open.get(w);
    if (!p) {
      const acquired: number[] = [];
      p = Promise.all(
        this.windows[w].map(async (s) => {
          const path = await this.cache.acquire(this.store, this.shards[s]);
          if (this.closed || this.open.get(w) !== p) {
            this.cache.release(this.shards[s]); // closed while it downloaded
            return;
          }
          acquired.push(s);
          this.events.onOpen?.(s, path);
        }),
      ).then(
        () => undefined,
        (err) => {
          // One shard failed: drop the others, so a retry of the window starts clean.
          if (this.open.get(w) === p) this.open.delete(w);
          for (const s of acquired) this.unpin(s);
          throw err;
        },
      );
      p.catch(() => {}); // rethrown to whoever stages a batch of this window
      this.open.set(w, p);
      this.acquiredOf.set(w, acquired);
    }
    return p;
  }

  private readonly acquiredOf = new Map<number, number[]>();

  private closeWindow(w: number): void {
    const acquired = this.acquiredOf.get(w) ?? [];
    this.open.delete(w);
    this.acquiredOf.delete(w);
    for (const s of acquired) this.unpin(s);
  }

  private unpin(s: number): void {
    const closing = this.events.onClose?.(s);
    if (!(closing instanceof Promise)) {
      this.cache.release(this.shards[s]);
      return;
    }
    this.cache.releaseAfter(this.shards[s], closing);
    void closing.then(() => queueMicrotask(() => this.advance()), () => {}); // room freed: a window further ahead may fit now
  }

  private windowBytes(w: number): number {
    return this.windows[w].reduce((n, s) => n + this.shards[s].bytes, 0);
  }

  /** Closes windows no batch needs any more; opens the next one ahead once the stream is inside a single window. */
  private advance(): void {
    if (this.closed) return;
    if (this.finishing) {
      if (this.inFlight.size === 0) this.close();
      return;
    }
    let oldest = this.furthest;
    for (const wins of this.inFlight) oldest = Math.min(oldest, wins[0]);
    for (const w of [...this.open.keys()]) if (w < oldest) this.closeWindow(w);
    const ahead = this.furthest + 1;
    if (oldest === this.furthest && ahead < this.windows.length && !this.open.has(ahead)) void this.openWindow(ahead);
    this.fetchAhead();
  }

  /**
   * With aheadBytes: opens the windows after the stream's furthest one while their bytes, with every window
   * pinned, fit in it, so a cold cache downloads several shards at once rather than one window's worth.
   */
  private fetchAhead(): void {
    const a = this.options.aheadBytes ?? 0;
    const budget = typeof a === 'function' ? a() : a;
    if (budget <= 0) return;
    const maxShards = this.options.aheadShards ?? 8;
    let bytes = this.cache.releasingBytes;
    for (const w of this.open.keys()) bytes += this.windowBytes(w);
    let shards = 0;
    for (let w = this.furthest + 1; w < this.windows.length; w++) {
      shards += this.windows[w].length;
      if (this.open.has(w)) continue;
      if (shards > maxShards || bytes + this.windowBytes(w) > budget) return;
      bytes += this.windowBytes(w);
      void this.openWindow(w);
    }
  }
}
