// Scratch profiler for the remote bench: one nginx server, cold then warm block-shuffle epochs vs local (PROFILE_WORKERS, PROFILE_QUICK).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { measureThroughput, openDataset, type Dataset } from 'shard-reader';
import { startNginx } from '../../test/helpers/servers.js';
import { ensureShards, ensureSource } from './data.js';

const quick = process.env.PROFILE_QUICK === '1';
const workers = process.env.PROFILE_WORKERS === undefined ? undefined : Number(process.env.PROFILE_WORKERS);
const ctx = { quick, dataDir: path.resolve('.bench-data'), seconds: 1, log: (m: string) => console.log(m) } as never;
const spec = quick ? { patients: 5, slices: 120, size: 256, bits: 16 as const } : { patients: 20, slices: 200, size: 256, bits: 16 as const };
const dir = await ensureShards(ctx, await ensureSource(ctx, spec), quick ? 'remote-quick' : 'remote-full', { size: 256, shardBytes: (quick ? 4 : 16) * 2 ** 20 });
const epoch = async (ds: Dataset) => measureThroughput(ds, { batchSize: 32, seed: 1, shuffle: 'block', blockShards: 2, seconds: 3600, maxSamples: ds.size });
const nginx = await startNginx(path.dirname(dir));
const work = mkdtempSync(path.join(os.tmpdir(), 'rp-'));
try {
  const local = await openDataset(dir, { workers });
  await epoch(local);
  const bytes = local.manifest.shards.reduce((n, s) => n + s.bytes, 0);
  const url = `${nginx.endpoint}/${path.basename(dir)}/`;
  const open = () => openDataset(url, { cacheDir: path.join(work, 'c'), cacheBytes: bytes, workers });
  const t0 = performance.now();
  const cold = await open();
  const c = await epoch(cold);
  await cold.close();
  console.log(`cold ${(c.bytesPerSec / 1e9).toFixed(3)} GB/s (${((performance.now() - t0) / 1000).toFixed(2)} s)`);
  for (let r = 0; r < 2; r++) {
    const warm = await open();
    const h = await epoch(warm);
    const h2 = await epoch(warm);
    const h3 = await epoch(warm);
    console.log(`warm epochs on one open dataset: ${[h, h2, h3].map((x) => x.samplesPerSec.toFixed(0)).join(', ')}/s`);
    await warm.close();
    const l = await epoch(local);
    // A freshly opened local dataset maps every shard anew, as a remote one does each epoch (pins dropped).
    const freshLocal = await openDataset(dir, { workers });
    const f = await epoch(freshLocal);
    await freshLocal.close();
    console.log(`warm ${h.samplesPerSec.toFixed(0)}/s local ${l.samplesPerSec.toFixed(0)}/s ratio ${(h.samplesPerSec / l.samplesPerSec).toFixed(2)}; local freshly opened ${f.samplesPerSec.toFixed(0)}/s`);
  }
  await local.close();
} finally {
  await nginx.stop();
  rmSync(work, { recursive: true, force: true });
}
