// Where batches are assembled: inline on the calling thread, or in a pool of worker threads.
import { RecordStore } from '../store/record-store.js';
import { SCRATCH_BUFFERS, assembleBatch, type BatchData, type BatchRequest } from './assemble.js';
import { BufferPool } from './buffer-pool.js';
import type { ExecutorSpec } from './types.js';
import { reviveError, type SerializedError } from './worker-errors.js';
import { WorkerPool } from './worker-pool.js';

/** A batch's buffers plus the way to hand them back for reuse once the consumer is done with them. */
export interface AssembledBatch extends BatchData {
  recycle(): void;
}

export interface BatchExecutor {
  run(req: BatchRequest): Promise<AssembledBatch>;
  /** Optional: several batches handed off together (one message to one worker); each settles on its own. */
  runGroup?(reqs: BatchRequest[]): Promise<AssembledBatch>[];
  /** With runGroup: the worker threads the groups are spread over. */
  readonly threads?: number;
  /** Resolves when every thread it uses has started. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** Same thread; used when workers is 0 (debugging, tests, tiny datasets). */
export class InlineExecutor implements BatchExecutor {
  private readonly pool = new BufferPool();
  private readonly scratch = new BufferPool(SCRATCH_BUFFERS);

  /** `store` is the caller's own (the dataset's), so this thread maps or opens each shard once. */
  constructor(
    private readonly spec: ExecutorSpec,
    private readonly store: RecordStore = new RecordStore(spec.store),
  ) {}

  async run(req: BatchRequest): Promise<AssembledBatch> {
    const data = assembleBatch(this.store, req, this.spec.image, this.pool, this.scratch);
    return { ...data, recycle: () => [data.images.buffer, data.labels.buffer].forEach((b) => this.pool.give(b as ArrayBuffer)) };
  }

  async ready(): Promise<void> {}

  async close(): Promise<void> {
    this.store.close();
  }
}

export class WorkerExecutor implements BatchExecutor {
  private readonly pool: WorkerPool;
  private nextWorker = 0;
  private inline: InlineExecutor | undefined;

  constructor(
    private readonly spec: ExecutorSpec,
    workers: number,
    private readonly store?: RecordStore,
  ) {
    this.pool = new WorkerPool(spec, workers);
  }

  get threads(): number {
    return this.pool.size;
  }

  run(req: BatchRequest): Promise<AssembledBatch> {
    return this.runGroup([req])[0];
  }

  runGroup(reqs: BatchRequest[]): Promise<AssembledBatch>[] {
    const w = this.readyWorker();
    // Until a worker has started (~50 ms built, ~300 ms from TypeScript source), batches are assembled
    // here, so the first batch never waits for thread start-up. The content is the same either way.
    // A pool that failed is reported, never silently replaced by this thread.
    if (w < 0 && !this.pool.failed) {
      const inline = (this.inline ??= new InlineExecutor(this.spec, this.store));
      return reqs.map((req) => inline.run(req));
    }
    return this.pool.sendGroup(w, reqs).map((sent) =>
      sent.then(
        // Transferring the buffers back detaches them here, so a view kept by mistake reads as empty, never as reused data.
        (data): AssembledBatch => ({ ...data, recycle: () => this.pool.recycle(w, [data.images.buffer as ArrayBuffer, data.labels.buffer as ArrayBuffer]) }),
        (err: SerializedError) => {
          throw reviveError(err);
        },
      ),
    );
  }

  ready(): Promise<void> {
    return this.pool.whenReady();
  }

  /** Every worker lets go of one shard's source (see WorkerPool.drop); the caller drops its own store's. */
  drop(shard: number): Promise<void> {
    return this.pool.drop(shard);
  }

  async close(): Promise<void> {
    await this.inline?.close();
    await this.pool.close();
  }

  /** The next ready worker in round-robin order, or -1 while none has started. */
  private readyWorker(): number {
    for (let k = 0; k < this.pool.size; k++) {
      const w = this.nextWorker++ % this.pool.size;
      if (this.pool.isReady(w)) return w;
    }
    return -1;
  }
}
