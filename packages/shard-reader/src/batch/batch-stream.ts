// The batch iterator of one epoch on one rank: plans, prefetches `prefetch` batches ahead, yields in order.
import { contextTable, type ContextTable } from '../context/index.js';
import { getBalance } from '../sampler/index.js';
import { blockWindows, type ShuffleMode } from '../shuffle/index.js';
import type { BatchRequest, CorruptSample } from './assemble.js';
import type { AssembledBatch, BatchExecutor } from './executor.js';
import type { Pixels } from '../store/pixels.js';
import { planEpoch, type EpochPlan, type PlanOptions } from './plan.js';
import { resolveBatchOptions, type BatchOptions, type ResolvedBatchOptions } from './options.js';

export type { BatchOptions };

export interface Batch {
  /** batch x H x W x C in the stored dtype (Uint8Array, Uint16Array, Int16Array or Float32Array), or Float32Array with `float`. */
  images: Pixels;
  /** batch x labelCount */
  labels: Float32Array;
  keys: string[];
  /** Global sample indices. */
  indices: Uint32Array;
  /** Position of this batch in the epoch on this rank. */
  batch: number;
  epoch: number;
  /**
   * Optional: say you are done with this batch so the reader can reuse its buffers (much faster than
   * fresh memory). `images` and `labels` must not be used afterwards; with worker threads they become
   * detached (length 0). Never call it while a tensor built from them may still alias them.
   */
  release(): void;
}

/** Everything a trainer needs to checkpoint and resume exactly here. */
export interface BatchState {
  epoch: number;
  /** The batch the next call to next() yields; pass as startBatch to resume. */
  nextBatch: number;
  batchesPerEpoch: number;
  seed: number;
  shuffle: ShuffleMode;
  rank: number;
  worldSize: number;
  batchSize: number;
  dropLast: boolean;
}

export interface StreamContext {
  shardSizes: readonly number[];
  keys: readonly string[];
  executor: () => BatchExecutor;
  /** Set when corrupt records are to be left out (and reported here) rather than fail the batch. */
  onCorrupt?: (samples: CorruptSample[]) => void;
  /**
   * Remote datasets: makes a batch's records readable (shards fetched into the cache and pinned) before it is
   * assembled; the function it resolves to is called once the batch has been assembled (or failed).
   */
  stage?: (indices: Uint32Array) => Promise<() => void>;
  /** Called once when the stream is done: its last batch handed out, or return() called. */
  onEnd?: () => void;
  /** Index labels (size x labelCount), for `balance`. */
  labels?: Float32Array;
  /** The dataset's neighbour table for `context: k` (its recorded series order); default: by folder. */
  contextTable?: (k: number) => ContextTable;
  labelCount?: number;
}

/** Batches per hand-off to a worker (see BatchStream.topUp). */
const REQUEST_GROUP = 2;

/** Context tables and balance weights depend only on the dataset: computed once per dataset, not per epoch. */
const contextTables = new WeakMap<readonly string[], Map<number, ContextTable>>();
const balanceWeights = new WeakMap<Float32Array, Map<string, Float64Array>>();

function contextOf(keys: readonly string[], k: number): ContextTable {
  let byK = contextTables.get(keys);
  if (!byK) contextTables.set(keys, (byK = new Map()));
  let t = byK.get(k);
  if (!t) byK.set(k, (t = contextTable(keys, k)));
  return t;
}

function weightsOf(ctx: StreamContext, o: ResolvedBatchOptions): ArrayLike<number> | null {
  if (o.weights) return o.weights;
  if (!o.balance) return null;
  const source = getBalance(o.balance);
  if (!ctx.labels || ctx.labelCount === undefined) throw new RangeError('balance needs the dataset labels');
  let byMode = balanceWeights.get(ctx.labels);
  if (!byMode) balanceWeights.set(ctx.labels, (byMode = new Map()));
  let w = byMode.get(o.balance);
  if (!w) byMode.set(o.balance, (w = source(ctx.labels, ctx.labelCount)));
  return w;
}

export class BatchStream implements AsyncIterableIterator<Batch> {
  readonly plan: EpochPlan;
  readonly options: ResolvedBatchOptions;
  private readonly context: ContextTable | undefined;
  /** Next batch to hand out (claimed synchronously, so concurrent next() calls get distinct batches). */
  private nextBatch: number;
  /** Batches actually delivered: what state() reports to checkpoint. */
  private delivered: number;
  private stopped = false;
  private requested: number;
  private readonly queue: { batch: Promise<AssembledBatch>; indices: Uint32Array; keys: string[] }[] = [];
  private readonly windowOfPosition: ((position: number) => number) | undefined;
  private readonly windows: number[][] = [];
  private hintedWindow = -1;

  constructor(
    private readonly ctx: StreamContext,
    o: BatchOptions,
  ) {
    // Defaults and every check that does not depend on the dataset: once, in resolveBatchOptions.
    this.options = resolveBatchOptions(o);
    const weights = weightsOf(ctx, this.options);
    const p: PlanOptions = { ...this.options, weights };
    const k = this.options.context;
    this.context = k > 0 ? (ctx.contextTable?.(k) ?? contextOf(ctx.keys, k)) : undefined;
    this.plan = planEpoch(ctx.shardSizes, p);
    const { startBatch } = this.options;
    if (startBatch > this.plan.batches) throw new RangeError(`startBatch ${startBatch} is outside 0..${this.plan.batches}`);
    this.nextBatch = this.requested = this.delivered = startBatch;
    if (this.options.shuffle === 'block' && !weights) {
      this.windows = blockWindows(ctx.shardSizes, p.seed, p.epoch, p.blockShards);
      const ends: number[] = [];
      let total = 0;
      for (const w of this.windows) ends.push((total += w.reduce((n, s) => n + ctx.shardSizes[s], 0)));
      this.windowOfPosition = (pos) => ends.findIndex((e) => pos < e);
    }
  }

  get batchesPerEpoch(): number {
    return this.plan.batches;
  }

  state(): BatchState {
    const { epoch, seed, shuffle, rank, worldSize, batchSize, dropLast } = this.options;
    return { epoch, nextBatch: this.delivered, batchesPerEpoch: this.plan.batches, seed, shuffle, rank, worldSize, batchSize, dropLast };
  }

  private ended = false;

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.ctx.onEnd?.();
  }

  async next(): Promise<IteratorResult<Batch>> {
    if (this.stopped || this.nextBatch >= this.plan.batches) {
      this.end();
      return { done: true, value: undefined };
    }
    this.topUp();
    const b = this.nextBatch++;
    const queued = this.queue.shift()!;
    const { images, labels, recycle, corrupt } = await queued.batch;
    this.delivered = Math.max(this.delivered, b + 1);
    let { indices, keys } = queued;
    if (corrupt?.length) {
      const left = new Set(corrupt.map((c) => c.position));
      indices = indices.filter((_, p) => !left.has(p));
      keys = keys.filter((_, p) => !left.has(p));
      this.ctx.onCorrupt?.(corrupt);
    }
    let released = false;
    const release = () => {
      if (!released) recycle();
      released = true;
    };
    return { done: false, value: { images, labels, keys, indices, batch: b, epoch: this.options.epoch, release } };
  }

  async return(): Promise<IteratorResult<Batch>> {
    this.stopped = true; // state() still says where to resume
    this.queue.length = 0;
    this.end();
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /**
   * Keeps up to `prefetch` batches requested. When the queue is deep enough for every worker to keep a
   * batch queued behind a group (prefetch >= 2 x REQUEST_GROUP x workers), batches go REQUEST_GROUP at a
   * time (one message to one worker): each message costs both threads a fixed part of a batch
   * (scripts/bench/notes/peers.md). Grouping a shallower queue would leave a worker idle after each group
   * until the consumer frees the next slots. A freed slot then waits for the next one unless the epoch's
   * last batches are all that is left.
   */
  private topUp(): void {
    const room = this.options.prefetch - (this.requested - this.nextBatch);
    const left = this.plan.batches - this.requested;
    const executor = this.ctx.executor();
    const deep = executor.runGroup && this.options.prefetch >= 2 * REQUEST_GROUP * (executor.threads ?? Infinity);
    const group = deep ? REQUEST_GROUP : 1;
    if (room <= 0 || left <= 0 || (room < group && left > room)) return;
    for (let n = Math.min(room, left); n > 0; ) {
      const size = Math.min(group, n);
      const bs = Array.from({ length: size }, () => this.requested++);
      n -= size;
      if (!executor.runGroup || size === 1) {
        bs.forEach((b) => this.request(b));
        continue;
      }
      const reqs = bs.map((b) => this.requestFor(b));
      if (this.ctx.stage) this.requestStaged(executor, reqs);
      else executor.runGroup(reqs).forEach((batch, k) => this.enqueue(batch, reqs[k]));
    }
  }

  /**
   * A group of a remote stream: handed off together once every batch's shards are local (a remote warm epoch
   * paid a message, and a wake-up, per batch without it). If one batch's staging fails, the others run
   * alone and that one fails by itself, as ungrouped batches would: the batches before a failure still come.
   */
  private requestStaged(executor: BatchExecutor, reqs: BatchRequest[]): void {
    const stage = this.ctx.stage!;
    const batches = Promise.allSettled(reqs.map((r) => stage(r.indices))).then((staged) => {
      const done = (k: number) => () => (staged[k] as PromiseFulfilledResult<() => void>).value();
      if (staged.every((r) => r.status === 'fulfilled')) return executor.runGroup!(reqs).map((batch, k) => batch.finally(done(k)));
      return staged.map((r, k) => (r.status === 'fulfilled' ? executor.run(reqs[k]).finally(done(k)) : Promise.reject(r.reason)));
    });
    reqs.forEach((req, k) => this.enqueue(batches.then((all) => all[k]), req));
  }

  private requestFor(b: number): BatchRequest {
    const indices = this.plan.batch(b);
    return {
      indices,
      keys: Array.from(indices, (i) => this.ctx.keys[i]),
      float: this.options.float,
      augment: this.options.augment ? { options: this.options.augment, seed: this.options.seed, epoch: this.options.epoch } : undefined,
      hints: this.hintsFor(b),
      skipCorrupt: this.ctx.onCorrupt !== undefined,
      context: this.contextFor(indices),
    };
  }

  private enqueue(batch: Promise<AssembledBatch>, req: BatchRequest): void {
    batch.catch(() => {}); // surfaced when this batch is consumed; never an unhandled rejection if it is not
    this.queue.push({ batch, indices: req.indices, keys: req.keys });
  }

  private request(b: number): void {
    const req = this.requestFor(b);
    const indices = req.indices;
    const stage = this.ctx.stage;
    const batch = stage
      ? stage(indices).then(async (done) => {
          try {
            return await this.ctx.executor().run(req);
          } finally {
            done();
          }
        })
      : this.ctx.executor().run(req);
    this.enqueue(batch, req);
  }

  private contextFor(indices: Uint32Array): BatchRequest['context'] {
    const t = this.context;
    if (!t) return undefined;
    const neighbours = new Uint32Array(indices.length * t.width);
    indices.forEach((index, i) => neighbours.set(t.of(index), i * t.width));
    return { width: t.width, neighbours, keys: Array.from(neighbours, (i) => this.ctx.keys[i]) };
  }

  /** Block mode: when a batch enters a new window, ask the kernel to read that window and the next one ahead. */
  private hintsFor(b: number): BatchRequest['hints'] {
    if (!this.windowOfPosition) return undefined;
    const w = this.windowOfPosition(b * this.options.worldSize * this.options.batchSize);
    if (w <= this.hintedWindow) return undefined;
    const hints = [w, w + 1]
      .filter((x) => x > this.hintedWindow && x < this.windows.length)
      .flatMap((x) => this.windows[x].map((shard) => ({ shard, hint: 'willneed' as const })));
    this.hintedWindow = Math.min(w + 1, this.windows.length - 1);
    return hints;
  }
}
