// Child process for the scale benchmark: time from openDataset() to the first batch, in a fresh process.
import { openDataset } from 'shard-reader';

const [dir, workers] = process.argv.slice(2);
const t0 = performance.now();
const ds = await openDataset(dir, { workers: Number(workers) });
const opened = performance.now();
const first = await ds.batches({ batchSize: 32, seed: 1, shuffle: 'global' }).next();
const done = performance.now();
await ds.close();
process.stdout.write(JSON.stringify({ size: ds.size, openMs: opened - t0, firstBatchMs: done - t0, keys: first.value?.keys.length }) + '\n');
