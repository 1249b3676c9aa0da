// The hand-off between the main thread and the batch workers: with a deep enough prefetch queue, requests
// two batches per message; released buffers ride with the next request, never a message of their own.
import { Worker } from 'node:worker_threads';
import { expect, it } from 'vitest';
import { openDataset } from 'shard-reader';
import { realMrShards } from './helpers/real-mr-shards.js';

const shards = realMrShards();

it('at prefetch 8 batches go two per message to 2 workers, and released buffers go back with the next request: none per release', async () => {
  const ds = await openDataset(shards.dir, { workers: 2 });
  await ds.ready();
  const sent: { type: string; buffers: number; batches: number }[] = [];
  // Every message the main thread posts to a worker, by type and how many buffers it hands over.
  const realPost = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (this: Worker, msg: unknown, transfer?: readonly unknown[]) {
    const m = msg as { type: string; buffers?: ArrayBuffer[]; reqs?: unknown[] };
    sent.push({ type: m.type, buffers: m.buffers?.length ?? 0, batches: m.reqs?.length ?? (m.type === 'batch' ? 1 : 0) });
    return realPost.call(this, msg, transfer as never);
  } as typeof realPost;
  let batches = 0;
  try {
    const reference = [];
    for await (const b of ds.batches({ batchSize: 4, seed: 3, shuffle: 'global', prefetch: 8 })) reference.push({ keys: b.keys, images: b.images.slice() });
    sent.length = 0;
    for (let round = 0; round < 2; round++) {
      let i = 0;
      for await (const b of ds.batches({ batchSize: 4, seed: 3, shuffle: 'global', epoch: 0, prefetch: 8 })) {
        expect(b.keys).toEqual(reference[i].keys);
        expect(b.images).toEqual(reference[i].images); // reused buffers are filled afresh, never stale
        const images = b.images;
        b.release();
        expect(images.length).toBe(0); // detached on release, as a transfer would
        batches++;
        i++;
      }
    }
  } finally {
    Worker.prototype.postMessage = realPost;
    await ds.close();
  }
  expect(batches).toBeGreaterThan(8);
  expect(sent.filter((m) => m.type === 'recycle')).toEqual([]);
  const requests = sent.filter((m) => m.type === 'batch');
  expect(requests.reduce((n, m) => n + m.batches, 0)).toBe(batches);
  // Two per message, but for an epoch's odd last batch (13 batches per epoch here), in each of the 2 rounds.
  const perEpoch = batches / 2;
  expect(requests.length).toBe(2 * Math.ceil(perEpoch / 2));
  // Every released buffer (images and labels) rides with a later request, except those of the last batches
  // of the run, released after the last request was sent (at most prefetch = 8 batches).
  const carried = sent.reduce((n, m) => n + m.buffers, 0);
  expect(carried).toBeGreaterThanOrEqual(2 * (batches - 8));
}, 60_000);

it('at the default prefetch (4) with 2 workers, batches go one per message: each worker keeps one queued', async () => {
  const ds = await openDataset(shards.dir, { workers: 2 });
  await ds.ready();
  const realPost = Worker.prototype.postMessage;
  const sizes: number[] = [];
  Worker.prototype.postMessage = function (this: Worker, msg: unknown, transfer?: readonly unknown[]) {
    const m = msg as { type: string; reqs?: unknown[] };
    if (m.type === 'batch') sizes.push(m.reqs!.length);
    return realPost.call(this, msg, transfer as never);
  } as typeof realPost;
  let batches = 0;
  try {
    for await (const b of ds.batches({ batchSize: 4, seed: 3 })) {
      b.release();
      batches++;
    }
  } finally {
    Worker.prototype.postMessage = realPost;
    await ds.close();
  }
  expect(sizes).toEqual(new Array(batches).fill(1));
}, 60_000);
