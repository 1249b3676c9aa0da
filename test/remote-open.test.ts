// openDataset on s3:// (Ceph RGW) and http:// (nginx) URLs: the same orders, batches and checks as the local folder.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildShards } from 'shard-writer';
import { SHUFFLE_MODES, openDataset, type Batch, type BatchOptions, type Dataset, type OpenDatasetOptions } from 'shard-reader';
import { s3ClientFor } from 'shard-reader/remote';
import { FaultProxy } from './helpers/fault-proxy.js';
import { ensureInstalled, startNginx, startRgw, type Rgw, type RunningServer } from './helpers/servers.js';
import { tempDir } from './helpers/tree.js';

const skip = await ensureInstalled();
if (skip) console.warn(`remote openDataset tests skipped: ${skip}`);

const REAL_MR = path.join(import.meta.dirname, 'fixtures/real-mr');
const bucket = 'open-test';
let work: string;
let data: string;
let rgw: Rgw;
let nginx: RunningServer;
let shardBytes: number;

async function collect(ds: Dataset, o: BatchOptions): Promise<Pick<Batch, 'keys' | 'indices' | 'images' | 'labels'>[]> {
  const out = [];
  for await (const b of ds.batches(o)) out.push({ keys: b.keys, indices: b.indices, images: b.images.slice(), labels: b.labels.slice() });
  return out;
}

const remotes: { name: string; url: () => string; options: () => OpenDatasetOptions }[] = [
  { name: 's3 (Ceph RGW)', url: () => `s3://${bucket}/mr`, options: () => ({ s3: { endpoint: rgw.endpoint } }) },
  { name: 'http (nginx)', url: () => `${nginx.endpoint}/mr/`, options: () => ({}) },
];

describe.skipIf(skip)('openDataset on remote URLs', () => {
  beforeAll(async () => {
    work = tempDir();
    // 51 samples of 24x24 uint8, 9 per shard: 6 shards, the last one short.
    data = (await buildShards({ input: REAL_MR, out: path.join(work, 'www/mr'), size: 24, shardBytes: 4096 + 9 * 640 })).out;
    shardBytes = statSync(path.join(data, 'shard-00000.bin')).size;
    [rgw, nginx] = await Promise.all([startRgw(), startNginx(path.join(work, 'www'))]);
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: rgw.accessKeyId, AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey, AWS_REGION: rgw.region });
    const client = s3ClientFor({ endpoint: rgw.endpoint });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const name of readdirSync(data)) await client.send(new PutObjectCommand({ Bucket: bucket, Key: `mr/${name}`, Body: readFileSync(path.join(data, name)) }));
    client.destroy();
  });
  afterAll(async () => {
    await Promise.all([rgw?.stop(), nginx?.stop()]);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('block streams assemble batches in worker threads (released buffers come back detached), equal to the local ones', async () => {
    const local = await openDataset(data, { workers: 0 });
    const remote = await openDataset(`${nginx.endpoint}/mr/`, { cacheDir: path.join(work, 'cache-workers'), cacheBytes: 2 * shardBytes, workers: 2 });
    try {
      await remote.ready(); // the workers are up: no batch is assembled on this thread while they start
      for (const epoch of [0, 1]) {
        const o: BatchOptions = { shuffle: 'block', epoch, batchSize: 2, seed: 3, blockShards: 1, prefetch: 1 };
        const want = await collect(local, o);
        let n = 0;
        for await (const b of remote.batches(o)) {
          expect({ keys: b.keys, images: b.images.slice(), labels: b.labels.slice() }).toEqual({ keys: want[n].keys, images: want[n].images, labels: want[n].labels });
          b.release();
          expect(b.images.length).toBe(0); // transferred back to the worker that made it
          n++;
        }
        expect(n).toBe(want.length);
      }
      let total = 0;
      for (const name of readdirSync(path.join(work, 'cache-workers', 'objects'))) total += statSync(path.join(work, 'cache-workers', 'objects', name)).size;
      expect(total).toBeLessThanOrEqual(2 * shardBytes);
    } finally {
      await remote.close();
      await local.close();
    }
  });

  it('keeps shards pinned and open across epochs, and lets go of them when another process sharing the cacheDir waits for room', async () => {
    const cacheDir = path.join(work, 'cache-keep');
    const shardFiles = readdirSync(data).filter((n) => n.endsWith('.bin'));
    const all = shardFiles.reduce((n, f) => n + statSync(path.join(data, f)).size, 0);
    const proxy = await FaultProxy.to(nginx.endpoint); // counts the GETs
    const local = await openDataset(data, { workers: 0 });
    const remote = await openDataset(`${proxy.endpoint}/mr/`, { cacheDir, cacheBytes: all, workers: 2 });
    const shardGets = () => proxy.requests.filter((q) => /^GET \S+\.bin\b/.test(q)).length;
    const pins = () => readdirSync(path.join(cacheDir, 'pins')).filter((n) => n.endsWith(`.${process.pid}`)).length;
    try {
      const o = (epoch: number): BatchOptions => ({ shuffle: 'block', epoch, batchSize: 4, seed: 7, blockShards: 2, prefetch: 2 });
      expect(await collect(remote, o(0))).toEqual(await collect(local, o(0)));
      // The epoch is over (and its workers had time to let go), and every shard is still pinned and mapped for the next one.
      await new Promise((r) => setTimeout(r, 300));
      expect(pins()).toBe(shardFiles.length);
      const gets = shardGets();
      expect(gets).toBe(shardFiles.length);
      expect(await collect(remote, o(1))).toEqual(await collect(local, o(1)));
      expect(shardGets()).toBe(gets); // nothing fetched again
      // Another process with the same bound needs room for one more object: the kept shards are let go of.
      const idx = local.manifest.shards[0].index.file;
      const bytes = readFileSync(path.join(data, idx));
      const entry = { key: idx, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
      const started = Date.now();
      const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', path.join(import.meta.dirname, 'helpers/cache-child.ts'), cacheDir, String(all), `${nginx.endpoint}/mr/`, JSON.stringify([entry]), '1'], { cwd: path.join(import.meta.dirname, '..'), stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      await new Promise((r) => child.on('exit', r));
      expect(JSON.parse(out)).toEqual({ ok: 1 });
      expect(Date.now() - started).toBeLessThan(15_000); // not the 20 s the child would wait in vain
      expect(pins()).toBe(0);
      // Reading on fetches what the other process evicted, and the batches are still the local ones.
      expect(await collect(remote, o(2))).toEqual(await collect(local, o(2)));
      expect(shardGets()).toBeGreaterThan(gets);
    } finally {
      await remote.close();
      await local.close();
      await proxy.stop();
    }
    expect(pins()).toBe(0);
  });

  it('the server stopped mid-epoch: the batches before are intact, then one clear error naming a shard', async () => {
    const proxy = await FaultProxy.to(nginx.endpoint);
    const local = await openDataset(data, { workers: 0 });
    const remote = await openDataset(`${proxy.endpoint}/mr/`, { cacheDir: path.join(work, 'cache-stop'), cacheBytes: 2 * shardBytes, remote: { timeoutMs: 1000, retry: { attempts: 3, baseDelayMs: 10 } } });
    try {
      const o: BatchOptions = { shuffle: 'none', batchSize: 3, prefetch: 1 };
      const want = await collect(local, o);
      const got: Batch[] = [];
      let error: Error | undefined;
      try {
        for await (const b of remote.batches(o)) {
          got.push(b);
          if (got.length === 4) await proxy.stop(); // 12 samples in: shard 1 of 6 is being read
        }
      } catch (err) {
        error = err as Error;
      }
      expect(error?.message).toMatch(new RegExp(`^${proxy.endpoint}/mr/shard-0000[2-5]\\.bin: gave up after 3 (failed )?attempts`));
      expect(got.length).toBeGreaterThanOrEqual(4);
      expect(got.length).toBeLessThan(want.length);
      got.forEach((b, i) => expect({ keys: b.keys, images: b.images }).toEqual({ keys: want[i].keys, images: want[i].images }));
    } finally {
      await remote.close();
      await local.close();
      await proxy.stop();
    }
  });

  describe.each(remotes)('$name', (r) => {
    it.each(SHUFFLE_MODES)('%s: every batch of two epochs and two ranks equals the local one, in a cache a third of the data', async (shuffle) => {
      const cacheDir = path.join(work, `cache-${r.name.slice(0, 2)}-${shuffle}`);
      const local = await openDataset(data, { workers: 0 });
      const remote = await openDataset(r.url(), { ...r.options(), cacheDir, cacheBytes: 2 * shardBytes });
      try {
        expect(remote.isRemote).toBe(true);
        expect(remote.keys).toEqual(local.keys);
        expect(remote.manifest).toEqual(local.manifest);
        for (const epoch of [0, 1]) {
          for (const rank of [0, 1]) {
            // 4 samples in flight per step over shards of >= 6 samples: two one-shard windows pinned at once.
            const o: BatchOptions = { shuffle, epoch, rank, worldSize: 2, batchSize: 2, seed: 11, blockShards: 1, prefetch: 1 };
            expect(await collect(remote, o)).toEqual(await collect(local, o));
          }
        }
        let total = 0;
        for (const name of readdirSync(path.join(cacheDir, 'objects'))) total += statSync(path.join(cacheDir, 'objects', name)).size;
        expect(total).toBeLessThanOrEqual(2 * shardBytes);
      } finally {
        await remote.close();
        await local.close();
      }
    });

    it('global shuffle with context slices equals the local batches; whole-shard streams refuse context', async () => {
      const local = await openDataset(data, { workers: 0 });
      const remote = await openDataset(r.url(), { ...r.options(), cacheDir: path.join(work, `cache-${r.name.slice(0, 2)}-ctx`), cacheBytes: 2 * shardBytes });
      try {
        const o: BatchOptions = { shuffle: 'global', batchSize: 8, seed: 9, context: 1 };
        const got = await collect(remote, o);
        expect(got[0].images.length).toBe(8 * 24 * 24 * 3);
        expect(got).toEqual(await collect(local, o));
        expect(() => remote.batches({ shuffle: 'block', context: 1, blockShards: 1, prefetch: 1, batchSize: 2 })).toThrow("context needs shuffle 'global' on a remote dataset");
      } finally {
        await remote.close();
        await local.close();
      }
    });

    it('resumes mid-epoch with exactly the suffix, and refuses a cache too small for the shuffle with the number needed', async () => {
      const cacheDir = path.join(work, `cache-${r.name.slice(0, 2)}-resume`);
      const local = await openDataset(data, { workers: 0 });
      const remote = await openDataset(r.url(), { ...r.options(), cacheDir, cacheBytes: 2 * shardBytes });
      try {
        const o: BatchOptions = { shuffle: 'block', epoch: 3, batchSize: 3, seed: 2, blockShards: 1, prefetch: 1, startBatch: 4 };
        expect(await collect(remote, o)).toEqual(await collect(local, o));
        expect(() => remote.batches({ shuffle: 'block', blockShards: 2, prefetch: 1, batchSize: 2 })).toThrow(`cacheBytes ${2 * shardBytes} is smaller than the ${4 * shardBytes} bytes block shuffle (blockShards 2) needs in flight (4 shards: 2 windows pinned at once with prefetch 1 x 2 samples): raise cacheBytes to at least ${4 * shardBytes}`);
        expect(() => remote.image(0)).toThrow(/cannot: read it through batches\(\)/);
      } finally {
        await remote.close();
        await local.close();
      }
      await expect(openDataset(r.url(), { ...r.options(), cacheDir, cacheBytes: shardBytes })).rejects.toThrow(`cacheBytes ${shardBytes} is smaller than the ${2 * shardBytes} bytes sequential reading needs in flight`);
    });
  });
});
