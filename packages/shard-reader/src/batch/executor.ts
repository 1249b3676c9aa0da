// Where batches are assembled: inline on the calling thread, or in a pool of worker threads.
import { RecordStore, type StoreSpec } from '../dataset/record-store.js';
import { assembleBatch, type BatchData, type BatchRequest, type ImageSpec } from './assemble.js';
import { reviveError, type SerializedError } from './worker-errors.js';
import { WorkerPool } from './worker-pool.js';

export interface BatchExecutor {
  run(req: BatchRequest): Promise<BatchData>;
  close(): Promise<void>;
}

export interface ExecutorSpec {
  store: StoreSpec;
  image: ImageSpec;
}

/** Same thread; used when workers is 0 (debugging, tests, tiny datasets). */
export class InlineExecutor implements BatchExecutor {
  private readonly store: RecordStore;

  constructor(private readonly spec: ExecutorSpec) {
    this.store = new RecordStore(spec.store);
  }

  async run(req: BatchRequest): Promise<BatchData> {
    return assembleBatch(this.store, req, this.spec.image);
  }

  async close(): Promise<void> {
    this.store.close();
  }
}

export class WorkerExecutor implements BatchExecutor {
  private readonly pool: WorkerPool;
  private nextWorker = 0;

  constructor(spec: ExecutorSpec, workers: number) {
    this.pool = new WorkerPool(spec, workers);
  }

  run(req: BatchRequest): Promise<BatchData> {
    const w = this.nextWorker++ % this.pool.size;
    return this.pool.send(w, req).catch((err: SerializedError) => {
      throw reviveError(err);
    });
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
