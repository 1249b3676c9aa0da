// Scratch profiler for the remote bench: raw limit, cold and warm block-shuffle epochs against local, side by side (PROFILE_STORE=http|s3, PROFILE_ROUNDS, PROFILE_WORKERS, PROFILE_QUICK).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { measureThroughput, openDataset, type Dataset } from 'shard-reader';
import { s3ClientFor } from 'shard-reader/remote';
import { startNginx, startRgw, type Rgw, type RunningServer } from '../../test/helpers/servers.js';
import { ensureShards, ensureSource } from './data.js';

const quick = process.env.PROFILE_QUICK === '1';
const useS3 = process.env.PROFILE_STORE === 's3';
const rounds = Number(process.env.PROFILE_ROUNDS ?? 3);
const workers = process.env.PROFILE_WORKERS === undefined ? undefined : Number(process.env.PROFILE_WORKERS);
const ctx = { quick, dataDir: path.resolve('.bench-data'), seconds: 1, log: (m: string) => console.log(m) } as never;
const spec = quick ? { patients: 5, slices: 120, size: 256, bits: 16 as const } : { patients: 20, slices: 200, size: 256, bits: 16 as const };
const dir = await ensureShards(ctx, await ensureSource(ctx, spec), quick ? 'remote-quick' : 'remote-full', { size: 256, shardBytes: (quick ? 4 : 16) * 2 ** 20 });
const epoch = async (ds: Dataset) => measureThroughput(ds, { batchSize: 32, seed: 1, shuffle: 'block', blockShards: 2, seconds: 3600, maxSamples: ds.size });
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const work = mkdtempSync(path.join(os.tmpdir(), 'rp-'));
const server: RunningServer | Rgw = useS3 ? await startRgw() : await startNginx(path.dirname(dir));
try {
  const local = await openDataset(dir, { workers });
  const files = local.manifest.shards.map((s) => s.file);
  const bytes = local.manifest.shards.reduce((n, s) => n + s.bytes, 0);
  let url: string;
  let get: (f: string) => Promise<number>;
  let s3: { endpoint: string } | undefined;
  if (useS3) {
    const rgw = server as Rgw;
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: rgw.accessKeyId, AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey, AWS_REGION: rgw.region });
    const client = s3ClientFor({ endpoint: rgw.endpoint, maxSockets: 8 });
    await client.send(new CreateBucketCommand({ Bucket: 'p' }));
    for (const name of [...files, ...local.manifest.shards.map((s) => s.index.file), 'manifest.json']) await client.send(new PutObjectCommand({ Bucket: 'p', Key: `ds/${name}`, Body: readFileSync(path.join(dir, name)) }));
    url = 's3://p/ds';
    s3 = { endpoint: rgw.endpoint };
    get = async (f) => {
      const r = await client.send(new GetObjectCommand({ Bucket: 'p', Key: `ds/${f}` }));
      let n = 0;
      for await (const c of r.Body as AsyncIterable<Uint8Array>) n += c.length;
      return n;
    };
  } else {
    url = `${server.endpoint}/${path.basename(dir)}/`;
    get = async (f) => {
      const r = await fetch(url + f);
      let n = 0;
      for await (const c of r.body as unknown as AsyncIterable<Uint8Array>) n += c.length;
      return n;
    };
  }
  const raw = async () => {
    const t = performance.now();
    let next = 0;
    let n = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < files.length) n += await get(files[next++]);
    }));
    return n / ((performance.now() - t) / 1000);
  };
  await raw();
  await epoch(local);
  const open = () => openDataset(url, { cacheDir: path.join(work, 'c'), cacheBytes: bytes, workers, s3 });
  for (let r = 0; r < rounds; r++) {
    // Cold against raw, side by side: a fresh cacheDir each round.
    rmSync(path.join(work, 'c'), { recursive: true, force: true });
    const rawRate = await raw();
    const cold = await open();
    const c = await epoch(cold);
    await cold.close();
    const rawAfter = await raw();
    const limit = (rawRate + rawAfter) / 2;
    // Warm against local: one warm-up epoch each (local had its own), then alternating epochs.
    const warm = await open();
    await epoch(warm);
    const h: number[] = [];
    const l: number[] = [];
    for (let i = 0; i < 4; i++) {
      h.push((await epoch(warm)).samplesPerSec);
      l.push((await epoch(local)).samplesPerSec);
    }
    await warm.close();
    console.log(`round ${r}: raw ${(limit / 1e9).toFixed(3)} GB/s, cold ${(c.bytesPerSec / 1e9).toFixed(3)} GB/s = ${(c.bytesPerSec / limit).toFixed(2)}x; warm ${mean(h).toFixed(0)}/s vs local ${mean(l).toFixed(0)}/s = ${(mean(h) / mean(l)).toFixed(2)}x (warm ${h.map((x) => x.toFixed(0)).join(' ')}; local ${l.map((x) => x.toFixed(0)).join(' ')})`);
  }
  await local.close();
} finally {
  await server.stop();
  rmSync(work, { recursive: true, force: true });
}
