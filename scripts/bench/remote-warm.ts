// Warm remote epochs against local ones, interleaved in one process: an S3 (RGW) and an HTTP (nginx) dataset,
// both cached, and the local folder, 12 rounds of one epoch each after two warm-up epochs; prints each one's
// median. With REMOTE_WARM_PROFILE=1, also the main thread's CPU profile (self time by function) of one warm
// S3 epoch and one local epoch.
// node --conditions=source --import tsx scripts/bench/remote-warm.ts
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { MANIFEST_FILE, decodeManifest } from 'shard-format';
import { measureThroughput, openDataset, type Dataset } from 'shard-reader';
import { s3ClientFor } from 'shard-reader/remote';
import { startNginx, startRgw } from '../../test/helpers/servers.js';
import { uploadDataset, useRgwCredentials } from './remote-setup.js';

const dir = path.resolve('.bench-data/shards-remote-full'); // made by `pnpm bench --only remote`
const [rgw, nginx] = await Promise.all([startRgw(), startNginx(path.dirname(dir))]);
const work = mkdtempSync(path.join(os.tmpdir(), 'remote-warm-'));
const epoch = (ds: Dataset) => measureThroughput(ds, { batchSize: 32, seed: 1, shuffle: 'block', blockShards: 2, seconds: 3600, maxSamples: ds.size });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Self time (ms) by function of one epoch on this thread, top 6. */
async function profile(ds: Dataset): Promise<string> {
  const s = new Session();
  s.connect();
  await s.post('Profiler.enable');
  await s.post('Profiler.start');
  await epoch(ds);
  const { profile: p } = await s.post('Profiler.stop');
  s.disconnect();
  const self = new Map<string, number>();
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  p.samples!.forEach((id, i) => {
    const f = byId.get(id)!.callFrame;
    const k = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}`.trim();
    self.set(k, (self.get(k) ?? 0) + (p.timeDeltas![i] ?? 0) / 1000);
  });
  return [...self].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, ms]) => `${k} ${ms.toFixed(1)} ms`).join(', ');
}

try {
  useRgwCredentials(rgw);
  const client = s3ClientFor({ endpoint: rgw.endpoint });
  await uploadDataset(client, 'warm', 'ds/', dir, decodeManifest(readFileSync(path.join(dir, MANIFEST_FILE), 'utf8'), dir));
  client.destroy();
  const sets: Record<string, Dataset> = {
    s3: await openDataset('s3://warm/ds', { cacheDir: path.join(work, 's3'), s3: { endpoint: rgw.endpoint } }),
    http: await openDataset(`${nginx.endpoint}/${path.basename(dir)}/`, { cacheDir: path.join(work, 'http') }),
    local: await openDataset(dir),
  };
  try {
    for (const ds of Object.values(sets)) {
      await ds.ready();
      await epoch(ds); // downloads (remote), first mappings
      await epoch(ds);
    }
    const rates: Record<string, number[]> = { s3: [], http: [], local: [] };
    for (let r = 0; r < 12; r++) for (const [k, ds] of Object.entries(sets)) rates[k].push((await epoch(ds)).samplesPerSec);
    for (const [k, xs] of Object.entries(rates)) console.log(`${k}: median ${median(xs).toFixed(0)} samples/s (${xs.map((x) => (x / 1000).toFixed(0)).join(' ')} k)`);
    if (process.env.REMOTE_WARM_PROFILE === '1') {
      console.log(`main thread, one warm s3 epoch: ${await profile(sets.s3)}`);
      console.log(`main thread, one local epoch: ${await profile(sets.local)}`);
    }
  } finally {
    for (const ds of Object.values(sets)) await ds.close();
  }
} finally {
  await Promise.all([rgw.stop(), nginx.stop()]);
  rmSync(work, { recursive: true, force: true });
}
