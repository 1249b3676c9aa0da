// `pnpm bench [--quick] [--only a,b] [--seconds n]`: runs the benchmark suite and writes docs/BENCHMARKS.md.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { machineFacts, renderChart, renderMarkdown, type StoredResult } from './bench/report.js';
import type { Bench, BenchContext } from './bench/types.js';

// Loaded on demand: `--only micro` should not pay for importing tfjs.
const BENCHES: Record<string, () => Promise<Bench>> = {
  build: async () => (await import('./bench/build.js')).buildBench,
  'build-dicom': async () => (await import('./bench/build-dicom.js')).buildDicomBench,
  'build-peers': async () => (await import('./bench/build-peers.js')).buildPeersBench,
  micro: async () => (await import('./bench/micro.js')).microBench,
  'read-warm': async () => (await import('./bench/read-warm.js')).readWarmBench,
  'read-cold': async () => (await import('./bench/read-cold.js')).readColdBench,
  context: async () => (await import('./bench/context.js')).contextBench,
  seed: async () => (await import('./bench/seed.js')).seedBench,
  feed: async () => (await import('./bench/feed.js')).feedBench,
  memory: async () => (await import('./bench/memory.js')).memoryBench,
  peers: async () => (await import('./bench/peers.js')).peersBench,
  remote: async () => (await import('./bench/remote.js')).remoteBench,
};
const ROOT = path.resolve(import.meta.dirname, '..');

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    seconds: { type: 'string' },
    help: { type: 'boolean', default: false },
    render: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(`usage: pnpm bench [--quick] [--only ${Object.keys(BENCHES).join(",")}] [--seconds n] [--render]\n` +
    '  --quick    small data and short timings (a sanity check in under two minutes); writes .bench-data/BENCHMARKS-quick.md\n' +
    '  --only     run these benchmarks; results of the others are kept from earlier runs (docs/bench-results.json)\n' +
    '  --render   run nothing: rewrite the document from the stored results (after editing scripts/bench/notes/)\n' +
    '  --seconds  how long each timed read runs (default 5, quick 1.5)\n');
  process.exit(0);
}
const names = values.render ? [] : values.only ? values.only.split(',').map((s) => s.trim()) : Object.keys(BENCHES);
for (const n of names) if (!BENCHES[n]) throw new Error(`unknown benchmark ${n} (have ${Object.keys(BENCHES).join(', ')})`);

const ctx: BenchContext = {
  quick: values.quick,
  dataDir: path.join(ROOT, '.bench-data'),
  seconds: Number(values.seconds ?? (values.quick ? 1.5 : 5)),
  log: (line) => process.stderr.write(`bench: ${line}\n`),
};
mkdirSync(ctx.dataDir, { recursive: true });
// Full-run results are committed beside the document they make, so `--only x` on a fresh clone keeps every
// other section; quick runs stay in the git-ignored data folder.
const store = values.quick ? path.join(ctx.dataDir, 'results-quick.json') : path.join(ROOT, 'docs', 'bench-results.json');
const stored: Record<string, StoredResult> = existsSync(store) ? JSON.parse(readFileSync(store, 'utf8')) : {};

const started = performance.now();
for (const name of names) {
  const t = performance.now();
  ctx.log(`--- ${name}`);
  const result = await (await BENCHES[name]())(ctx);
  stored[name] = { ...result, key: name, mode: values.quick ? 'quick' : 'full', date: new Date().toISOString().slice(0, 16).replace('T', ' '), machine: machineFacts() };
  writeFileSync(store, JSON.stringify(stored, null, 1) + '\n');
  ctx.log(`${name} done in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  for (const target of result.targets) ctx.log(`  ${target.met ? 'met ' : 'MISS'} ${target.target}: ${target.measured}`);
}

const ordered = Object.keys(BENCHES).filter((n) => stored[n]).map((n) => stored[n]);
const docs = values.quick ? ctx.dataDir : path.join(ROOT, 'docs');
const chart = renderChart(ordered);
const chartName = values.quick ? 'bench-read-quick.svg' : 'bench-read.svg';
if (chart) writeFileSync(path.join(docs, chartName), chart);
writeFileSync(path.join(docs, values.quick ? 'BENCHMARKS-quick.md' : 'BENCHMARKS.md'), renderMarkdown(ordered, chartName));
ctx.log(`all done in ${((performance.now() - started) / 1000).toFixed(0)} s; wrote ${path.relative(ROOT, path.join(docs, values.quick ? 'BENCHMARKS-quick.md' : 'BENCHMARKS.md'))}`);
