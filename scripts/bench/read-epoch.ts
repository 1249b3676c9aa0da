// Child process for the memory benchmark: reads one whole epoch (global shuffle) and prints what it read.
import { measureThroughput, openDataset } from 'shard-reader';

const [dir] = process.argv.slice(2);
const ds = await openDataset(dir);
const t = await measureThroughput(ds, { batchSize: 32, seed: 1, shuffle: 'global', seconds: 3600, maxSamples: ds.size });
await ds.close();
process.stdout.write(JSON.stringify({ samples: t.samples, seconds: t.seconds }) + '\n');
