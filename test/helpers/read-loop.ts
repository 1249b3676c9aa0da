// Child process for test/reader-safety.test.ts: a training-like reader that must survive files changing under it.
// argv: <workers> <backend> <dir>... Opens every dataset (printing "opened i"), and for each, once told
// "go i", reads whole epochs (printing "epoch i n") until "stop i" (or 1000 epochs) or an error; "mark i" is
// answered with "marked i n", n the epochs finished when it was read, so the test knows which epochs began
// after a change it made (printed epoch lines may lag far behind the reader); then
// prints one JSON line per dataset: every distinct (key, image CRC, labels) it yielded, and the error.
import { createInterface } from 'node:readline';
import { crc32 } from 'shard-format';
import { openDataset, type BackendChoice, type Dataset } from 'shard-reader';

const [workers, backend, ...dirs] = process.argv.slice(2);
const go = dirs.map(() => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
});
const stop = dirs.map(() => false);
const finished = dirs.map(() => 0);
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const [word, i] = line.split(' ');
  if (word === 'go') go[Number(i)].resolve();
  if (word === 'stop') stop[Number(i)] = true;
  if (word === 'mark') process.stdout.write(`marked ${i} ${finished[Number(i)]}\n`);
});
lines.on('close', () => dirs.forEach((_, i) => ((stop[i] = true), go[i].resolve())));

async function readUntilStopped(ds: Dataset, i: number): Promise<void> {
  const [h, w, c] = ds.shape;
  const pixels = h * w * c;
  const L = ds.labelNames.length;
  const seen = new Set<string>();
  let epochs = 0;
  let error: string | null = null;
  await go[i].promise;
  try {
    while (!stop[i]) {
      for await (const b of ds.batches({ batchSize: 4, seed: 5, epoch: epochs, shuffle: 'global' })) {
        b.keys.forEach((key, j) => {
          const bytes = pixels * b.images.BYTES_PER_ELEMENT;
          const image = new Uint8Array(b.images.buffer, b.images.byteOffset + j * bytes, bytes);
          seen.add(`${key} ${crc32(image)} ${Array.from(b.labels.subarray(j * L, (j + 1) * L)).join(',')}`);
        });
        b.release();
      }
      process.stdout.write(`epoch ${i} ${++epochs}\n`);
      finished[i] = epochs;
      // With inline assembly an epoch is all microtasks: let "stop" on stdin be read. Never read for ever.
      await new Promise((resolve) => setImmediate(resolve));
      if (epochs >= 1000) throw new Error('read-loop: no "stop" after 1000 epochs');
    }
  } catch (err) {
    error = `${(err as Error).name}: ${(err as Error).message}`;
  }
  await ds.close();
  process.stdout.write(JSON.stringify({ dataset: i, epochs, seen: [...seen], error }) + '\n');
}

const datasets = await Promise.all(dirs.map((dir) => openDataset(dir, { workers: Number(workers), backend: backend as BackendChoice })));
// With workers, every batch is assembled in a worker thread from the first one.
await Promise.all(datasets.map((ds) => ds.ready()));
datasets.forEach((_, i) => process.stdout.write(`opened ${i}\n`));
await Promise.all(datasets.map(readUntilStopped));
lines.close();
