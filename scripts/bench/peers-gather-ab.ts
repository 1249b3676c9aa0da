// A/B of two builds of the native addon on the batch gather alone (this thread, K rotating batch buffers, as a
// reader's worker cycles them), in interleaved rounds inside one process, so machine load hits both alike.
//   node --conditions=source --import tsx scripts/bench/peers-gather-ab.ts DIR A.node B.node [BUFFERS=8] [SECONDS=1] [verify|noverify]
// Build A from one commit and B from another (`pnpm --filter shard-reader run build:native`, then copy
// build/Release/shard_mmap.node aside); DIR is a uint8 read set such as .bench-data/shards-read-full.
import { fstatSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DATA_OFFSET, buildSeed, keyCrc } from 'shard-format';
import { openDataset } from 'shard-reader';
import type { MmapAddon } from '../../packages/shard-reader/src/io/addon.js';

const [dir, a, b, bufs = '8', secs = '1', mode = 'verify'] = process.argv.slice(2);
if (!dir || !a || !b) throw new Error('usage: peers-gather-ab.ts DIR A.node B.node [BUFFERS] [SECONDS] [verify|noverify]');
const load = createRequire(import.meta.url);
const addons: Record<'A' | 'B', MmapAddon> = { A: load(path.resolve(a)) as MmapAddon, B: load(path.resolve(b)) as MmapAddon };
const ds = await openDataset(dir, { workers: 0 });
const m = ds.manifest;
const l = m.schema.record;
const layout = Uint32Array.of(l.imageBytes, l.stride, l.labelsOffset, l.labelCount, l.keyCrcOffset, l.crcOffset);
const seed = buildSeed(m.buildId);
const order = ds.batches({ batchSize: 32, seed: 1, shuffle: 'global' }).plan.order;
const crcs = Uint32Array.from(ds.keys, (k) => keyCrc(k, seed));
const fds = m.shards.map((s) => openSync(path.join(dir, s.file), 'r'));
const maps = { A: fds.map((fd) => addons.A.map(fd, 0, fstatSync(fd).size)), B: fds.map((fd) => addons.B.map(fd, 0, fstatSync(fd).size)) };
const images = Array.from({ length: Number(bufs) }, () => new Uint8Array(32 * l.imageBytes).fill(1));
const labels = new Float32Array(32 * l.labelCount);
const shards = new Uint32Array(32);
const offsets = new Float64Array(32);
const keyCrcs = new Uint32Array(32);

function rate(k: 'A' | 'B', seconds: number): number {
  let n = 0;
  let it = 0;
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    for (let j = 0; j < 16; j++, it++) {
      const first = (it * 32) % (order.length - 32);
      for (let i = 0; i < 32; i++) {
        const x = order[first + i];
        const s = Math.floor(x / m.recordsPerShard);
        shards[i] = s;
        offsets[i] = DATA_OFFSET + (x - s * m.recordsPerShard) * l.stride;
        keyCrcs[i] = crcs[x];
      }
      const r = addons[k].gather(maps[k], shards, offsets, images[it % images.length], labels, mode === 'verify' ? keyCrcs : null, layout);
      if (r !== -1) throw new Error(`gather failed: ${r}`);
      n += 32;
    }
  }
  return n / ((performance.now() - started) / 1000);
}

rate('A', 0.5);
rate('B', 0.5);
const res = { A: [] as number[], B: [] as number[] };
for (let r = 0; r < 5; r++) for (const k of r % 2 ? (['A', 'B'] as const) : (['B', 'A'] as const)) res[k].push(rate(k, Number(secs)));
const median = (x: number[]) => [...x].sort((p, q) => p - q)[2];
const list = (x: number[]) => x.map((v) => Math.round(v / 1000)).join(' ');
process.stdout.write(`buffers ${bufs} ${mode}: A ${list(res.A)}k  B ${list(res.B)}k samples/s  median B/A ${(median(res.B) / median(res.A)).toFixed(3)}\n`);
await ds.close();
