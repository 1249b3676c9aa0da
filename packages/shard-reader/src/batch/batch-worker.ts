// Worker thread: assembles requested batches from its own shard mappings and transfers the buffers back.
import { parentPort, workerData } from 'node:worker_threads';
import { RecordStore } from '../dataset/record-store.js';
import { assembleBatch, type BatchRequest } from './assemble.js';
import type { ExecutorSpec } from './executor.js';
import { serializeError } from './worker-errors.js';

const spec = workerData as ExecutorSpec;
const store = new RecordStore(spec.store);

parentPort!.on('message', ({ id, req }: { id: number; req: BatchRequest }) => {
  try {
    const data = assembleBatch(store, req, spec.image);
    parentPort!.postMessage({ id, data }, [data.images.buffer as ArrayBuffer, data.labels.buffer as ArrayBuffer]);
  } catch (err) {
    parentPort!.postMessage({ id, error: serializeError(err) });
  }
});
