// Object stores against real servers (Ceph RGW over S3, nginx over HTTP), and faults through a TCP proxy.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpStore, RemoteError, S3Store, ShardCache, s3ClientFor, uploadFile, uploadedIntact, type ObjectStore, type StoreOptions } from 'shard-reader/remote';
import { FaultProxy } from './helpers/fault-proxy.js';
import { ensureInstalled, startNginx, startRgw, type Nginx, type Rgw } from './helpers/servers.js';

const skip = await ensureInstalled();
if (skip) console.warn(`remote store tests skipped: ${skip}`);

const blob = randomBytes(3 * 1024 * 1024 + 17);
const blobSha = createHash('sha256').update(blob).digest('hex');
const small = Buffer.from('small object\n');
const fast: StoreOptions = { timeoutMs: 1000, retry: { attempts: 4, baseDelayMs: 10, maxDelayMs: 50 } };

let rgw: Rgw;
let nginx: Nginx;
let root: string;
const bucket = 'shards-test';

interface Backend {
  name: string;
  endpoint: () => string;
  url: (endpoint: string) => string;
  open: (endpoint: string, o?: StoreOptions) => ObjectStore;
}

const backends: Backend[] = [
  {
    name: 's3 (Ceph RGW)',
    endpoint: () => rgw.endpoint,
    url: () => `s3://${bucket}/ds/`,
    open: (endpoint, o = fast) => new S3Store(`s3://${bucket}/ds`, { ...o, s3: { endpoint } }),
  },
  {
    name: 'http (nginx)',
    endpoint: () => nginx.endpoint,
    url: (endpoint) => `${endpoint}/ds/`,
    open: (endpoint, o = fast) => new HttpStore(`${endpoint}/ds/`, o),
  },
];

describe.skipIf(skip)('remote object stores', () => {
  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'remote-store-'));
    mkdirSync(path.join(root, 'ds/sub'), { recursive: true });
    writeFileSync(path.join(root, 'ds/blob.bin'), blob);
    writeFileSync(path.join(root, 'ds/sub/small.txt'), small);
    [rgw, nginx] = await Promise.all([startRgw(), startNginx(root)]);
    // The standard credential chain: the SDK takes keys and region from the environment.
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: rgw.accessKeyId, AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey, AWS_REGION: rgw.region });
    const client = s3ClientFor({ endpoint: rgw.endpoint });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'ds/blob.bin', Body: blob }));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'ds/sub/small.txt', Body: small }));
    client.destroy();
  });
  afterAll(async () => {
    await Promise.all([rgw?.stop(), nginx?.stop()]);
    if (root) rmSync(root, { recursive: true, force: true });
  });

  describe('https (nginx with a self-signed certificate)', () => {
    const child = (trust: boolean) => {
      const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'remote-https-'));
      const env = { ...process.env, NODE_EXTRA_CA_CERTS: trust ? nginx.ca : '' };
      const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', path.join(import.meta.dirname, 'helpers/https-child.ts'), `${nginx.httpsEndpoint}/ds/`, 'blob.bin', String(blob.length), blobSha, cacheDir], { env, encoding: 'utf8', timeout: 60_000 });
      rmSync(cacheDir, { recursive: true, force: true });
      return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}');
    };

    it('downloads over TLS through the plain-socket path when the certificate is trusted (NODE_EXTRA_CA_CERTS)', () => {
      expect(child(true)).toEqual({ reusesChunks: true, sha: blobSha, cached: blobSha });
    });

    it('refuses a certificate it was not told to trust, on the socket path and on fetch alike', async () => {
      expect(child(false).error).toMatch(/certificate/);
      const store = new HttpStore(`${nginx.httpsEndpoint}/ds/`, fast);
      try {
        await expect(store.openWhole('blob.bin')).rejects.toThrow(/certificate/);
        await expect(store.get('blob.bin')).rejects.toThrow(/certificate/);
      } finally {
        await store.close();
      }
    });
  });

  it('uploads a file multipart with its SHA-256 recorded, so a rerun can skip what is already there intact', async () => {
    const big = randomBytes(11 * 1024 * 1024 + 5);
    const sha = createHash('sha256').update(big).digest('hex');
    const file = path.join(root, 'big.bin');
    writeFileSync(file, big);
    const store = new S3Store(`s3://${bucket}/up/`, { ...fast, s3: { endpoint: rgw.endpoint } });
    try {
      expect(await uploadedIntact(store, 'big.bin', big.length, sha)).toBe(false);
      await uploadFile(store, 'big.bin', file, sha, { partBytes: 5 * 1024 * 1024 }); // three parts
      expect(Buffer.from(await store.get('big.bin')).equals(big)).toBe(true);
      expect(await uploadedIntact(store, 'big.bin', big.length, sha)).toBe(true);
      expect(await uploadedIntact(store, 'big.bin', big.length, blobSha)).toBe(false); // another content
      expect(await uploadedIntact(store, 'big.bin', big.length + 1, sha)).toBe(false);
      // A plain PUT (no recorded hash) is never taken for an intact upload.
      const client = s3ClientFor({ endpoint: rgw.endpoint });
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'up/plain.bin', Body: big }));
      client.destroy();
      expect(await uploadedIntact(store, 'plain.bin', big.length, sha)).toBe(false);
    } finally {
      await store.close();
    }
  });

  describe.each(backends)('$name', (b) => {
    it('gets whole objects and exact ranges, heads and lists', async () => {
      const store = b.open(b.endpoint());
      try {
        expect(store.url).toBe(b.url(b.endpoint()));
        expect(Buffer.from(await store.get('blob.bin')).equals(blob)).toBe(true);
        expect(Buffer.from(await store.getRange('blob.bin', 1_000_003, 65_536)).equals(blob.subarray(1_000_003, 1_065_539))).toBe(true);
        expect(Buffer.from(await store.getRange('blob.bin', blob.length - 5, 5)).equals(blob.subarray(-5))).toBe(true);
        expect(await store.head('blob.bin')).toEqual({ key: 'blob.bin', size: blob.length });
        expect(await store.head('nope.bin')).toBeUndefined();
        expect(await store.list()).toEqual([
          { key: 'blob.bin', size: blob.length },
          { key: 'sub/small.txt', size: small.length },
        ]);
        expect(await store.list('sub/')).toEqual([{ key: 'sub/small.txt', size: small.length }]);
      } finally {
        await store.close();
      }
    });

    it('reports a missing object at once, naming it, without retrying', async () => {
      const proxy = await FaultProxy.to(b.endpoint());
      const store = b.open(proxy.endpoint, { ...fast, retry: { attempts: 5, baseDelayMs: 200 } });
      try {
        const t = Date.now();
        const err = await store.get('missing.bin').catch((e) => e);
        expect(err).toBeInstanceOf(RemoteError);
        expect(err.message).toMatch(/missing\.bin: HTTP 404/);
        expect(err.message).toContain(b.url(proxy.endpoint) + 'missing.bin');
        expect(Date.now() - t).toBeLessThan(1000);
        expect(proxy.requests.filter((r) => r.includes('missing.bin'))).toHaveLength(1);
        // A range past the end is the caller's mistake, not a fault to retry.
        await expect(store.getRange('blob.bin', blob.length - 2, 10)).rejects.toThrow(/past the end|416/);
      } finally {
        await store.close();
        await proxy.stop();
      }
    });

    it('retries a connection reset mid-body and returns the right bytes', async () => {
      const proxy = await FaultProxy.to(b.endpoint());
      proxy.plan = (n) => (n < 2 ? { resetAfter: 200_000 } : undefined);
      const store = b.open(proxy.endpoint);
      try {
        expect(Buffer.from(await store.get('blob.bin')).equals(blob)).toBe(true);
        expect(proxy.connections).toBe(3);
      } finally {
        await store.close();
        await proxy.stop();
      }
    });

    it('times out a stalled response and retries; a server that stays slow ends in a clear error', async () => {
      const proxy = await FaultProxy.to(b.endpoint());
      proxy.plan = (n) => (n === 0 ? { delayMs: 3000 } : undefined);
      const store = b.open(proxy.endpoint, { timeoutMs: 300, retry: { attempts: 3, baseDelayMs: 10 } });
      try {
        expect(Buffer.from(await store.getRange('blob.bin', 10, 100)).equals(blob.subarray(10, 110))).toBe(true);
        expect(proxy.connections).toBe(2);
        proxy.plan = () => ({ delayMs: 3000 });
        await proxy.stop(); // drop the kept-alive connections: the next ones are all slow
        await proxy.listen();
        const err = await store.getRange('blob.bin', 10, 100).catch((e) => e);
        expect(err).toBeInstanceOf(RemoteError);
        expect(err.message).toMatch(/blob\.bin: gave up after 3 attempts .*no (response|data) (in|for) 300 ms/);
      } finally {
        await store.close();
        await proxy.stop();
      }
    });

    it('fails clearly when the server goes away, naming the object and the last error', async () => {
      const proxy = await FaultProxy.to(b.endpoint());
      const store = b.open(proxy.endpoint);
      try {
        expect((await store.getRange('blob.bin', 0, 10)).length).toBe(10);
        await proxy.stop();
        const err = await store.get('blob.bin').catch((e) => e);
        expect(err).toBeInstanceOf(RemoteError);
        expect(err.message).toContain(`${b.url(proxy.endpoint)}blob.bin: gave up after 4 attempts`);
        expect(err.message).toMatch(/ECONNREFUSED|ECONNRESET|socket|other side closed/);
      } finally {
        await store.close();
        await proxy.stop();
      }
    });

    it('a whole-shard download resumes after a reset instead of starting over, and is checked by SHA-256', async () => {
      const proxy = await FaultProxy.to(b.endpoint());
      proxy.plan = (n) => (n === 0 ? { resetAfter: 2_000_000 } : undefined);
      const store = b.open(proxy.endpoint);
      const dir = mkdtempSync(path.join(os.tmpdir(), 'remote-cache-'));
      const cache = ShardCache.open({ cacheDir: dir, cacheBytes: 8 << 20 });
      try {
        const file = await cache.acquire(store, { key: 'blob.bin', bytes: blob.length, sha256: blobSha });
        const { readFileSync } = await import('node:fs');
        expect(readFileSync(file).equals(blob)).toBe(true);
        // Reset after 2 MB were sent (what the client had read survives the reset): the retry asks only for the rest.
        const gets = proxy.requests.filter((r) => r.startsWith('GET'));
        expect(gets).toHaveLength(2);
        expect(gets[0]).not.toMatch(/bytes=/);
        // S3 downloads from a plain http:// endpoint go over a plain socket, to a URL the SDK presigned.
        if (b.name.startsWith('s3')) expect(gets[0]).toMatch(/X-Amz-Signature=/);
        const resumedAt = Number(/bytes=(\d+)-$/.exec(gets[1])?.[1]);
        expect(resumedAt).toBeGreaterThan(0);
        expect(proxy.bytesToClient).toBeLessThan(2_000_000 + blob.length - resumedAt + 4096); // + response headers
      } finally {
        cache.close();
        await store.close();
        await proxy.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('a download corrupted in transit is retried; an object damaged in the store is reported by name', async () => {
      const proxy = await FaultProxy.to(b.endpoint());
      proxy.plan = (n) => (n === 0 ? { corruptAt: 100_000 } : undefined);
      const store = b.open(proxy.endpoint);
      const dir = mkdtempSync(path.join(os.tmpdir(), 'remote-cache-'));
      const cache = ShardCache.open({ cacheDir: dir, cacheBytes: 8 << 20, digestAttempts: 2 });
      try {
        const { readFileSync, readdirSync } = await import('node:fs');
        const file = await cache.acquire(store, { key: 'blob.bin', bytes: blob.length, sha256: blobSha });
        expect(readFileSync(file).equals(blob)).toBe(true);
        // The manifest's hash is not the object's: what a shard changed in the bucket looks like.
        const wrong = createHash('sha256').update('another build').digest('hex');
        const err = await cache.acquire(store, { key: 'blob.bin', bytes: blob.length, sha256: wrong }).catch((e) => e);
        expect(err).toBeInstanceOf(RemoteError);
        expect(err.message).toBe(`${b.url(proxy.endpoint)}blob.bin: SHA-256 of the download does not match the manifest (2 downloads; the object is damaged or was replaced in the store)`);
        expect(readdirSync(path.join(dir, 'objects'))).toEqual([`${blobSha}.obj`]); // no part file left, nothing unverified kept
        const short = await cache.acquire(store, { key: 'blob.bin', bytes: blob.length + 1, sha256: wrong }).catch((e) => e);
        expect(short.message).toMatch(/blob\.bin: is \d+ bytes, the manifest says \d+/);
      } finally {
        cache.close();
        await store.close();
        await proxy.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
