// What a batch executor is built from, shared by the executors, the worker pool and the worker thread
// (kept apart so executor.ts and worker-pool.ts need not import each other).
import type { StoreSpec } from '../store/record-store.js';
import type { ImageSpec } from './assemble.js';

/** Everything a thread needs to open the shards and shape the images: plain data, sent as workerData. */
export interface ExecutorSpec {
  store: StoreSpec;
  image: ImageSpec;
}
