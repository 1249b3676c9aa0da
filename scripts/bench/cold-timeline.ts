// When, within one cold S3 epoch (bench data, RGW, threads started first), each shard's download starts and
// lands and the batches come: the cacheDir watched (inotify) for part files appearing and objects landing.
// The first round is what `pnpm bench --only remote` measures (the first cold epoch of the process).
// node --conditions=source --import tsx scripts/bench/cold-timeline.ts   (ROUNDS=3)
import { mkdtempSync, rmSync, watch, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDataset } from 'shard-reader';
import { s3ClientFor } from 'shard-reader/remote';
import { startRgw } from '../../test/helpers/servers.js';
import { rawLimit, sdkGet, uploadDataset, useRgwCredentials } from './remote-setup.js';

const dir = path.resolve('.bench-data/shards-remote-full');
const rounds = Number(process.env.ROUNDS ?? 3);
const work = mkdtempSync(path.join(os.tmpdir(), 'tl-'));
const rgw = await startRgw();
try {
  const local = await openDataset(dir);
  const files = local.manifest.shards.map((s) => s.file);
  const bytes = local.manifest.shards.reduce((n, s) => n + s.bytes, 0);
  useRgwCredentials(rgw);
  const client = s3ClientFor({ endpoint: rgw.endpoint, maxSockets: 8 });
  await uploadDataset(client, 'timeline', 'ds/', dir, local.manifest);
  const raw = () => rawLimit(files, sdkGet(client, 'timeline', 'ds/'));
  await raw();
  for (let r = 0; r < rounds; r++) {
    const cacheDir = path.join(work, `c${r}`);
    mkdirSync(cacheDir, { recursive: true });
    const rawRate = await raw();
    const ds = await openDataset('s3://timeline/ds', { cacheDir, cacheBytes: bytes, s3: { endpoint: rgw.endpoint } });
    await ds.ready();
    const done: [number, string][] = [];
    const t0 = performance.now();
    const w = watch(cacheDir, { recursive: true }, (ev, f) => {
      if (f) done.push([performance.now() - t0, `${ev}:${f}`]);
    });
    const batches: number[] = [];
    for await (const b of ds.batches({ batchSize: 32, seed: 1, shuffle: 'block', blockShards: 2 })) {
      batches.push(performance.now() - t0);
      b.release();
    }
    const total = performance.now() - t0;
    w.close();
    await ds.close();
    const ms = (x: number) => x.toFixed(0);
    console.log(`round ${r}: raw ${(rawRate / 1e9).toFixed(3)} GB/s; epoch ${ms(total)} ms = ${(bytes / total / 1e6).toFixed(3)} GB/s (${(bytes / total / 1e6 / (rawRate / 1e9)).toFixed(2)}x of that raw)`);
    // objects/<sha>.<pid>.<bytes>.<rand>.part appears when a download starts; objects/<sha>.obj when it lands.
    const started = new Map<string, number>();
    const landed = new Map<string, number>();
    for (const [t, e] of done) {
      const m = /objects\/([0-9a-f]{64})\.(?:.*\.part|obj)$/.exec(e);
      if (!m) continue;
      const into = e.endsWith('.part') ? started : landed;
      if (!into.has(m[1])) into.set(m[1], t);
    }
    const spans = [...started].map(([sha, t]) => [t, landed.get(sha) ?? NaN]).sort((a, b) => a[0] - b[0]);
    console.log(`  downloads (start..landed ms): ${spans.map(([a, b]) => `${ms(a)}..${ms(b)}`).join(' ')}`);
    console.log(`  batches: first ${ms(batches[0])}, every 16th: ${batches.filter((_, i) => i % 16 === 0).map(ms).join(' ')}, last ${ms(batches[batches.length - 1])} (${batches.length})`);
  }
  client.destroy();
  await local.close();
} finally {
  await rgw.stop();
  rmSync(work, { recursive: true, force: true });
}
