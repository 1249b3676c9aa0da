// Benchmark: our reader against what a user would pick instead (numpy memmap, lmdb-js, PyTorch DataLoader)
// and against the native gather limit, on the same 256x256 uint8 images and shuffled order, in one run; the
// tfjs feed against the native uint8 -> float32 limit and tf.data over lmdb-js; the reader beside a busy core.
import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { open } from 'lmdb';
import { defaultReaderWorkers, measureThroughput, openDataset, type Dataset } from 'shard-reader';
import { toTfDataset } from 'shard-reader/tfjs';
// Internal: the addon's conversion, timed on its own as the tensor limit (not part of shard-reader's API).
import { loadMmapAddon } from '../../packages/shard-reader/src/io/index.js';
import { buildC } from './build-c.mjs';
import { shardJson } from './cli.js';
import { ensureSource, readSetSpec } from './data.js';
import { drainFor, type EpochIterator } from './png-feed.js';
import { ensurePeerData, type PeerData } from './peers-data.js';
import { readSet } from './read-warm.js';
import { sequentialRead } from './page-cache.js';
import { fmt, type Bench, type BenchContext } from './types.js';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3'; // Debian's, where apt installs python3-numpy and python3-torch
const HERE = import.meta.dirname;
const BATCH = 32;
const ROUNDS = 3;
/** Batch buffers a reader worker cycles through at the default prefetch (in flight, being consumed, released). */
const ROTATING = 4;

type Measured = { rate: number } | { skip: string };

async function python(ctx: BenchContext, args: string[]): Promise<Measured> {
  if (!existsSync(PYTHON)) return { skip: `${PYTHON} not found` };
  try {
    const { stdout } = await run(PYTHON, [path.join(HERE, 'peers_numpy.py'), ...args], { maxBuffer: 1 << 20, timeout: (ctx.seconds * 4 + 120) * 1000 });
    const out = JSON.parse(stdout.trim().split('\n').pop()!) as { samples_per_sec?: number; skip?: string };
    return out.skip ? { skip: out.skip } : { rate: out.samples_per_sec! };
  } catch (err) {
    const msg = (err as { stderr?: string }).stderr?.trim().split('\n').pop() ?? String(err);
    return { skip: msg.includes('numpy') ? `numpy not installed (apt-get install python3-numpy): ${msg}` : msg };
  }
}

/** lmdb-js: getBinaryFast of each sample (a view of LMDB's mapping, valid until the next get) copied into one batch buffer. */
function lmdbRate(data: PeerData, seconds: number): number {
  const db = open({ path: data.lmdb, encoding: 'binary', keyEncoding: 'uint32', compression: false, readOnly: true });
  const batch = Buffer.alloc(BATCH * data.imageBytes);
  let n = 0;
  const started = performance.now();
  try {
    while (performance.now() - started < seconds * 1000) {
      for (let k = 0; k < BATCH; k++) {
        const v = db.getBinaryFast(data.order[n % data.count]);
        if (!v) throw new Error(`lmdb: sample ${data.order[n % data.count]} missing`);
        // The returned Buffer is lmdb-js's whole 16 MiB shared buffer with an own `length` property set to
        // the value's: set() and copy() see the real length, so the value needs a view of its own.
        batch.set(new Uint8Array(v.buffer, v.byteOffset, v.length), k * data.imageBytes);
        n++;
      }
    }
  } finally {
    db.close();
  }
  return n / ((performance.now() - started) / 1000);
}

/**
 * The gather limit: C memcpy of the same records into one buffer per thread (gather_limit.c), built once.
 * With `buffers` > 1 each thread fills that many batch buffers in turn, as a reader handing batches to its
 * consumer does: the destination no longer stays in the core's cache.
 */
async function gatherRate(ctx: BenchContext, data: PeerData, threads: number, buffers = 1): Promise<Measured> {
  try {
    const exe = buildC('gather_limit', { flags: ['-pthread'], dir: ctx.dataDir });
    const { stdout } = await run(exe, [data.npy, String(data.npyDataOffset), String(data.imageBytes), data.orderFile, String(BATCH), String(threads), String(ctx.seconds), String(buffers)]);
    return { rate: Number(stdout.trim()) };
  } catch (err) {
    return { skip: `cannot build or run the C gather (needs cc): ${(err as Error).message.split('\n')[0]}` };
  }
}

/**
 * The README's loop: no ready(), nothing that yields. Timed from the first batch a worker made (its buffers
 * read as detached once released), as measureThroughput is timed from ready(): the steady state either way.
 */
async function plainLoopRate(dir: string, seconds: number): Promise<number> {
  const ds = await openDataset(dir);
  let samples = 0;
  let started = -1;
  const t0 = performance.now();
  try {
    for (let epoch = 0; ; epoch++) {
      for await (const b of ds.batches({ batchSize: BATCH, seed: 1, shuffle: 'global', epoch })) {
        b.release();
        const now = performance.now();
        if (started < 0 && (b.images.byteLength === 0 || now - t0 >= 20_000)) started = now;
        else if (started >= 0) samples += b.keys.length;
        if (started >= 0 && now - started >= seconds * 1000) return samples / ((now - started) / 1000);
      }
    }
  } finally {
    await ds.close();
  }
}

async function ours(dir: string, verify: boolean, seconds: number, prefetch?: number): Promise<number> {
  const ds: Dataset = await openDataset(dir, { verify });
  try {
    return (await measureThroughput(ds, { batchSize: BATCH, seed: 1, shuffle: 'global', seconds, ...(prefetch ? { prefetch } : {}) })).samplesPerSec;
  } finally {
    await ds.close();
  }
}

/** `shard bench` as a user runs it: the CLI in its own process, CRC on, the same options. */
async function cliRate(dir: string, seconds: number): Promise<Measured> {
  const r = await shardJson<{ samplesPerSec: number }>(['bench', dir, '--seconds', String(seconds), '--seed', '1', '--shuffle', 'global', '--batch-size', String(BATCH)]);
  return { rate: r.samplesPerSec };
}

type XY = { xs: tf.Tensor; ys: tf.Tensor };
const disposeXY = ({ xs, ys }: XY) => {
  const n = xs.shape[0];
  xs.dispose();
  ys.dispose();
  return n;
};

/** toTfDataset's float32 tensors, iterated as fitDataset does, each batch disposed. */
async function tensorRate(dir: string, seconds: number): Promise<number> {
  const ds = await openDataset(dir);
  try {
    await ds.ready();
    const dataset = toTfDataset(ds, tf, { batchSize: BATCH, seed: 1, shuffle: 'global' });
    const r = await drainFor(seconds, () => dataset.iterator() as Promise<EpochIterator<XY>>, disposeXY);
    return r.samplesPerSec;
  } finally {
    await ds.close();
  }
}

/**
 * The tensor limit: the addon's uint8 -> float32 conversion (scale 1/255) of a batch of the same images into
 * one reused Float32Array, one thread, nothing else (no gather, no CRC, no tensor).
 */
function conversionRate(data: PeerData, seconds: number): Measured {
  const addon = loadMmapAddon();
  if (!addon) return { skip: 'native addon not built' };
  const db = open({ path: data.lmdb, encoding: 'binary', keyEncoding: 'uint32', compression: false, readOnly: true });
  const src = new Uint8Array(BATCH * data.imageBytes);
  try {
    for (let k = 0; k < BATCH; k++) {
      const v = db.getBinaryFast(data.order[k])!;
      src.set(new Uint8Array(v.buffer, v.byteOffset, v.length), k * data.imageBytes);
    }
  } finally {
    db.close();
  }
  const dst = new Float32Array(src.length);
  let n = 0;
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    addon.toFloat32(src, dst, 1 / 255, 0);
    n += BATCH;
  }
  return { rate: n / ((performance.now() - started) / 1000) };
}

/** What a tfjs user would write over lmdb-js: a per-sample tf.data.generator, then .batch(). */
async function lmdbGeneratorRate(data: PeerData, seconds: number): Promise<number> {
  const db = open({ path: data.lmdb, encoding: 'binary', keyEncoding: 'uint32', compression: false, readOnly: true });
  const side = Math.round(Math.sqrt(data.imageBytes));
  let next = 0;
  try {
    const dataset = tf.data
      .generator(function* () {
        for (let k = 0; k < data.count; k++) {
          const v = db.getBinaryFast(data.order[next++ % data.count])!;
          const x = new Float32Array(data.imageBytes);
          for (let i = 0; i < x.length; i++) x[i] = v[i] / 255;
          yield { xs: tf.tensor3d(x, [side, side, 1]), ys: tf.zeros([5]) };
        }
      })
      .batch(BATCH);
    const r = await drainFor(seconds, () => dataset.iterator() as Promise<EpochIterator<XY>>, disposeXY);
    return r.samplesPerSec;
  } finally {
    db.close();
  }
}

/** Our reader (CRC on) while another process keeps one core busy, as a training step on the CPU would. */
async function busyRate(dir: string, seconds: number): Promise<number> {
  const spin = spawn(process.execPath, ['-e', 'let x = 1; for (;;) x = (x * 48271) % 2147483647;'], { stdio: 'ignore' });
  try {
    await new Promise((resolve) => setTimeout(resolve, 300));
    return await ours(dir, true, seconds);
  } finally {
    spin.kill();
  }
}

/** The first `n` source PNGs in sample order would differ from ours; the list maps sample index -> file. */
function pngList(ctx: BenchContext, source: string, ds: Dataset): string {
  const byKey = new Map<string, string>();
  const walk = (d: string) => readdirSync(d, { withFileTypes: true }).forEach((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : e.name.endsWith('.png') && byKey.set(path.relative(source, path.join(d, e.name)), path.join(d, e.name))));
  walk(source);
  const files = ds.keys.map((k) => byKey.get(k) ?? byKey.get(`${k}.png`) ?? [...byKey.values()][0]);
  const list = path.join(ctx.dataDir, 'peers-pngs.txt');
  writeFileSync(list, files.join('\n'));
  return list;
}

export const peersBench: Bench = async (ctx) => {
  const dir = await readSet(ctx);
  const source = await ensureSource(ctx, readSetSpec(ctx));
  const data = await ensurePeerData(ctx, dir, ctx.quick ? 'quick' : 'full');
  const probe = await openDataset(dir, { workers: 0 });
  const pngs = pngList(ctx, source, probe);
  sequentialRead([...probe.manifest.shards.map((s) => path.join(dir, s.file)), data.npy]); // warm
  await probe.close();
  const s = String(ctx.seconds);
  const cores = os.availableParallelism();
  const m: Record<string, Measured> = {};
  // The fast contenders run in interleaved rounds and each keeps its best round: on a shared machine a
  // round can lose half its CPU to other jobs, and the best round is the one least disturbed.
  const step = async (name: string, f: () => Promise<Measured>) => {
    const r = await f();
    const prev = m[name];
    if (!prev || ('rate' in r && (!('rate' in prev) || r.rate > prev.rate))) m[name] = r;
    ctx.log(`${name}: ${'rate' in r ? fmt.rate(r.rate) + ' samples/s' : 'skipped: ' + r.skip}`);
  };
  for (let round = 0; round < ROUNDS; round++) {
    ctx.log(`round ${round + 1} of ${ROUNDS}`);
    await step('ours CRC on', async () => ({ rate: await ours(dir, true, ctx.seconds) }));
    await step('ours CRC off', async () => ({ rate: await ours(dir, false, ctx.seconds) }));
    await step('ours prefetch 8', async () => ({ rate: await ours(dir, true, ctx.seconds, 8) }));
    await step('ours README loop', async () => ({ rate: await plainLoopRate(dir, ctx.seconds) }));
    await step('shard bench', () => cliRate(dir, ctx.seconds));
    await step('ours busy core', async () => ({ rate: await busyRate(dir, ctx.seconds) }));
    await step('toTfDataset', async () => ({ rate: await tensorRate(dir, ctx.seconds) }));
    await step('float limit', async () => conversionRate(data, ctx.seconds));
    await step('tf.data lmdb', async () => ({ rate: await lmdbGeneratorRate(data, ctx.seconds) }));
    await step('gather 1', () => gatherRate(ctx, data, 1));
    await step(`gather ${cores}`, () => gatherRate(ctx, data, cores));
    await step(`gather ${cores} rotating`, () => gatherRate(ctx, data, cores, ROTATING));
    await step('numpy', () => python(ctx, ['numpy', data.npy, data.orderFile, String(BATCH), s]));
    await step('lmdb', async () => ({ rate: lmdbRate(data, ctx.seconds) }));
  }
  await step('torch memmap 0', () => python(ctx, ['torch-memmap', data.npy, data.orderFile, String(BATCH), s, '0']));
  await step('torch memmap 2', () => python(ctx, ['torch-memmap', data.npy, data.orderFile, String(BATCH), s, '2']));
  await step('torch png 2', () => python(ctx, ['torch-png', pngs, data.orderFile, String(BATCH), s, '2']));

  const base = (m['ours CRC on'] as { rate: number }).rate;
  const rate = (k: string) => ('rate' in m[k] ? (m[k] as { rate: number }).rate : NaN);
  const label: Record<string, string> = {
    'ours CRC on': `shard-reader batches(), CRC on (the default), ${defaultReaderWorkers()} workers`,
    'ours CRC off': 'shard-reader batches(), verify off',
    'ours prefetch 8': 'shard-reader batches(), CRC on, prefetch 8 (default 4)',
    'ours README loop': "shard-reader, the README's plain for-await loop (no ready()), CRC on",
    'shard bench': '`shard bench` CLI (its own process), CRC on',
    'ours busy core': 'shard-reader batches(), CRC on, while another process keeps one core busy',
    toTfDataset: 'toTfDataset float32 tensors (pure-JS @tensorflow/tfjs), CRC on',
    'float limit': 'tensor limit: native uint8 -> float32 conversion of a batch (addon toFloat32), 1 thread',
    'tf.data lmdb': 'tf.data.generator over lmdb-js (per-sample float32 tensors) + .batch(32)',
    'gather 1': 'native gather limit: C memcpy from the mapping, 1 thread',
    [`gather ${cores}`]: `native gather limit: C memcpy from the mapping, ${cores} threads (all cores)`,
    [`gather ${cores} rotating`]: `native gather limit, ${cores} threads, each filling ${ROTATING} batch buffers in turn (as batches handed off)`,
    numpy: "numpy np.load(mmap_mode='r') + x[idx], one process",
    lmdb: 'lmdb-js getBinaryFast + copy into one batch buffer',
    'torch memmap 0': 'PyTorch DataLoader over the memmap, 0 workers',
    'torch memmap 2': 'PyTorch DataLoader over the memmap, 2 workers',
    'torch png 2': 'PyTorch DataLoader over the PNGs (PIL, 16-bit source), 2 workers',
  };
  const rows = Object.keys(m).map((k) => ['rate' in m[k] ? [label[k], fmt.rate(rate(k)), fmt.ratio(base / rate(k))] : [label[k], `skipped: ${(m[k] as { skip: string }).skip}`, '-']][0]);
  const figures: Record<string, number | string> = {};
  for (const k of Object.keys(m)) figures[k] = 'rate' in m[k] ? rate(k) : `skipped: ${(m[k] as { skip: string }).skip}`;
  const numpy = rate('numpy');
  const lmdb = rate('lmdb');
  const off = rate('ours CRC off');
  const all = rate(`gather ${cores}`);
  const loop = rate('ours README loop');
  const cli = rate('shard bench');
  const tensors = rate('toTfDataset');
  const floatLimit = rate('float limit');
  const busy = rate('ours busy core');
  return {
    name: 'peers',
    tables: [
      {
        title: `Peers, warm page cache: ${data.count} samples of 256x256 uint8, global shuffle, batch ${BATCH}, same order for all, one run, best of ${ROUNDS} interleaved rounds (PyTorch: one)`,
        command: `pnpm bench --only peers${ctx.quick ? ' --quick' : ''}`,
        columns: ['contender', 'samples/s', 'ours (CRC on) / it'],
        rows,
        notes: [
          'Ours also delivers labels, keys and indices per batch and checks each record (CRC-32 + key CRC); the peers deliver images only.',
          'The machine is shared by other jobs: read the ratios (measured minutes apart in one run), not the absolute rates.',
          'Rows of different units of work share the table: the tensor rows deliver float32 tensors (4 bytes per pixel) and compare with each other; the busy-core row runs a `node -e` spin loop in a second process during the read.',
        ],
      },
    ],
    figures,
    targets: [
      { target: 'CRC on >= 1.0x numpy memmap fancy indexing', measured: fmt.ratio(base / numpy), met: base / numpy >= 1.0 },
      { target: 'verify off >= 1.3x numpy memmap', measured: fmt.ratio(off / numpy), met: off / numpy >= 1.3 },
      { target: 'CRC on and off >= lmdb-js getBinaryFast', measured: `${fmt.ratio(base / lmdb)} / ${fmt.ratio(off / lmdb)}`, met: base >= lmdb && off >= lmdb },
      { target: `CRC on >= 0.8 of the native gather limit on all ${cores} cores`, measured: `${fmt.pct(base / all)} (${fmt.pct(base / rate(`gather ${cores} rotating`))} of the gather into rotating buffers)`, met: base / all >= 0.8 },
      { target: 'README loop within 10% of `shard bench`', measured: fmt.ratio(loop / cli), met: Math.abs(loop / cli - 1) <= 0.1 },
      { target: 'toTfDataset float32 >= 0.8x the native uint8 -> float32 conversion', measured: `${fmt.ratio(tensors / floatLimit)} (${fmt.ratio(tensors / rate('tf.data lmdb'))} tf.data over lmdb-js)`, met: tensors / floatLimit >= 0.8 },
      { target: 'with one core busy, >= 0.5x the idle rate', measured: fmt.ratio(busy / base), met: busy / base >= 0.5 },
    ],
  };
};
