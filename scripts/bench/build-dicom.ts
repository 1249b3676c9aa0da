// Benchmark: `shard build` of DICOM trees, one per codec family, against decode-only of the same files with
// the same decoder in the same run (issue 10's target: build >= 0.85x decode-only, both cores busy).
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { buildShards } from 'shard-writer';
// The decoder and discovery are the writer's internals: by deep path.
import { decodeDicom } from '../../packages/shard-writer/src/decode/index.js';
import { discoverSlices } from '../../packages/shard-writer/src/discover.js';
import { DICOM_FAMILIES, ensureDicomTree, type DicomFamily } from './build-dicom-data.js';
import { ROOT } from './cli.js';
import { fmt, type Bench, type BenchContext } from './types.js';

const DEV_WORKER = path.join(ROOT, 'packages/shard-writer/src/dev-worker.mjs');
const DECODE_WORKER = path.join(import.meta.dirname, 'decode-worker.ts');
const WARM = 20;
const run = promisify(execFile);
const CLI = path.join(ROOT, 'packages/shard-cli/bin/shard.js');

/** The compiled packages (dist/), as an installed `shard` runs them: built first, incrementally. */
async function compile(): Promise<void> {
  await run(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', path.join(ROOT, 'tsconfig.build.json')], { cwd: ROOT });
}

/** `shard build` from the compiled CLI in a child process (no tsx: its loader costs each decoder thread ~1.5 s here), slices/s as it reports them. */
async function buildCompiled(src: string, out: string, size: number): Promise<number> {
  rmSync(out, { recursive: true, force: true });
  const { stdout } = await run(process.execPath, [CLI, 'build', src, '--out', out, '--size', String(size), '-q', '--json'], { cwd: ROOT, maxBuffer: 64 << 20 });
  rmSync(out, { recursive: true, force: true });
  const s = JSON.parse(stdout) as { samples: number; seconds: number };
  return s.samples / s.seconds;
}

/** Files per tree: enough that the build's fixed costs (worker start-up, fsync, manifest) are paid over seconds of work. */
function count(ctx: BenchContext, f: DicomFamily): number {
  const pixels = f.size * f.size;
  // A 512x512 JPEG 2000 frame takes ~100x the time of a 128x128 uncompressed one.
  if (pixels >= 512 * 512) return ctx.quick ? 30 : 120;
  const full = pixels >= 128 * 128 ? 3000 : 6000;
  return ctx.quick ? full / 6 : full;
}

/** One thread, in this process: read + decode every file (after a warm-up), slices/s. */
async function decodeOneThread(files: string[]): Promise<number> {
  const decodeAll = async (list: string[]) => {
    let n = 0;
    for (const f of list) for await (const s of decodeDicom(f, await readFile(f))) n += s.modality.length > 0 ? 1 : 0; // modality values are lazy: computed here, as before
    return n;
  };
  await decodeAll(files.slice(0, WARM));
  const t = performance.now();
  const n = await decodeAll(files);
  return n / ((performance.now() - t) / 1000);
}

/** `threads` worker threads, each decoding its share (started and warmed before the clock starts), slices/s. */
async function decodeThreads(files: string[], threads: number): Promise<number> {
  const workers = Array.from({ length: threads }, (_, i) => {
    const share = files.filter((_, j) => j % threads === i);
    return new Worker(DEV_WORKER, { argv: [new URL(`file://${DECODE_WORKER}`).href], execArgv: ['--conditions=source'], workerData: { files: share, warm: share.slice(0, WARM) } });
  });
  try {
    await Promise.all(workers.map((w) => new Promise((resolve, reject) => w.once('message', resolve).once('error', reject))));
    const t = performance.now();
    const done = await Promise.all(
      workers.map((w) => {
        const reply = new Promise<{ slices: number }>((resolve, reject) => w.once('message', resolve).once('error', reject));
        w.postMessage('go');
        return reply;
      }),
    );
    return done.reduce((n, d) => n + d.slices, 0) / ((performance.now() - t) / 1000);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** The whole build, as `shard build` runs it (discovery, plan hashing, worker start-up, CRC, fsync, manifest), slices/s. */
async function build(src: string, out: string, size: number): Promise<number> {
  rmSync(out, { recursive: true, force: true });
  const s = await buildShards({ input: src, out, size });
  rmSync(out, { recursive: true, force: true });
  return s.samples / s.seconds;
}

export const buildDicomBench: Bench = async (ctx) => {
  const cores = os.availableParallelism();
  const rounds = ctx.quick ? 1 : 2;
  const rows: (string | number)[][] = [];
  await compile();
  const targets = [];
  const figures: Record<string, number> = {};
  for (const f of DICOM_FAMILIES) {
    const n = count(ctx, f);
    const src = await ensureDicomTree(ctx, f, n);
    const files = (await discoverSlices(src)).slices.map((s) => path.join(src, s.rel));
    const out = path.join(ctx.dataDir, 'build-dicom-out');
    // Interleaved rounds, best of each: the machine is shared, so every contender gets the same chances.
    const best = { one: 0, all: 0, build: 0, cli: 0 };
    for (let r = 0; r < rounds; r++) {
      best.one = Math.max(best.one, await decodeOneThread(files));
      best.all = Math.max(best.all, await decodeThreads(files, cores));
      best.build = Math.max(best.build, await build(src, out, f.size));
      best.cli = Math.max(best.cli, await buildCompiled(src, out, f.size));
    }
    ctx.log(`${f.family}: build ${fmt.rate(best.cli)}/s compiled, ${fmt.rate(best.build)}/s from source, decode-only ${fmt.rate(best.one)}/s (1 thread), ${fmt.rate(best.all)}/s (${cores} threads)`);
    const ratio = best.cli / best.one;
    rows.push([f.family, `${f.file} (${f.size}x${f.size}) x ${n}`, fmt.rate(best.one), fmt.rate(best.all), fmt.rate(best.cli), fmt.rate(best.build), fmt.ratio(ratio), fmt.ratio(best.cli / best.all)]);
    figures[`${f.family} build`] = best.cli;
    figures[`${f.family} build from source`] = best.build;
    figures[`${f.family} decode1`] = best.one;
    figures[`${f.family} decodeAll`] = best.all;
    targets.push({ target: `DICOM ${f.family}: build >= 0.85x decode-only (same files, same decoder)`, measured: fmt.ratio(ratio), met: ratio >= 0.85 });
  }
  return {
    name: 'build-dicom',
    tables: [
      {
        title: `DICOM build per codec family: shard build against decode-only of the same files (${cores} cores)`,
        command: `pnpm bench --only build-dicom${ctx.quick ? ' --quick' : ''}`,
        columns: ['codec family', 'files', 'decode-only, 1 thread (slices/s)', `decode-only, ${cores} threads`, 'shard build (compiled CLI)', 'shard build (from source, tsx)', 'build / decode 1 thread', `build / decode ${cores} threads`],
        rows,
        notes: [
          'Each tree is one real fixture from test/fixtures/dicom copied N times (SOP Instance UID made unique per copy), built at its own size (no resampling), default options (uint8, --intensity auto).',
          'Decode-only reads each file from disk and runs the same decoder as the build (decodeDicom: parse, codec, stored and modality values), results dropped; its threads start and warm up before the clock starts.',
          'shard build (compiled CLI) is `node packages/shard-cli/bin/shard.js build` on dist/, as installed; the ratios use it. From source it runs in this process under tsx, whose loader costs each decoder thread about 1.5 s to start here.',
          `shard build is timed whole, as the CLI reports it: discovery (a header read per file), the plan's SHA-256 of every input, ${cores} decoder threads started, value mapping and statistics, CRC, writes, fsync, manifest.`,
          'Best of interleaved rounds for each contender; the machine is shared by several jobs, so read the ratios.',
        ],
      },
    ],
    figures,
    targets,
  };
};
