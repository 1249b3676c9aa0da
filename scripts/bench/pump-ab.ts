// Cold S3 epochs with the native download pump (native/pump.cc) and without it (SHARD_READER_NO_PUMP=1), in one
// process, alternating (the order flips every round), each with a fresh cache and the SDK's raw GET loop run just
// before and just after it: whether the pump speeds a cold epoch up on this machine, where load drifts.
// ROUNDS=8 node --conditions=source --import tsx scripts/bench/pump-ab.ts
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { measureThroughput, openDataset } from 'shard-reader';
import { s3ClientFor } from 'shard-reader/remote';
import { startRgw } from '../../test/helpers/servers.js';
import { rawLimit, sdkGet, uploadDataset, useRgwCredentials } from './remote-setup.js';

const dir = path.resolve('.bench-data/shards-remote-full');
const rounds = Number(process.env.ROUNDS ?? 6);
const rgw = await startRgw();
const work = mkdtempSync(path.join(os.tmpdir(), 'pump-ab-'));
useRgwCredentials(rgw);
const local = await openDataset(dir);
const files = local.manifest.shards.map((s) => s.file);
const client = s3ClientFor({ endpoint: rgw.endpoint, maxSockets: 8 });
await uploadDataset(client, 'pumpab', 'ds/', dir, local.manifest);

/** The bench's raw limit: parallel whole-object GETs through the SDK, GB/s. */
const raw = async () => (await rawLimit(files, sdkGet(client, 'pumpab', 'ds/'))) / 1e9;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cold: Record<'pump' | 'nopump', number[]> = { pump: [], nopump: [] };
const ratio: Record<'pump' | 'nopump', number[]> = { pump: [], nopump: [] };
try {
  await raw(); // connections up
  for (let r = 0; r < rounds; r++) {
    for (const v of r % 2 ? (['nopump', 'pump'] as const) : (['pump', 'nopump'] as const)) {
      // Read per download (socketGet), and the download threads share this environment.
      if (v === 'nopump') process.env.SHARD_READER_NO_PUMP = '1';
      else delete process.env.SHARD_READER_NO_PUMP;
      const ds = await openDataset('s3://pumpab/ds', { cacheDir: mkdtempSync(path.join(work, 'cache-')), cacheBytes: 1e9, s3: { endpoint: rgw.endpoint } });
      await ds.ready();
      const before = await raw();
      const c = await measureThroughput(ds, { batchSize: 32, seed: 1, shuffle: 'block', blockShards: 2, seconds: 3600, maxSamples: ds.size });
      const after = await raw();
      await ds.close();
      cold[v].push(c.bytesPerSec / 1e9);
      ratio[v].push(c.bytesPerSec / 1e9 / ((before + after) / 2));
    }
  }
  console.log(`pump faster in ${cold.pump.filter((x, i) => x > cold.nopump[i]).length} of ${rounds} rounds`);
  for (const v of ['pump', 'nopump'] as const) {
    console.log(`${v}: cold GB/s ${cold[v].map((x) => x.toFixed(3)).join(' ')} (median ${median(cold[v]).toFixed(3)}); of the raw limit ${ratio[v].map((x) => x.toFixed(2)).join(' ')} (median ${median(ratio[v]).toFixed(2)})`);
  }
} finally {
  delete process.env.SHARD_READER_NO_PUMP;
  await local.close();
  await rgw.stop();
  rmSync(work, { recursive: true, force: true });
}
