// Benchmark 6: peak RSS of build and read on two dataset sizes (one 4x the other), and the time from
// openDataset() to the first batch on a 100,000-sample dataset.
import { mkdirSync, readdirSync, rmSync, symlinkSync, existsSync } from 'node:fs';
import path from 'node:path';
import { DATA_OFFSET, FORMAT_VERSION, MANIFEST_FILE, encodeManifest, recordLayout, recordsPerShard, schemaHash, type Schema } from 'shard-format';
import { ShardSetWriter, writeAtomic } from 'shard-writer';
import { defaultReaderWorkers } from 'shard-reader';
import { ROOT, peakRssKiB } from './cli.js';
import { ensureSource, readSetSpec } from './data.js';
import { sequentialRead } from './page-cache.js';
import { fmt, type Bench, type BenchContext } from './types.js';

const CLI = path.join(ROOT, 'packages/shard-cli/bin/shard.js');

export const memoryBench: Bench = async (ctx) => {
  const spec = readSetSpec(ctx);
  const src = await ensureSource(ctx, spec);
  const patients = readdirSync(src).filter((d) => d.startsWith('patient_')).sort();
  const small = subsetTree(ctx, src, patients.slice(0, Math.ceil(patients.length / 4)));
  const rows: (string | number)[][] = [];
  const figures: Record<string, number> = {};
  for (const [label, input, n] of [['small', small, Math.ceil(patients.length / 4) * spec.slices], ['large', src, patients.length * spec.slices]] as const) {
    const out = path.join(ctx.dataDir, `memory-${label}`);
    rmSync(out, { recursive: true, force: true });
    const build = await peakRssKiB([CLI, 'build', input, '--out', out, '--size', '256', '-q']);
    const read = await peakRssKiB([path.join(import.meta.dirname, 'read-epoch.ts'), out]);
    const r = JSON.parse(read.stdout) as { samples: number; anonKiB: number; fileKiB: number };
    rmSync(out, { recursive: true, force: true });
    figures[`build-${label}-MiB`] = build.kib / 1024;
    figures[`read-${label}-MiB`] = r.anonKiB / 1024;
    figures[`read-${label}-mapped-MiB`] = r.fileKiB / 1024;
    const mib = (k: number) => (k / 1024).toFixed(0);
    rows.push([`${n} slices`, mib(build.kib), mib(r.anonKiB), mib(r.fileKiB), mib(read.kib), r.samples]);
    ctx.log(`${label}: build ${mib(build.kib)} MiB, read ${mib(r.anonKiB)} MiB own + ${mib(r.fileKiB)} MiB mapped shard pages`);
  }
  const buildGrowth = figures['build-large-MiB'] / figures['build-small-MiB'];
  const readGrowth = figures['read-large-MiB'] / figures['read-small-MiB'];

  const big = await ensure100k(ctx);
  // Warm, so both rows time start-up, not whichever run happens to read the disk first.
  sequentialRead(readdirSync(big).map((f) => path.join(big, f)));
  const first: Record<string, number> = {};
  const defaultWorkers = defaultReaderWorkers();
  for (const workers of [0, defaultWorkers]) {
    const r = await peakRssKiB([path.join(import.meta.dirname, 'first-batch.ts'), big, String(workers)]);
    const j = JSON.parse(r.stdout) as { openMs: number; firstBatchMs: number };
    first[`open-ms-w${workers}`] = j.openMs;
    first[`first-batch-ms-w${workers}`] = j.firstBatchMs;
  }
  const firstMs = first[`first-batch-ms-w${defaultWorkers}`];
  return {
    name: 'memory',
    tables: [
      {
        title: 'Memory: peak RSS of `shard build` (GNU time) and of reading one full epoch, on two dataset sizes',
        command: `pnpm bench --only memory${ctx.quick ? ' --quick' : ''}`,
        columns: ['dataset', 'build peak RSS (MiB)', 'read: own memory (RssAnon, MiB)', 'read: mapped shard pages (RssFile, MiB)', 'read: total RSS (MiB)', 'samples read'],
        rows,
        notes: [
          `large / small: build ${fmt.ratio(buildGrowth)}, reader's own memory ${fmt.ratio(readGrowth)} for ${fmt.ratio(4)} the data`,
          'Image data is streamed in both; what grows in the build is its list of input files with their labels (about 1 KiB per slice, held for the whole build) and allocator fragmentation in the decoder threads.',
          'RssFile is file-backed memory: the Node binary and libraries (~100 MiB) plus the shard pages seen through mmap, which are page cache (shared, reclaimable, bounded by RAM, not by the process); they count in total RSS because every record of the epoch was touched.',
        ],
      },
      {
        title: 'Scale: a fresh process opens a 100,000-sample dataset (64x64 uint8, 5 labels, files in the page cache) and gets its first global-shuffle batch of 32',
        command: `pnpm bench --only memory${ctx.quick ? ' --quick' : ''}`,
        columns: ['batch assembly', 'openDataset (ms)', 'first batch (ms, from open)'],
        rows: [
          ['inline (workers: 0)', first['open-ms-w0'].toFixed(0), first['first-batch-ms-w0'].toFixed(0)],
          [`${defaultWorkers} worker threads (the default; batches are assembled inline until they are up)`, first[`open-ms-w${defaultWorkers}`].toFixed(0), first[`first-batch-ms-w${defaultWorkers}`].toFixed(0)],
        ],
        notes: ['Run from TypeScript source through tsx, so a worker thread also pays its compile at start; a built package starts faster.'],
      },
    ],
    figures: { ...figures, buildGrowth, readGrowth, ...first },
    targets: [
      { target: 'build memory flat across dataset sizes (large/small < 1.25)', measured: fmt.ratio(buildGrowth), met: buildGrowth < 1.25 },
      { target: "reader's own memory flat across dataset sizes (large/small < 1.25)", measured: fmt.ratio(readGrowth), met: readGrowth < 1.25 },
      { target: 'first batch of a 100k-sample set in < 300 ms', measured: `${firstMs.toFixed(0)} ms`, met: firstMs < 300 },
    ],
  };
};

/** A tree of links to some patient folders of `src`: the same slices, a quarter of the data. */
function subsetTree(ctx: BenchContext, src: string, patients: string[]): string {
  const dir = path.join(ctx.dataDir, `subset-${path.basename(src)}-${patients.length}`);
  if (existsSync(dir)) return dir;
  mkdirSync(dir, { recursive: true });
  for (const p of patients) symlinkSync(path.join(src, p), path.join(dir, p));
  return dir;
}

/** 100,000 records written directly through the shard writer: the index and shard count are what matter here. */
async function ensure100k(ctx: BenchContext): Promise<string> {
  const out = path.join(ctx.dataDir, 'scale-100k');
  if (existsSync(path.join(out, MANIFEST_FILE))) return out;
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  ctx.log('writing a 100,000-sample dataset ...');
  const labelNames = ['atelectasis', 'effusion', 'nodule', 'pneumothorax', 'emphysema'];
  const schema: Schema = {
    shape: [64, 64, 1],
    dtype: 'uint8',
    labelNames,
    record: recordLayout([64, 64, 1], 'uint8', 5),
    preprocess: { size: 64, fit: 'contain', kernel: 'lanczos3', window: null, windows: null, rescale: null, intensity: 'auto' },
  };
  const shardBytes = 64 << 20;
  const perShard = recordsPerShard(shardBytes, DATA_OFFSET, schema.record.stride);
  const buildId = 'b'.repeat(32); // a fixed id: the bench writes one synthetic build
  const writer = new ShardSetWriter(out, schema, schemaHash(schema), buildId, perShard);
  const image = new Uint8Array(64 * 64);
  const N = 100_000;
  for (let i = 0; i < N; i++) {
    image.fill(i & 255);
    await writer.add(image, [i % 2, (i >> 1) % 2, 0, 0, 1], `patient_${String(Math.floor(i / 200)).padStart(4, '0')}/slice_${String(i % 200).padStart(3, '0')}`);
  }
  const shards = await writer.finish();
  await writeAtomic(out, MANIFEST_FILE, encodeManifest({
    format: 'ct-shards', version: FORMAT_VERSION, schema, schemaHash: schemaHash(schema), buildId, samples: N, recordsPerShard: perShard, dataOffset: DATA_OFFSET,
    build: { tool: 'bench', shardBytes, inputs: N, written: N, skipped: [] }, shards,
  }));
  return out;
}
