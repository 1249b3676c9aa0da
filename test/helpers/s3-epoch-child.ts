// A training process in miniature: opens an s3:// dataset (download threads up), reads one block-shuffle epoch
// through the cache, prints the samples read. Its stderr is what a user's training log would show.
// node --conditions=source --import tsx test/helpers/s3-epoch-child.ts <s3 url> <endpoint> <cacheDir>
import { openDataset } from 'shard-reader';

const [url, endpoint, cacheDir] = process.argv.slice(2);
const ds = await openDataset(url, { cacheDir, s3: { endpoint } });
await ds.ready();
let samples = 0;
for await (const b of ds.batches({ batchSize: 8, shuffle: 'block', blockShards: 2, seed: 1 })) samples += b.keys.length;
await ds.close();
process.stdout.write(`${samples}\n`);
