// The shared download cache against a real HTTP server (nginx): bound, pins, sharing between processes.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheFullError, HttpStore, ShardCache, cacheBytesNeeded, checkCacheBytes, type CacheEntry } from 'shard-reader/remote';
import { FaultProxy } from './helpers/fault-proxy.js';
import { ensureInstalled, startNginx, type RunningServer } from './helpers/servers.js';

const skip = await ensureInstalled();
if (skip) console.warn(`remote cache tests skipped: ${skip}`);

const MiB = 1 << 20;
/** Size of the test's shards (a little more for later ones). */
const S = 512 * 1024;
let root: string;
let nginx: RunningServer;
let proxy: FaultProxy;
let base: string;
const entries: CacheEntry[] = [];
const tmp: string[] = [];

function tempDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'shard-cache-'));
  tmp.push(d);
  return d;
}

/** Every byte stored under a folder, as a watcher outside the cache sees it. */
function bytesUnder(dir: string): number {
  let total = 0;
  let list: import('node:fs').Dirent[] = [];
  try {
    list = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0; // removed while walking (a lock released)
  }
  for (const e of list) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += bytesUnder(p);
    else {
      try {
        total += statSync(p).size;
      } catch {
        // evicted while walking
      }
    }
  }
  return total;
}

interface Child {
  /** The child's report, once it has acquired everything. */
  result: Promise<{ ok?: number; error?: string }>;
  exit: Promise<void>;
  stdinEnd(): void;
}

function child(cacheDir: string, cacheBytes: number, list: CacheEntry[], hold: number, wait = false): Child {
  const p = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', path.join(import.meta.dirname, 'helpers/cache-child.ts'), cacheDir, String(cacheBytes), base, JSON.stringify(list), String(hold), wait ? 'wait' : ''], {
    cwd: path.join(import.meta.dirname, '..'),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  let resolveFirst!: (v: { ok?: number; error?: string }) => void;
  const result = new Promise<{ ok?: number; error?: string }>((r) => (resolveFirst = r));
  p.stdout.on('data', () => {
    if (out.includes('\n')) resolveFirst(JSON.parse(out.slice(0, out.indexOf('\n'))));
  });
  const exit = new Promise<void>((r) =>
    p.on('exit', (code) => {
      resolveFirst({ error: `exited ${code} with ${JSON.stringify(out)}` });
      r();
    }),
  );
  return { result, exit, stdinEnd: () => p.stdin.end() };
}

/** The child's report, after it has closed its cache and exited. */
const exited = async (c: Child) => {
  await c.exit;
  return c.result;
};

describe.skipIf(skip)('shared download cache', () => {
  beforeAll(async () => {
    root = tempDir();
    mkdirSync(path.join(root, 'ds'));
    for (let i = 0; i < 12; i++) {
      const bytes = randomBytes(S + i * 1000);
      const key = `shard-${String(i).padStart(5, '0')}.bin`;
      writeFileSync(path.join(root, 'ds', key), bytes);
      entries.push({ key, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
    }
    nginx = await startNginx(root);
    proxy = await FaultProxy.to(nginx.endpoint); // pass-through: counts the GETs
    base = `${proxy.endpoint}/ds/`;
  });
  afterAll(async () => {
    await proxy?.stop();
    await nginx?.stop();
    for (const d of tmp) rmSync(d, { recursive: true, force: true });
  });

  it('never exceeds cacheBytes while three processes stream through it, watched from outside', async () => {
    const dir = tempDir();
    const cacheBytes = Math.floor(5.5 * S);
    let max = 0;
    const watcher = setInterval(() => (max = Math.max(max, bytesUnder(dir))), 2);
    try {
      const orders = [entries, [...entries].reverse(), [...entries.slice(6), ...entries.slice(0, 6)]];
      // Each keeps 1 shard pinned while fetching the next: 3 x 2 in use at most, the rest evictable.
      const results = await Promise.all(orders.map((o) => exited(child(dir, cacheBytes, o, 1))));
      expect(results).toEqual([{ ok: 12 }, { ok: 12 }, { ok: 12 }]);
    } finally {
      clearInterval(watcher);
    }
    max = Math.max(max, bytesUnder(dir));
    expect(max).toBeGreaterThan(3 * S); // it was used...
    expect(max).toBeLessThanOrEqual(cacheBytes); // ...and never past its bound
    expect(readdirSync(path.join(dir, 'pins'))).toEqual([]); // every process released its pins
    expect(readdirSync(path.join(dir, 'objects')).filter((n) => n.endsWith('.part'))).toEqual([]);
  });

  it('processes wanting the same shards at once download each one once', async () => {
    const dir = tempDir();
    const before = proxy.requests.length;
    const results = await Promise.all([0, 1, 2].map(() => exited(child(dir, 64 * MiB, entries, 12))));
    expect(results).toEqual([{ ok: 12 }, { ok: 12 }, { ok: 12 }]);
    const gets = proxy.requests.slice(before).filter((r) => r.startsWith('GET'));
    expect(gets.sort()).toEqual(entries.map((e) => `GET /ds/${e.key}`).sort());
  });

  it('never evicts a pinned shard, never deletes what it did not download, and says when it cannot fit', async () => {
    const dir = tempDir();
    const theirs = [path.join(dir, 'notes.txt'), path.join(dir, 'objects', 'mine.bin'), path.join(dir, 'objects', `${'a'.repeat(64)}.txt`)];
    mkdirSync(path.join(dir, 'objects'), { recursive: true });
    for (const f of theirs) writeFileSync(f, 'not the cache\'s');
    const store = new HttpStore(base);
    const cache = ShardCache.open({ cacheDir: dir, cacheBytes: Math.floor(3.5 * S) });
    try {
      const pinned = await cache.acquire(store, entries[0]);
      for (const e of entries.slice(1)) {
        await cache.acquire(store, e);
        cache.release(e);
        expect(existsSync(pinned)).toBe(true);
      }
      expect(cache.usage()).toMatchObject({ objects: 3, pinned: 1 });
      for (const f of theirs) expect(existsSync(f)).toBe(true);
      await cache.acquire(store, entries[1]);
      await cache.acquire(store, entries[2]);
      const t = Date.now();
      const err = await cache.acquire(store, entries[3]).catch((e) => e);
      expect(err).toBeInstanceOf(CacheFullError);
      expect(err.message).toMatch(new RegExp(String.raw`shard-00003\.bin \(\d+ bytes\) does not fit: this process has \d+ of the ${Math.floor(3.5 * S)} cacheBytes in use`));
      expect(Date.now() - t).toBeLessThan(2000); // no waiting on pins that only this process could release
    } finally {
      cache.close();
      await store.close();
    }
    for (const f of theirs) expect(existsSync(f)).toBe(true);
  });

  it('waits for room another process holds, fails clearly if it never comes, and ignores pins of dead processes', async () => {
    const dir = tempDir();
    const cacheBytes = Math.floor(2.5 * S);
    const holder = child(dir, cacheBytes, entries.slice(0, 2), 2, true);
    expect(await holder.result).toEqual({ ok: 2 });
    const store = new HttpStore(base);
    const cache = ShardCache.open({ cacheDir: dir, cacheBytes, spaceWaitMs: 300 });
    try {
      const err = await cache.acquire(store, entries[2]).catch((e) => e);
      expect(err).toBeInstanceOf(CacheFullError);
      expect(err.message).toMatch(new RegExp(String.raw`no room for .*shard-00002\.bin .* after 0 s: \d+ of the ${Math.floor(2.5 * S)} cacheBytes are in use by 1 process`));
      holder.stdinEnd(); // the other rank finishes and releases
      await holder.exit;
      const file = await cache.acquire(store, entries[2]);
      expect(statSync(file).size).toBe(entries[2].bytes);
    } finally {
      cache.close();
      await store.close();
    }
  });

  it('downloads in the download thread (this thread\'s store never opens the object); a store that thread cannot rebuild is read here', async () => {
    const dir = tempDir();
    const opened: string[] = [];
    const store = new HttpStore(base);
    const open = store.open.bind(store);
    store.open = (key, ...rest) => {
      opened.push(key);
      return open(key, ...rest);
    };
    class Counting extends HttpStore {
      override open(key: string, offset?: number, length?: number) {
        opened.push(`sub:${key}`);
        return super.open(key, offset, length);
      }
    }
    const sub = new Counting(base);
    expect(store.spec).toEqual({ kind: 'http', url: base, options: {} });
    expect(sub.spec).toBeUndefined(); // it changes how requests are made: a plain HttpStore there would not
    const cache = ShardCache.open({ cacheDir: dir, cacheBytes: 4 * S });
    try {
      const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
      expect(sha(await cache.acquire(store, entries[6]))).toBe(entries[6].sha256);
      expect(sha(await cache.acquire(sub, entries[7]))).toBe(entries[7].sha256);
      expect(opened).toEqual([`sub:${entries[7].key}`]);
    } finally {
      cache.close();
      await store.close();
      await sub.close();
    }
  });

  it('cleans up a download a dead process left behind instead of counting it', async () => {
    const dir = tempDir();
    const dead = spawn(process.execPath, ['-e', '']);
    const pid = dead.pid!;
    await new Promise((r) => dead.on('exit', r));
    mkdirSync(path.join(dir, 'objects'), { recursive: true });
    const stale = path.join(dir, 'objects', `${entries[5].sha256}.${pid}.${100 * MiB}.abcd.part`);
    writeFileSync(stale, randomBytes(1000));
    mkdirSync(path.join(dir, 'pins'), { recursive: true });
    writeFileSync(path.join(dir, 'pins', `${entries[5].sha256}.${pid}`), '');
    const store = new HttpStore(base);
    const cache = ShardCache.open({ cacheDir: dir, cacheBytes: 2 * S, spaceWaitMs: 200 });
    try {
      expect(statSync(await cache.acquire(store, entries[5])).size).toBe(entries[5].bytes);
      expect(existsSync(stale)).toBe(false);
      expect(readdirSync(path.join(dir, 'pins'))).toEqual([`${entries[5].sha256}.${process.pid}`]);
    } finally {
      cache.close();
      await store.close();
    }
  });
});

describe('cache bounds checked at open', () => {
  it('refuses a cacheBytes below what the shuffle keeps in flight, with the number needed', () => {
    const shardBytes = [10, 40, 20, 30, 50, 5];
    const shardSamples = [9, 9, 9, 9, 9, 6];
    const need = (o: Partial<Parameters<typeof cacheBytesNeeded>[0]>) => cacheBytesNeeded({ shuffle: 'block', shardBytes, shardSamples, blockShards: 2, step: 1, prefetch: 1, ...o }).bytes;
    // Windows of 2 shards (>= 15 samples): a few samples in flight touch one window, plus one fetched ahead.
    expect(need({})).toBe(50 + 40 + 30 + 20);
    // 4 batches of 8 in flight span 1 + ceil(32 / 15) = 4 windows of 2: every shard.
    expect(need({ step: 8, prefetch: 4 })).toBe(155);
    expect(need({ shuffle: 'none' })).toBe(90);
    expect(need({ shuffle: 'none', step: 10, prefetch: 2 })).toBe(150); // 20 samples in flight over shards of >= 6: 1 + 4 shards
    expect(need({ shuffle: 'global', step: 8, prefetch: 4 })).toBe(0);
    const n = cacheBytesNeeded({ shuffle: 'block', shardBytes, shardSamples, blockShards: 2, step: 1, prefetch: 1 });
    expect(() => checkCacheBytes(139, n)).toThrow('cacheBytes 139 is smaller than the 140 bytes block shuffle (blockShards 2) needs in flight (4 shards: 2 windows pinned at once with prefetch 1 x 1 samples): raise cacheBytes to at least 140');
    expect(() => checkCacheBytes(140, n)).not.toThrow();
  });

  it('refuses a dataset folder as its cacheDir, and a nonsense bound', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'shard-cache-'));
    try {
      writeFileSync(path.join(dir, 'manifest.json'), '{}');
      expect(() => ShardCache.open({ cacheDir: dir, cacheBytes: MiB })).toThrow(/holds a dataset \(manifest\.json\): give the cache a folder of its own/);
      expect(() => ShardCache.open({ cacheDir: path.join(dir, 'c'), cacheBytes: 0 })).toThrow(/cacheBytes must be an integer > 0/);
      expect(readdirSync(dir)).toEqual(['manifest.json']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
