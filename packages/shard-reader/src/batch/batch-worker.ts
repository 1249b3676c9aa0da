// Worker thread: assembles requested batches from its own shard mappings and transfers the buffers back.
import { parentPort, workerData } from 'node:worker_threads';
import { RecordStore } from '../store/record-store.js';
import { SCRATCH_BUFFERS, assembleBatch, type BatchRequest } from './assemble.js';
import { BufferPool } from './buffer-pool.js';
import type { ExecutorSpec } from './types.js';
import type { ReadySignal } from './worker-pool.js';
import { serializeError } from './worker-errors.js';

const spec = workerData as ExecutorSpec & { readySignal?: ReadySignal };
const store = new RecordStore(spec.store);

const pool = new BufferPool();
const scratch = new BufferPool(SCRATCH_BUFFERS);

type Message = { type: 'batch'; ids: number[]; reqs: BatchRequest[]; buffers?: ArrayBuffer[] } | { type: 'recycle'; buffers: ArrayBuffer[] } | { type: 'drop'; id: number; shard: number };

parentPort!.on('message', (msg: Message) => {
  if (msg.type === 'recycle') {
    msg.buffers.forEach((b) => pool.give(b));
    return;
  }
  if (msg.type === 'drop') {
    // A remote shard leaving the cache: unmapped here before the main thread closes its descriptor.
    store.drop(msg.shard);
    parentPort!.postMessage({ type: 'dropped', id: msg.id });
    return;
  }
  // Buffers the consumer released come back with the next request (WorkerPool.recycle).
  msg.buffers?.forEach((b) => pool.give(b));
  // A group's batches are posted one by one as they are done: the first is never held back by the others.
  msg.reqs.forEach((req, k) => {
    const id = msg.ids[k];
    try {
      const data = assembleBatch(store, req, spec.image, pool, scratch);
      parentPort!.postMessage({ type: 'result', id, data }, [data.images.buffer as ArrayBuffer, data.labels.buffer as ArrayBuffer]);
    } catch (err) {
      parentPort!.postMessage({ type: 'result', id, error: serializeError(err) });
    }
  });
});

// The flag first: the main thread may be too busy to receive the message (see ReadySignal). The listener
// above is attached, so a batch sent as soon as the flag is seen is handled.
if (spec.readySignal) Atomics.store(spec.readySignal.flags, spec.readySignal.slot, 1);
parentPort!.postMessage({ type: 'ready' });
