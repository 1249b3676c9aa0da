// `shard serve` on 100,000 samples: start-up, then the first page (summary, charts, 48 thumbnails) in Chromium and over HTTP.
// Run: node --conditions=source --import tsx scripts/bench/serve-first-page.ts [--size 256] [--samples 100000]
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DATA_OFFSET, FORMAT_VERSION, MANIFEST_FILE, encodeManifest, recordLayout, recordsPerShard, schemaHash, type Schema } from 'shard-format';
import { ShardSetWriter, writeAtomic } from 'shard-writer';
import { ROOT } from './cli.js';

const { values } = parseArgs({ options: { size: { type: 'string', default: '256' }, samples: { type: 'string', default: '100000' } } });
const SIZE = Number(values.size);
const N = Number(values.samples);
const CLI = path.join(ROOT, 'packages/shard-cli/bin/shard.js');
const CHROMIUM = '/usr/bin/chromium';

/** N records written straight through the shard writer (no decode): 16 distinct phantoms, 200 slices per patient. */
async function ensureDataset(): Promise<string> {
  const out = path.join(ROOT, '.bench-data', `serve-${N}-${SIZE}`);
  if (existsSync(path.join(out, MANIFEST_FILE))) return out;
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const labelNames = ['epidural', 'intraparenchymal', 'intraventricular', 'subarachnoid', 'subdural'];
  const schema: Schema = { shape: [SIZE, SIZE, 1], dtype: 'uint8', labelNames, record: recordLayout([SIZE, SIZE, 1], 'uint8', 5), preprocess: { size: SIZE, fit: 'contain', kernel: 'lanczos3', window: null, windows: null, rescale: null, intensity: 'auto' } };
  const shardBytes = 256 << 20;
  const perShard = recordsPerShard(shardBytes, DATA_OFFSET, schema.record.stride);
  const buildId = 'c'.repeat(32);
  const writer = new ShardSetWriter(out, schema, schemaHash(schema), buildId, perShard);
  const phantoms = Array.from({ length: 16 }, (_, k) => {
    const img = new Uint8Array(SIZE * SIZE);
    const r = SIZE * (0.25 + k / 80);
    for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) {
      const d = Math.hypot(x - SIZE / 2, y - SIZE / 2);
      img[y * SIZE + x] = d < r ? 90 + ((x * (k + 3) + y * 7) % 120) : d < r + 6 ? 250 : 0;
    }
    return img;
  });
  for (let i = 0; i < N; i++) {
    await writer.add(phantoms[i % 16], [i % 7 === 0 ? 1 : 0, i % 5 === 0 ? 1 : 0, i % 11 === 0 ? 1 : 0, i % 3 === 0 ? 1 : 0, i % 13 === 0 ? 1 : 0], `patient_${String(Math.floor(i / 200)).padStart(4, '0')}/slice_${String(i % 200).padStart(3, '0')}`);
  }
  const shards = await writer.finish();
  await writeAtomic(out, MANIFEST_FILE, encodeManifest({ format: 'ct-shards', version: FORMAT_VERSION, schema, schemaHash: schemaHash(schema), buildId, samples: N, recordsPerShard: perShard, dataOffset: DATA_OFFSET, build: { tool: 'bench', shardBytes, inputs: N, written: N, skipped: [] }, shards }));
  return out;
}

function startServe(dir: string): Promise<{ child: ChildProcess; url: string; ms: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', CLI, 'serve', dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += String(d);
      const m = /^(http:\/\/[^\s]+)\n/.exec(out);
      if (m) resolve({ child, url: m[1], ms: performance.now() - t0 });
    });
    child.on('exit', (code) => reject(new Error(`shard serve exited ${code}`)));
  });
}

function fetchBytes(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let n = 0;
      res.on('data', (c: Buffer) => (n += c.length));
      res.on('end', () => (res.statusCode === 200 ? resolve(n) : reject(new Error(`${url}: ${res.statusCode}`))));
    }).on('error', reject);
  });
}

/** A page over plain HTTP as the page loads it: its files and JSON, then the page's thumbnail sheet. */
async function httpPage(url: string, page: number): Promise<number> {
  const t0 = performance.now();
  await Promise.all(['', 'app.js', 'viewer.js', 'window.js', 'style.css', 'api/summary', 'api/patients?page=0&size=100'].map((p) => fetchBytes(url + p)));
  const body = await new Promise<string>((resolve) => http.get(`${url}api/samples?page=${page}&size=48`, (res) => {
    let s = '';
    res.on('data', (c) => (s += c));
    res.on('end', () => resolve(s));
  }));
  JSON.parse(body);
  await fetchBytes(`${url}api/sheet.png?page=${page}&size=48`);
  return performance.now() - t0;
}

const dir = await ensureDataset();
const rows: Record<string, number> = {};
let serve = await startServe(dir);
rows['start-up to URL (ms, from source via tsx)'] = serve.ms;
const loads: number[] = [];
if (existsSync(CHROMIUM)) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  // Each load: a fresh browser context (empty cache) on a page whose thumbnails the server has not made yet.
  for (const n of [1, 400, 800, 1200, 1600, 2000]) {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const t0 = performance.now();
    await page.goto(`${serve.url}?page=${n}`);
    // Until the page's thumbnails are drawn (summary and charts load beside them).
    await page.waitForFunction(() => {
      const g = document.querySelector<HTMLElement>('#thumbs');
      return !!g && g.dataset.loaded !== undefined && g.dataset.loaded === g.dataset.page && g.querySelectorAll('canvas').length === 48;
    });
    loads.push(performance.now() - t0);
    await ctx.close();
  }
  // Baseline: what a fresh context costs on this machine right now for one small file of this server.
  const base: number[] = [];
  for (let k = 0; k < 5; k++) {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const t0 = performance.now();
    await page.goto(`${serve.url}favicon.svg`);
    base.push(performance.now() - t0);
    await ctx.close();
  }
  await browser.close();
  rows['Chromium baseline: fresh context loading one small file, median of 5 (ms)'] = base.sort((x, y) => x - y)[2];
  rows['Chromium: very first page load after start-up (ms)'] = loads[0];
  rows['Chromium: page load, fresh context, cold thumbnails, median of 5 (ms)'] = [...loads.slice(1)].sort((x, y) => x - y)[2];
  rows['Chromium: same, fastest of 5 (ms)'] = Math.min(...loads.slice(1));
  serve.child.kill('SIGTERM');
  await new Promise((r) => serve.child.once('exit', r));
  serve = await startServe(dir);
}
rows['HTTP: first page, fresh server (ms)'] = await httpPage(serve.url, 0);
rows['HTTP: page 1000, same server (ms)'] = await httpPage(serve.url, 1000);
serve.child.kill('SIGTERM');
await new Promise((r) => serve.child.once('exit', r));
const summary = { samples: N, size: SIZE, loadAverage: os.loadavg().map((l) => Number(l.toFixed(1))), cores: os.availableParallelism(), ...Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, Math.round(v)])) };
process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
