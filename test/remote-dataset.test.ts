// A built dataset read from real servers (Ceph RGW, nginx): manifest and indexes, range reads checked per record.
import { readFileSync, readdirSync, rmSync, cpSync } from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_OFFSET, recordCrcOk } from 'shard-format';
import { buildShards } from 'shard-writer';
import { CorruptRecordError, blockWindows, openDataset, planEpoch } from 'shard-reader';
import { HttpStore, RangeReader, S3Store, ShardCache, ShardFeed, cacheBytesNeeded, loadRemoteDataset, s3ClientFor, type ObjectStore } from 'shard-reader/remote';
import { FaultProxy } from './helpers/fault-proxy.js';
import { ensureInstalled, startNginx, startRgw, type Rgw, type RunningServer } from './helpers/servers.js';
import { tempDir } from './helpers/tree.js';

const skip = await ensureInstalled();
if (skip) console.warn(`remote dataset tests skipped: ${skip}`);

const REAL_MR = path.join(import.meta.dirname, 'fixtures/real-mr');
const bucket = 'datasets';
const fast = { timeoutMs: 2000, retry: { attempts: 4, baseDelayMs: 10 } };
let work: string;
let data: string;
let rgw: Rgw;
let nginx: RunningServer;

async function upload(prefix: string, dir: string, change?: (name: string, bytes: Buffer) => Buffer): Promise<void> {
  const client = s3ClientFor({ endpoint: rgw.endpoint });
  try {
    for (const name of readdirSync(dir)) {
      const bytes = readFileSync(path.join(dir, name));
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${name}`, Body: change ? change(name, bytes) : bytes }));
    }
  } finally {
    client.destroy();
  }
}

const backends: { name: string; open: (endpoint?: string) => ObjectStore; endpoint: () => string }[] = [
  { name: 's3 (Ceph RGW)', endpoint: () => rgw.endpoint, open: (e = rgw.endpoint) => new S3Store(`s3://${bucket}/mr`, { ...fast, s3: { endpoint: e } }) },
  { name: 'http (nginx)', endpoint: () => nginx.endpoint, open: (e = nginx.endpoint) => new HttpStore(`${e}/mr/`, fast) },
];

describe.skipIf(skip)('remote datasets', () => {
  beforeAll(async () => {
    work = tempDir();
    // 51 samples of 24x24 uint8, 9 per shard: 6 shards, the last one short.
    data = (await buildShards({ input: REAL_MR, out: path.join(work, 'www/mr'), size: 24, shardBytes: 4096 + 9 * 640 })).out;
    [rgw, nginx] = await Promise.all([startRgw(), startNginx(path.join(work, 'www'))]);
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: rgw.accessKeyId, AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey, AWS_REGION: rgw.region });
    const client = s3ClientFor({ endpoint: rgw.endpoint });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    client.destroy();
    await upload('mr', data);
  });
  afterAll(async () => {
    await Promise.all([rgw?.stop(), nginx?.stop()]);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  describe.each(backends)('$name', (b) => {
    it('loads the same manifest, keys and labels as the local folder', async () => {
      const local = await openDataset(data, { workers: 0 });
      const store = b.open();
      try {
        const remote = await loadRemoteDataset(store);
        expect(remote.manifest).toEqual(local.manifest);
        expect(remote.keys).toEqual(local.keys);
        expect(remote.labels).toEqual(local.labels);
      } finally {
        await store.close();
        await local.close();
      }
    });

    it('reads a global-shuffle batch by coalesced ranges, byte for byte the local records', async () => {
      const local = await openDataset(data, { workers: 0 });
      const proxy = await FaultProxy.to(b.endpoint());
      const store = b.open(proxy.endpoint);
      try {
        const remote = await loadRemoteDataset(store);
        const reader = new RangeReader(store, remote.manifest, remote.keys, { coalesceGap: 2 * 640 });
        const plan = planEpoch(local.shardSizes, { batchSize: 16, seed: 3, epoch: 0, shuffle: 'global', rank: 0, worldSize: 1, dropLast: false, blockShards: 4 });
        const indices = plan.batch(0);
        const runs = reader.plan(indices);
        expect(runs.length).toBeLessThan(indices.length); // neighbours share a request
        const before = proxy.requests.length;
        const records = await reader.read(indices);
        expect(proxy.requests.length - before).toBe(runs.length);
        const stride = local.recordBytes;
        for (let p = 0; p < indices.length; p++) {
          const g = indices[p];
          const file = path.join(data, local.manifest.shards[Math.floor(g / local.manifest.recordsPerShard)].file);
          const at = DATA_OFFSET + (g % local.manifest.recordsPerShard) * stride;
          expect(Buffer.from(records[p]).equals(readFileSync(file).subarray(at, at + stride))).toBe(true);
        }
      } finally {
        await store.close();
        await proxy.stop();
        await local.close();
      }
    });

    it('a range damaged in transit is read again; every record reaching the caller is intact', async () => {
      const proxy = await FaultProxy.to(b.endpoint());
      const store = b.open(proxy.endpoint);
      try {
        const remote = await loadRemoteDataset(store);
        // Connections opened from here on: the first one's response gets a byte flipped inside its body.
        const first = proxy.connections;
        proxy.plan = (n) => (n === first ? { corruptAt: 1200 } : undefined);
        await proxy.stop(); // kept-alive connections go, so the next request opens connection `first`
        await proxy.listen();
        const reader = new RangeReader(store, remote.manifest, remote.keys);
        const indices = [...Array(remote.manifest.samples).keys()];
        const before = proxy.requests.length;
        const all = await reader.read(indices);
        // One request per shard, plus one re-read of the damaged record.
        expect(proxy.requests.length - before).toBe(reader.plan(indices).length + 1);
        const stride = remote.manifest.schema.record.stride;
        for (const g of indices) {
          const shard = readFileSync(path.join(data, remote.manifest.shards[Math.floor(g / remote.manifest.recordsPerShard)].file));
          const at = DATA_OFFSET + (g % remote.manifest.recordsPerShard) * stride;
          expect(Buffer.from(all[g]).equals(shard.subarray(at, at + stride))).toBe(true);
        }
      } finally {
        await store.close();
        await proxy.stop();
      }
    });
  });

  it('block shuffle through the cache: shards fetched a window ahead, two epochs in a cache of exactly the need', async () => {
    const store = new S3Store(`s3://${bucket}/mr/`, { ...fast, s3: { endpoint: rgw.endpoint } });
    const remote = await loadRemoteDataset(store);
    const m = remote.manifest;
    const o = { batchSize: 4, worldSize: 1, rank: 0, blockShards: 2, prefetch: 3, seed: 5, dropLast: false, shuffle: 'block' as const };
    const need = cacheBytesNeeded({ shuffle: 'block', shardBytes: m.shards.map((e) => e.bytes), shardSamples: m.shards.map((e) => e.samples), blockShards: 2, step: 4, prefetch: 3 });
    expect(need.bytes).toBe(4 * m.shards[0].bytes); // two windows of two shards
    const cacheDir = path.join(work, 'feed-cache');
    const cache = ShardCache.open({ cacheDir, cacheBytes: need.bytes, spaceWaitMs: 2000 });
    const local = readFileSync; // shard bytes on disk to compare with
    const stride = m.schema.record.stride;
    let maxPinned = 0;
    let maxBytes = 0;
    try {
      for (const epoch of [0, 1]) {
        const plan = planEpoch(remote.manifest.shards.map((e) => e.samples), { ...o, epoch });
        const files = new Map<number, string>();
        const feed = new ShardFeed(cache, store, m.shards.map((e) => ({ key: e.file, bytes: e.bytes, sha256: e.sha256, firstSample: e.firstSample, samples: e.samples })), blockWindows(m.shards.map((e) => e.samples), o.seed, epoch, 2), m.recordsPerShard, {
          onOpen: (s, p) => files.set(s, p),
          onClose: (s) => files.delete(s),
        });
        const seen: number[] = [];
        const assemble = async (b: number) => {
          const indices = plan.batch(b);
          const release = await feed.stage(indices);
          maxPinned = Math.max(maxPinned, feed.pinnedWindows.length);
          maxBytes = Math.max(maxBytes, cache.usage().bytes);
          for (const g of indices) {
            const s = Math.floor(g / m.recordsPerShard);
            const at = DATA_OFFSET + (g % m.recordsPerShard) * stride;
            const rec = local(files.get(s)!).subarray(at, at + stride);
            expect(recordCrcOk(rec, m.schema.record)).toBe(true);
            expect(Buffer.from(rec).equals(local(path.join(data, m.shards[s].file)).subarray(at, at + stride))).toBe(true);
            seen.push(g);
          }
          release();
        };
        const inFlight: Promise<void>[] = [];
        for (let b = 0; b < plan.batches; b++) {
          inFlight.push(assemble(b));
          if (inFlight.length >= o.prefetch) await inFlight.shift();
        }
        await Promise.all(inFlight);
        feed.close();
        expect(seen.sort((a, b) => a - b)).toEqual([...Array(m.samples).keys()]);
      }
      expect(maxPinned).toBe(2);
      expect(maxBytes).toBeLessThanOrEqual(need.bytes);
    } finally {
      cache.close();
      await store.close();
    }
  });

  it('a shard damaged in the bucket: range reads name the object, record and key; whole downloads fail its SHA-256', async () => {
    const stride = 640;
    await upload('damaged', data, (name, bytes) => {
      if (name !== 'shard-00002.bin') return bytes;
      const out = Buffer.from(bytes);
      out[DATA_OFFSET + 3 * stride + 10] ^= 0x40; // record 3's image
      return out;
    });
    const store = new S3Store(`s3://${bucket}/damaged/`, { ...fast, s3: { endpoint: rgw.endpoint } });
    const cache = ShardCache.open({ cacheDir: path.join(work, 'cache'), cacheBytes: 1 << 20, digestAttempts: 2 });
    try {
      const remote = await loadRemoteDataset(store);
      expect(remote.manifest.schema.record.stride).toBe(stride);
      const reader = new RangeReader(store, remote.manifest, remote.keys);
      const g = 2 * remote.manifest.recordsPerShard + 3;
      const err = await reader.read([g - 1, g, g + 1]).catch((e) => e);
      expect(err).toBeInstanceOf(CorruptRecordError);
      expect(err.message).toBe(`s3://${bucket}/damaged/shard-00002.bin, record 3, key ${remote.keys[g]}: checksum mismatch (damaged bytes)`);
      const entry = remote.manifest.shards[2];
      await expect(cache.acquire(store, { key: entry.file, bytes: entry.bytes, sha256: entry.sha256 })).rejects.toThrow(`s3://${bucket}/damaged/shard-00002.bin: SHA-256 of the download does not match the manifest (2 downloads;`);
      expect(readdirSync(path.join(work, 'cache', 'objects'))).toEqual([]);
    } finally {
      cache.close();
      await store.close();
    }
  });

  it('a prefix without a manifest is not a dataset; a missing index is named', async () => {
    const store = new HttpStore(`${nginx.endpoint}/nothing-here/`, fast);
    await expect(loadRemoteDataset(store)).rejects.toThrow(`${nginx.endpoint}/nothing-here/: no manifest.json: not a dataset`);
    cpSync(data, path.join(work, 'www/noindex'), { recursive: true });
    rmSync(path.join(work, 'www/noindex/shard-00001.index.json'));
    const s2 = new HttpStore(`${nginx.endpoint}/noindex/`, fast);
    await expect(loadRemoteDataset(s2)).rejects.toThrow(`${nginx.endpoint}/noindex/shard-00001.index.json: index named in the manifest is missing`);
  });
});
