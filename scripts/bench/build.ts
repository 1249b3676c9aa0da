// Benchmark 1: `shard build` slices/s against the decode+resize limit (same files, same concurrency, no writing),
// and the build pinned to one core against all cores.
import os from 'node:os';
import path from 'node:path';
import { rmSync } from 'node:fs';
import { buildShards, defaultWorkers, type BuildSummary } from 'shard-writer';
// The build's stages one by one: internals, by deep path.
import { discoverSlices } from '../../packages/shard-writer/src/discover.js';
import { mapOrdered } from '../../packages/shard-writer/src/map-ordered.js';
import { configureDecoder, preprocessSlice } from '../../packages/shard-writer/src/preprocess.js';
import { shardJson } from './cli.js';
import { ensureSource } from './data.js';
import { fmt, type Bench } from './types.js';

const PRE = { size: 256, dtype: 'uint8', fit: 'contain', kernel: 'lanczos3', windows: null, rescale: null, intensity: { mode: 'auto' } } as const;

export const buildBench: Bench = async (ctx) => {
  // 512x512 16-bit in, 256x256 uint8 out: decode + resize, the usual case.
  const src = await ensureSource(ctx, ctx.quick ? { patients: 4, slices: 60, size: 512, bits: 16 } : { patients: 20, slices: 100, size: 512, bits: 16 });
  const { slices } = await discoverSlices(src);
  const files = slices.map((s) => path.join(src, s.rel));
  const workers = defaultWorkers();
  const out = path.join(ctx.dataDir, 'build-bench-out');

  // The limit: exactly the builder's decode path and concurrency, results dropped.
  configureDecoder();
  const limitRate = await timeRate(files.length, async () => {
    for await (const r of mapOrdered(files, workers, (f) => preprocessSlice(f, PRE))) if (!r.ok) throw r.error;
  });
  rmSync(out, { recursive: true, force: true });
  let summary: BuildSummary | undefined;
  const buildRate = await timeRate(files.length, async () => {
    summary = await buildShards({ input: src, out, size: 256, workers });
  });
  ctx.log(`build ${fmt.rate(buildRate)} slices/s, decode limit ${fmt.rate(limitRate)} slices/s`);

  // Cores: the CLI in a child pinned with taskset, default options otherwise.
  const cores = os.availableParallelism();
  const timed = async (pin: number[]) => {
    rmSync(out, { recursive: true, force: true });
    const s = await shardJson<BuildSummary>(['build', src, '--out', out, '--size', '256', '-q'], pin);
    return s.inputs / s.seconds;
  };
  const oneCore = await timed([0]);
  const allCores = await timed([...Array(cores).keys()]);
  rmSync(out, { recursive: true, force: true });

  const ofLimit = buildRate / limitRate;
  const scaling = allCores / oneCore;
  return {
    name: 'build',
    tables: [
      {
        title: `Build: ${files.length} slices, 512x512 16-bit PNG -> 256x256 uint8 (${workers} decodes in flight)`,
        command: `pnpm bench --only build${ctx.quick ? ' --quick' : ''}`,
        columns: ['pipeline', 'slices/s', 'vs limit'],
        rows: [
          ['decode + resize only (sharp, same concurrency, no writing): the limit', fmt.rate(limitRate), '1.00x'],
          ['shard build (decode, CRC, write, hash, manifest)', fmt.rate(buildRate), fmt.ratio(ofLimit)],
          [`shard build CLI pinned to 1 core (taskset -c 0)`, fmt.rate(oneCore), fmt.ratio(oneCore / limitRate)],
          [`shard build CLI on all ${cores} cores`, fmt.rate(allCores), fmt.ratio(allCores / limitRate)],
        ],
        notes: [`all cores / 1 core = ${fmt.ratio(scaling)}`, `output: ${summary?.shards} shards, ${fmt.mb(summary?.bytes ?? 0)} MB`],
      },
    ],
    figures: { buildRate, limitRate, ofLimit, oneCore, allCores, scaling, slices: files.length },
    targets: [
      { target: 'build >= 85% of the decode+resize limit', measured: fmt.pct(ofLimit), met: ofLimit >= 0.85 },
      { target: `near 2x from 1 to ${cores} cores`, measured: fmt.ratio(scaling), met: scaling >= 1.7 },
    ],
  };
};

async function timeRate(n: number, fn: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await fn();
  return n / ((performance.now() - t) / 1000);
}
