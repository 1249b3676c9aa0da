// Benchmark: the cost of context slices (2.5D): reader throughput with context 0, 1 and 2 under global
// and block shuffle, and how often a sample's neighbours sit in its own shard or its block window.
import { blockWindows, contextTable, measureThroughput, openDataset, type ShuffleMode } from 'shard-reader';
import { readSet } from './read-warm.js';
import { sequentialRead } from './page-cache.js';
import path from 'node:path';
import { fmt, type Bench } from './types.js';

export const contextBench: Bench = async (ctx) => {
  const dir = await readSet(ctx);
  const probe = await openDataset(dir, { workers: 0 });
  sequentialRead(probe.manifest.shards.map((s) => path.join(dir, s.file))); // warm
  const perShard = probe.manifest.recordsPerShard;
  const shardOf = (i: number) => Math.floor(i / perShard);
  // Where neighbours live, from the plan alone (no reads).
  const t1 = contextTable(probe.keys, 1);
  let sameShard = 0;
  let sameWindow = 0;
  let pairs = 0;
  const windows = blockWindows(probe.shardSizes, 1, 0, 4);
  const windowOf = new Map<number, number>();
  windows.forEach((w, wi) => w.forEach((s) => windowOf.set(s, wi)));
  for (let i = 0; i < probe.size; i++) {
    for (const j of t1.of(i)) {
      if (j === i) continue;
      pairs++;
      if (shardOf(j) === shardOf(i)) sameShard++;
      if (windowOf.get(shardOf(j)) === windowOf.get(shardOf(i))) sameWindow++;
    }
  }
  await probe.close();

  const batchSize = 32;
  const rows: (string | number)[][] = [];
  const figures: Record<string, number> = { neighboursInOwnShard: sameShard / pairs, neighboursInOwnBlockWindow: sameWindow / pairs };
  for (const shuffle of ['global', 'block'] as ShuffleMode[]) {
    let base = 0;
    for (const context of [0, 1, 2]) {
      const ds = await openDataset(dir);
      const t = await measureThroughput(ds, { batchSize, seed: 1, shuffle, context, seconds: ctx.seconds });
      await ds.close();
      if (context === 0) base = t.samplesPerSec;
      figures[`${shuffle} context-${context}`] = t.samplesPerSec;
      rows.push([`${shuffle}, context ${context} (${2 * context + 1} slices per sample)`, fmt.rate(t.samplesPerSec), fmt.rate(t.samplesPerSec * (2 * context + 1)), fmt.ratio(t.samplesPerSec / base)]);
      ctx.log(`${shuffle} context ${context}: ${fmt.rate(t.samplesPerSec)} samples/s`);
    }
  }
  return {
    name: 'context',
    tables: [
      {
        title: `Context slices, warm page cache: ${t1.neighbours.length / 3} samples of 256x256 uint8, batch ${batchSize}, mmap, CRC on`,
        command: `pnpm bench --only context${ctx.quick ? ' --quick' : ''}`,
        columns: ['reader', 'samples/s', 'slices read/s', 'vs context 0'],
        rows,
        notes: [
          `${fmt.pct(sameShard / pairs)} of neighbours (context 1) are in the sample's own shard: series are contiguous in manifest order, so only series that straddle a shard boundary reach into the next shard.`,
          `Block shuffle: ${fmt.pct(sameWindow / pairs)} of neighbours are in the sample's own window of 4 shards, so the hot set stays the window; a neighbour across a window boundary is a read outside it (a cold read on data larger than memory).`,
          'Each neighbour is a full record read with its CRC checked (a memcpy from the mapping); the cost is the JS pass interleaving the slices into channels, about 0.3 ms per 256x256x3 uint8 sample on a loaded core, plus 2k+1 times the float conversion in the tfjs feed.',
        ],
      },
    ],
    figures,
    // No target: the cost is the JS pass that interleaves the slices, reported as measured.
    targets: [],
  };
};
