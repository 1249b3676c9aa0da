// Child process for the memory benchmark: reads one whole epoch (global shuffle) and reports its peak memory,
// split into the process's own (anonymous) memory and the mapped shard pages (page cache, shared, reclaimable).
import { readFileSync } from 'node:fs';
import { measureThroughput, openDataset } from 'shard-reader';

const peak = { anonKiB: 0, fileKiB: 0 };
const sample = () => {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  peak.anonKiB = Math.max(peak.anonKiB, kib('RssAnon'));
  peak.fileKiB = Math.max(peak.fileKiB, kib('RssFile'));
};
const timer = setInterval(sample, 10);
timer.unref();

const [dir] = process.argv.slice(2);
const ds = await openDataset(dir);
const t = await measureThroughput(ds, { batchSize: 32, seed: 1, shuffle: 'global', seconds: 3600, maxSamples: ds.size });
sample();
await ds.close();
process.stdout.write(JSON.stringify({ samples: t.samples, seconds: t.seconds, ...peak }) + '\n');
