// Microbenchmarks behind the writer's per-file figures in notes/build-dicom.md and notes/build-peers.md,
// one thread, in memory: discovery's header walk against dicom-parser's whole parse of CT_small; the value
// count with the range taken while counting against walking the 65,536 counts; one counter per value
// against four banks on an 8-bit slice. Run: node --conditions=source --import tsx scripts/bench/writer-micro.ts
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDicomBytes } from '../../packages/shard-writer/src/decode/dicom-header.js';
import { quickHeadDataSet } from '../../packages/shard-writer/src/dicom-quick-head.js';

const ROOT = path.join(import.meta.dirname, '../..');

function time(name: string, runs: number, fn: () => unknown): void {
  for (let i = 0; i < Math.max(20, runs / 10); i++) fn();
  const t = performance.now();
  for (let i = 0; i < runs; i++) fn();
  console.log(`${name.padEnd(58)} ${(((performance.now() - t) / runs) * 1000).toFixed(1)} us`);
}

const ct = readFileSync(path.join(ROOT, 'test/fixtures/dicom/CT_small.dcm'));
time('CT_small header: dicom-parser whole parse', 500, () => parseDicomBytes('CT_small.dcm', ct));
time('CT_small header: quick walk to the pixel data', 2000, () => quickHeadDataSet(ct));

const counts = new Int32Array(65536);
function walkRange(st: Int16Array): number {
  for (let i = 0; i < st.length; i++) counts[st[i] + 32768]++;
  let lo = 0;
  while (counts[lo] === 0) lo++;
  let hi = 65535;
  while (counts[hi] === 0) hi--;
  counts.fill(0, lo, hi + 1);
  return hi - lo;
}
function rangeWhileCounting(st: Int16Array): number {
  let lo = st[0];
  let hi = lo;
  for (let i = 0; i < st.length; i++) {
    const v = st[i];
    counts[v + 32768]++;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  counts.fill(0, lo + 32768, hi + 32769);
  return hi - lo;
}
const mr = Int16Array.from({ length: 64 * 64 }, (_, i) => (i * 7919) % 3000);
time('64x64 int16: count, then walk the counts for the range', 3000, () => walkRange(mr));
time('64x64 int16: range taken while counting', 3000, () => rangeWhileCounting(mr));

const banks = new Int32Array(1024);
function oneCounter(st: Uint8Array): void {
  for (let i = 0; i < st.length; i++) counts[st[i]]++;
  counts.fill(0, 0, 256);
}
function fourBanks(st: Uint8Array): void {
  let i = 0;
  for (; i + 3 < st.length; i += 4) {
    banks[st[i]]++;
    banks[256 + st[i + 1]]++;
    banks[512 + st[i + 2]]++;
    banks[768 + st[i + 3]]++;
  }
  for (; i < st.length; i++) banks[st[i]]++;
  banks.fill(0);
}
// A smooth slice: neighbouring pixels share a value, as in a real image.
const slice = Uint8Array.from({ length: 256 * 256 }, (_, i) => (Math.sin(i / 500) * 60 + 100) | 0);
time('256x256 uint8: one counter per value', 500, () => oneCounter(slice));
time('256x256 uint8: four banks of counters, taken in turn', 500, () => fourBanks(slice));
