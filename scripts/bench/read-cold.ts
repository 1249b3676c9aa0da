// Benchmark 3: reading with the shards dropped from the page cache: block shuffle against a sequential read.
import path from 'node:path';
import { measureThroughput, openDataset, type ShuffleMode } from 'shard-reader';
import { dropCache, sequentialRead } from './page-cache.js';
import { readSet } from './read-warm.js';
import { fmt, type Bench } from './types.js';

export const readColdBench: Bench = async (ctx) => {
  const dir = await readSet(ctx);
  const probe = await openDataset(dir, { workers: 0 });
  const files = probe.manifest.shards.map((s) => path.join(dir, s.file));
  const size = probe.size;
  await probe.close();
  if (!dropCache(files)) throw new Error('cannot drop the page cache: the native addon is not built');
  // "Cold" here is only as cold as the virtual disk under us (its host may cache too), so each
  // pipeline runs several rounds, interleaved, each after a drop, and the median is reported.
  const rounds = ctx.quick ? 1 : 3;
  const runs: Record<string, number[]> = { sequential: [], block: [], global: [] };
  for (let r = 0; r < rounds; r++) {
    dropCache(files);
    runs.sequential.push(sequentialRead(files));
    // Global reads at most a fifth of an epoch: random 64 KiB reads from cold disk are slow by nature.
    for (const [shuffle, share] of [['block', 1], ['global', 0.2]] as [ShuffleMode, number][]) {
      dropCache(files);
      const ds = await openDataset(dir);
      const t = await measureThroughput(ds, { batchSize: 32, seed: 1, epoch: r, shuffle, seconds: 600, maxSamples: Math.floor(size * share) });
      await ds.close();
      runs[shuffle].push(t.bytesPerSec);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const sequential = median(runs.sequential);
  const figures: Record<string, number> = { sequential };
  const rows: (string | number)[][] = [['sequential read of the shard files (8 MiB reads): the limit', fmt.gbps(sequential), '1.00x', runs.sequential.map(fmt.gbps).join(' / ')]];
  for (const shuffle of ['block', 'global'] as const) {
    figures[shuffle] = median(runs[shuffle]);
    rows.push([`reader: ${shuffle} shuffle, CRC on, ${shuffle === 'block' ? 'one epoch' : 'a fifth of an epoch'}`, fmt.gbps(figures[shuffle]), fmt.ratio(figures[shuffle] / sequential), runs[shuffle].map(fmt.gbps).join(' / ')]);
    ctx.log(`cold ${shuffle}: ${fmt.gbps(figures[shuffle])} GB/s vs sequential ${fmt.gbps(sequential)} (medians of ${rounds})`);
  }
  const ratio = figures.block / sequential;
  return {
    name: 'read-cold',
    tables: [
      {
        title: `Read, cold cache (posix_fadvise DONTNEED before each run): ${size} samples, ${fmt.mb(files.length ? size * 65536 : 0)} MB of images`,
        command: `pnpm bench --only read-cold${ctx.quick ? ' --quick' : ''}`,
        columns: ['pipeline', 'GB/s (median)', 'vs sequential', 'rounds (GB/s)'],
        rows,
        notes: [
          'Block mode asks the kernel to read the current and next window of shards ahead (WILLNEED), so the disk sees large sequential reads, several in flight; the sequential baseline is one 8 MiB read at a time, which is why block mode can pass it.',
          'Global shuffle on cold data is random 64 KiB reads: use block mode for data that does not fit in memory.',
        ],
      },
    ],
    figures,
    targets: [{ target: 'cold block-shuffle read >= 70% of sequential read', measured: fmt.pct(ratio), met: ratio >= 0.7 }],
  };
};
