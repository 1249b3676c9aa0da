// A small pool of batch-assembly worker threads; results come back as transferred (never shared) buffers.
import type { Worker } from 'node:worker_threads';
import type { BatchData, BatchRequest } from './assemble.js';
import type { ExecutorSpec } from './types.js';
import type { SerializedError } from './worker-errors.js';
import { startWorker, terminateWorkers, workerEntry } from '../worker-entry.js';

/**
 * Each worker stores 1 in its slot once it is up. Readiness is read from this memory, not only from the
 * 'ready' message: a consumer loop that never yields to the event loop (a plain `for await` over batches
 * assembled on this thread) never receives that message, and would keep every batch on the main thread.
 */
export interface ReadySignal {
  flags: Int32Array;
  slot: number;
}

/**
 * Released buffers wait on this thread for their worker's next request and travel with it (see recycle); past
 * this many (a consumer that releases batches but stops asking for more) they go back in a message of their own.
 */
const RETURN_WITH_REQUEST = 8;

interface Pending {
  resolve: (d: BatchData) => void;
  reject: (e: SerializedError) => void;
}

export class WorkerPool {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: SerializedError | undefined;
  /** Workers that have loaded their modules and opened the dataset (they say so in a first message). */
  private readonly ready: boolean[];
  /** The workers' shared ready flags (see ReadySignal). */
  private readonly readyFlags: Int32Array;
  private readonly allReady: Promise<void>;
  /** Per worker: released buffers (already detached from the consumer's views) for its next request. */
  private readonly returning: ArrayBuffer[][];
  private markReady!: () => void;
  private failReady!: (err: Error) => void;

  constructor(spec: ExecutorSpec, count: number) {
    const { file, options } = workerEntry(import.meta.url, 'batch-worker');
    this.ready = new Array(count).fill(false);
    this.returning = Array.from({ length: count }, () => []);
    this.readyFlags = new Int32Array(new SharedArrayBuffer(4 * Math.max(count, 1)));
    this.allReady = new Promise((resolve, reject) => {
      this.markReady = resolve;
      this.failReady = reject;
    });
    this.allReady.catch(() => {}); // nobody may be waiting: never an unhandled rejection
    this.workers = Array.from({ length: count }, (_, i) => {
      const readySignal: ReadySignal = { flags: this.readyFlags, slot: i };
      const w = startWorker(file, { ...options, workerData: { ...spec, readySignal } });
      w.on('message', (msg: { type: 'ready' } | { type: 'result'; id: number; data?: BatchData; error?: SerializedError } | { type: 'dropped'; id: number }) => {
        if (msg.type === 'ready') {
          this.ready[i] = true;
          if (this.pending.size === 0 && this.drops.size === 0) w.unref();
          if (this.ready.every(Boolean)) this.markReady();
        }
        else if (msg.type === 'dropped') this.dropped(msg.id);
        else this.settle(msg);
      });
      w.on('error', (err) => this.failAll({ name: err.name, message: `batch worker failed: ${err.message}` }));
      w.on('exit', (code) => code !== 0 && this.failAll({ name: 'Error', message: `batch worker exited with code ${code}` }));
      // Starting up counts as work (someone may be waiting in whenReady); once idle, a worker never
      // keeps the process alive, and pending batches ref it again.
      return w;
    });
  }

  get size(): number {
    return this.workers.length;
  }

  /** True once the worker is up, even when its 'ready' message is still waiting in the event loop. */
  isReady(worker: number): boolean {
    return this.ready[worker] || Atomics.load(this.readyFlags, worker) === 1;
  }

  /** Resolves once every worker has started; rejects if one fails first. */
  whenReady(): Promise<void> {
    return this.allReady;
  }

  /** Set once a worker failed or the pool closed: no more work can be sent. */
  get failed(): SerializedError | undefined {
    return this.failure;
  }

  /**
   * Several batches for one worker in one message (with the buffers released since its last one); each
   * result comes back, and settles, on its own as soon as it is assembled.
   */
  sendGroup(worker: number, reqs: BatchRequest[]): Promise<BatchData>[] {
    const failure = this.failure;
    if (failure) return reqs.map(() => Promise.reject(failure));
    const ids = reqs.map(() => this.nextId++);
    const results = ids.map((id) => new Promise<BatchData>((resolve, reject) => this.pending.set(id, { resolve, reject })));
    const w = this.workers[worker];
    const buffers = this.returning[worker];
    if (buffers.length) this.returning[worker] = [];
    w.ref();
    w.postMessage({ type: 'batch', ids, reqs, buffers }, buffers);
    return results;
  }

  /**
   * Every worker closes its source of `shard` (a remote shard leaving the cache); resolves once all have, so
   * its descriptor can be closed without a worker holding the number. Messages keep their order, so batches
   * sent before are done first. Resolves at once when the pool has failed or closed (its threads are gone).
   */
  drop(shard: number): Promise<void> {
    if (this.failure) return Promise.resolve();
    const id = this.nextId++;
    return new Promise<void>((resolve) => {
      this.drops.set(id, { resolve, left: this.workers.length });
      for (const w of this.workers) {
        w.ref();
        w.postMessage({ type: 'drop', id, shard });
      }
    });
  }

  private readonly drops = new Map<number, { resolve: () => void; left: number }>();

  private dropped(id: number): void {
    const d = this.drops.get(id);
    if (!d || --d.left > 0) return;
    this.drops.delete(id);
    this.unrefIfIdle();
    d.resolve();
  }

  private unrefIfIdle(): void {
    if (this.pending.size === 0 && this.drops.size === 0) this.workers.forEach((w) => w.unref());
  }

  /**
   * Hands released batch buffers back to the worker that made them, with its next request: a message of
   * their own per batch woke the worker a second time per batch (its message dispatch, ~5% of its time in
   * the peers profile). They are detached from the consumer's views here and now, as a transfer would.
   */
  recycle(worker: number, buffers: ArrayBuffer[]): void {
    const live = buffers.filter((b) => b.byteLength > 0);
    if (this.failure || !live.length) return;
    const waiting = this.returning[worker];
    waiting.push(...structuredClone(live, { transfer: live }));
    if (waiting.length > RETURN_WITH_REQUEST) {
      this.returning[worker] = [];
      this.workers[worker].postMessage({ type: 'recycle', buffers: waiting }, waiting);
    }
  }

  async close(): Promise<void> {
    this.failAll({ name: 'Error', message: 'dataset closed' }); // also stops late results from unref'ing workers
    await terminateWorkers(this.workers);
  }


  private settle(msg: { id: number; data?: BatchData; error?: SerializedError }): void {
    const p = this.pending.get(msg.id);
    if (!p) return; // a result for a batch nobody waits for any more (closed, or the pool failed)
    this.pending.delete(msg.id);
    this.unrefIfIdle();
    if (msg.error) p.reject(msg.error);
    else p.resolve(msg.data!);
  }

  private failAll(err: SerializedError): void {
    this.failure ??= err;
    this.failReady(new Error(this.failure.message));
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const d of this.drops.values()) d.resolve(); // no thread left to hold a descriptor
    this.drops.clear();
  }
}
