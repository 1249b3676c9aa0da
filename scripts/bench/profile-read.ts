// Profiling target for docs/BENCHMARKS.md: reads the warm read set for a few seconds, CRC on, global shuffle.
// node --conditions=source --import tsx --cpu-prof scripts/bench/profile-read.ts DIR WORKERS [SECONDS]
// (workers 0 puts the whole assembly on the profiled main thread; --cpu-prof does not reach worker threads).
import { measureThroughput, openDataset } from 'shard-reader';

const [dir, workers = '0', seconds = '4'] = process.argv.slice(2);
const ds = await openDataset(dir, { workers: Number(workers) });
const t = await measureThroughput(ds, { batchSize: 32, seed: 1, shuffle: 'global', seconds: Number(seconds) });
await ds.close();
process.stdout.write(JSON.stringify({ workers: Number(workers), samplesPerSec: Math.round(t.samplesPerSec) }) + '\n');
