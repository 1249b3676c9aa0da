// A consumer loop that never yields to the event loop (the README's) still gets its batches from the worker threads.
import { expect, it } from 'vitest';
import { openDataset } from 'shard-reader';
import { realMrShards } from './helpers/real-mr-shards.js';

const shards = realMrShards();

it('a plain for-await loop without ready() reaches the worker threads', async () => {
  const ds = await openDataset(shards.dir, { workers: 2 });
  // Workers start in ~50-300 ms (longer on a loaded machine); the loop runs epochs back to back until a
  // batch comes from a worker. Such a batch's buffers are transferred back on release and read as
  // detached here; an inline batch's go to this thread's pool and keep their length.
  const deadline = Date.now() + 30_000;
  let fromWorker = 0;
  let inline = 0;
  let epoch = 0;
  while (fromWorker === 0 && Date.now() < deadline) {
    for await (const b of ds.batches({ batchSize: 4, epoch: epoch++ })) {
      const spin = Date.now() + 1; // a little synchronous "training" per batch, never yielding
      while (Date.now() < spin);
      b.release();
      if (b.images.byteLength === 0) fromWorker++;
      else inline++;
    }
  }
  await ds.close();
  expect(fromWorker, `${inline} batches were assembled on the main thread and none by a worker`).toBeGreaterThan(0);
}, 60_000);
