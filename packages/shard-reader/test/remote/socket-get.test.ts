// The plain-socket GET of whole downloads: bytes as sent, chunks that share one buffer, answers it leaves to
// fetch (redirect, chunked, 4xx), a slow server, a connection cut short; and the native pump that takes a
// body's rest into a file and its hash (pumpTo). Against a node:http server that can answer all of those
// (nginx and RGW are exercised by the remote tests, whose downloads go through the pump).
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPumpAddon } from '../../src/io/addon.js';
import { TimeoutError } from '../../src/remote/errors.js';
import type { PumpTarget } from '../../src/remote/object-store.js';
import { HttpStore } from '../../src/remote/http-store.js';
import { socketGet } from '../../src/remote/socket-get.js';
import { isRetryable } from '../../src/remote/retry.js';

const blob = randomBytes(5 * 1024 * 1024 + 333);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
let server: http.Server;
let base: string;
const seen: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push(`${req.url} ${req.headers.range ?? ''}`.trim());
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const from = m ? Number(m[1]) : 0;
    const body = blob.subarray(from);
    if (req.url === '/whole.bin') {
      res.writeHead(m ? 206 : 200, { 'content-length': body.length, ...(m ? { 'content-range': `bytes ${from}-${blob.length - 1}/${blob.length}` } : {}) });
      res.end(body);
    } else if (req.url === '/chunked.bin') {
      res.writeHead(200, { 'transfer-encoding': 'chunked' });
      res.end(blob);
    } else if (req.url === '/moved.bin') {
      res.writeHead(302, { location: '/whole.bin', 'content-length': 0 });
      res.end();
    } else if (req.url === '/slow.bin') {
      // 256 KiB in 16 KiB pieces 40 ms apart: never a full chunk within a 250 ms timeout.
      const part = blob.subarray(0, 256 << 10);
      res.writeHead(200, { 'content-length': part.length });
      let at = 0;
      const tick = () => {
        res.write(part.subarray(at, (at += 16 << 10)));
        if (at < part.length) setTimeout(tick, 40);
        else res.end();
      };
      tick();
    } else if (req.url === '/stall.bin') {
      // 1 MiB, then nothing while the connection stays open.
      res.writeHead(200, { 'content-length': blob.length });
      res.write(blob.subarray(0, 1 << 20));
      setTimeout(() => res.socket?.destroy(), 3000);
    } else if (req.url === '/long.bin') {
      // Announces 600 KiB, then sends 100 bytes more with the rest of them, after the head has been read.
      const n = 600 << 10;
      req.socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${n}\r\n\r\n`);
      setTimeout(() => req.socket.end(blob.subarray(0, n + 100)), 100);
    } else if (req.url === '/short.bin') {
      res.writeHead(200, { 'content-length': blob.length });
      res.write(blob.subarray(0, 1_500_000), () => res.socket?.destroy());
    } else {
      res.writeHead(404, { 'content-length': 9 });
      res.end('not here\n');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** Reads a reused-buffer body the way a download does: each chunk used up (here: copied) before the next. */
async function drain(chunks: AsyncIterable<Uint8Array>): Promise<{ bytes: Buffer; sizes: number[]; buffers: Set<ArrayBufferLike> }> {
  const parts: Buffer[] = [];
  const sizes: number[] = [];
  const buffers = new Set<ArrayBufferLike>();
  for await (const c of chunks) {
    parts.push(Buffer.from(c));
    sizes.push(c.length);
    buffers.add(c.buffer);
  }
  return { bytes: Buffer.concat(parts), sizes, buffers };
}

describe('socketGet', () => {
  it('hands over the exact bytes in chunks of at most 640 KiB that share three buffers, and resumes from an offset', async () => {
    const body = (await socketGet(`${base}whole.bin`, {}, 5000))!;
    expect(body.reusesChunks).toBe(true);
    expect(body.length).toBe(blob.length);
    const got = await drain(body.chunks);
    expect(sha(got.bytes)).toBe(sha(blob));
    expect(Math.max(...got.sizes)).toBeLessThanOrEqual((512 << 10) + (128 << 10));
    expect(got.buffers.size).toBeLessThanOrEqual(3);
    // A slow consumer: reading goes on into the spare buffers meanwhile, and must never land in the bytes it
    // holds (each chunk is compared after the wait) or in ones queued for it.
    const slow = (await socketGet(`${base}whole.bin`, {}, 5000))!;
    const used = new Set<ArrayBufferLike>();
    let at = 0;
    for await (const c of slow.chunks) {
      await new Promise((r) => setTimeout(r, 15));
      expect(Buffer.from(c).equals(blob.subarray(at, at + c.length))).toBe(true);
      at += c.length;
      used.add(c.buffer);
    }
    expect(at).toBe(blob.length);
    expect(used.size).toBe(3);
    const from = 4_000_001;
    const rest = (await socketGet(`${base}whole.bin`, { range: `bytes=${from}-` }, 5000))!;
    expect(rest.status).toBe(206);
    expect((await drain(rest.chunks)).bytes.equals(blob.subarray(from))).toBe(true);
  });

  it('leaves redirects, chunked bodies and 4xx answers to fetch; HttpStore.openWhole then answers them as before', async () => {
    for (const name of ['chunked.bin', 'moved.bin', 'missing.bin']) expect(await socketGet(`${base}${name}`, {}, 5000)).toBeUndefined();
    const store = new HttpStore(base, { timeoutMs: 5000 });
    try {
      const moved = await store.openWhole('moved.bin');
      expect(moved.reusesChunks).toBeFalsy();
      expect(sha((await drain(moved.chunks)).bytes)).toBe(sha(blob));
      expect(seen.slice(-2)).toEqual(['/moved.bin', '/whole.bin']);
      // A download needs the size up front: a chunked answer is refused, by fetch's path as before.
      await expect(store.openWhole('chunked.bin')).rejects.toThrow(/no Content-Length/);
      await expect(store.openWhole('missing.bin')).rejects.toThrow(/HTTP 404/);
      const plain = await store.openWhole('whole.bin', 1000);
      expect(plain.reusesChunks).toBe(true);
      expect(plain.total).toBe(blob.length);
      expect((await drain(plain.chunks)).bytes.equals(blob.subarray(1000))).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('hands over what a slow server sent without waiting for a full chunk, so the idle timeout does not fire', async () => {
    const store = new HttpStore(base, { timeoutMs: 250 });
    try {
      const got = await drain((await store.openWhole('slow.bin')).chunks);
      expect(got.bytes.equals(blob.subarray(0, 256 << 10))).toBe(true);
      expect(got.sizes.length).toBeGreaterThan(1);
    } finally {
      await store.close();
    }
  });

  it('a connection cut short hands over the bytes it got, then fails with a retryable error', async () => {
    const body = (await socketGet(`${base}short.bin`, {}, 5000))!;
    let got = 0;
    const err = await (async () => {
      for await (const c of body.chunks) {
        expect(Buffer.from(c).equals(blob.subarray(got, got + c.length))).toBe(true);
        got += c.length;
      }
    })().catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/connection closed after \d+ of \d+ bytes/);
    expect(isRetryable(err)).toBe(true);
    expect(got).toBe(1_500_000);
  });
});

/** A download sink as the download threads have it: bytes hashed with the addon's SHA-256 and written in order. */
function fileTarget(dir: string) {
  const addon = loadPumpAddon();
  expect(addon, 'the native addon (with the download pump) is built').toBeDefined();
  const fd = openSync(path.join(dir, `t-${Math.random()}`), 'w+');
  const state = addon!.sha256New();
  let at = 0;
  let advanced = 0;
  const target: PumpTarget = {
    push: (c) => {
      addon!.sha256Update(state, c);
      at += writeSync(fd, c, 0, c.length, at);
    },
    begin: () => ({ fd, at, state }),
    advance: (n) => {
      at += n;
      advanced += n;
    },
  };
  return {
    target,
    get at() {
      return at;
    },
    get pumped() {
      return advanced;
    },
    bytes: () => readFileSync(`/proc/self/fd/${fd}`),
    hex: () => addon!.sha256Hex(state),
    close: () => closeSync(fd),
  };
}

describe('pumpTo: a plain socket body received, written and hashed by a native thread', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pump-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the exact bytes into the file and the hash, from the start and resumed from an offset', async () => {
    const t = fileTarget(dir);
    const body = (await socketGet(`${base}whole.bin`, {}, 5000))!;
    expect(body.pumpTo).toBeTypeOf('function');
    await body.pumpTo!(t.target, () => false);
    expect(t.at).toBe(blob.length);
    expect(t.pumped).toBeGreaterThan(4 << 20); // nearly all of it went through the pump, not through JavaScript
    expect(t.bytes().equals(blob)).toBe(true);
    expect(t.hex()).toBe(sha(blob));
    t.close();
    // Resumed: the rest of the object after bytes already written and hashed.
    const r = fileTarget(dir);
    r.target.push(blob.subarray(0, 4_000_001));
    const rest = (await socketGet(`${base}whole.bin`, { range: 'bytes=4000001-' }, 5000))!;
    await rest.pumpTo!(r.target, () => false);
    expect(r.bytes().equals(blob)).toBe(true);
    expect(r.hex()).toBe(sha(blob));
    r.close();
  });

  it('a slow server is waited for; a stalled one is a retryable timeout with the bytes so far kept', async () => {
    const slow = fileTarget(dir);
    await (await socketGet(`${base}slow.bin`, {}, 250))!.pumpTo!(slow.target, () => false);
    expect(slow.bytes().equals(blob.subarray(0, 256 << 10))).toBe(true);
    slow.close();
    const t = fileTarget(dir);
    const started = Date.now();
    const err = await (await socketGet(`${base}stall.bin`, {}, 300))!.pumpTo!(t.target, () => false).catch((e: Error) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(isRetryable(err)).toBe(true);
    expect(Date.now() - started).toBeLessThan(2500);
    expect(t.at).toBe(1 << 20);
    expect(t.bytes().equals(blob.subarray(0, 1 << 20))).toBe(true);
    t.close();
  });

  it('a connection cut short keeps what it got and fails retryably; a longer body than announced is refused', async () => {
    const t = fileTarget(dir);
    const err = await (await socketGet(`${base}short.bin`, {}, 5000))!.pumpTo!(t.target, () => false).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/connection closed after 1500000 of \d+ bytes/);
    expect(isRetryable(err)).toBe(true);
    expect(t.at).toBe(1_500_000);
    expect(t.bytes().equals(blob.subarray(0, 1_500_000))).toBe(true);
    t.close();
    const l = fileTarget(dir);
    const long = await (await socketGet(`${base}long.bin`, {}, 5000))!.pumpTo!(l.target, () => false).catch((e: Error) => e);
    expect((long as Error).message).toMatch(/longer than its 614400 announced bytes/);
    expect(l.at).toBeLessThanOrEqual(600 << 10);
    l.close();
  });

  it("a failed write is the write's error, worded as Node words it, and not retried", async () => {
    const addon = loadPumpAddon()!;
    const file = path.join(dir, 'read-only');
    writeFileSync(file, '');
    const fd = openSync(file, 'r'); // pwrite on it fails with EBADF
    const state = addon.sha256New();
    const target: PumpTarget = { push: (c) => addon.sha256Update(state, c), begin: () => ({ fd, at: 0, state }), advance: () => {} };
    const err = await (await socketGet(`${base}whole.bin`, {}, 5000))!.pumpTo!(target, () => false).catch((e: Error) => e);
    closeSync(fd);
    expect((err as Error).message).toBe('writing the download: EBADF: bad file descriptor');
    expect((err as NodeJS.ErrnoException).code).toBe('EBADF');
    expect(isRetryable(err)).toBe(false);
  });

  it('stops soon after the consumer says so, and the connection is let go of', async () => {
    const t = fileTarget(dir);
    const body = (await socketGet(`${base}slow.bin`, {}, 5000))!;
    const started = Date.now();
    let stop = false;
    setTimeout(() => (stop = true), 100);
    await body.pumpTo!(t.target, () => stop);
    expect(Date.now() - started).toBeLessThan(400); // the whole body takes 640 ms to arrive
    expect(t.at).toBeLessThan(256 << 10);
    expect(t.bytes().equals(blob.subarray(0, t.at))).toBe(true);
    t.close();
  });

  it('a held body read as chunks instead reads on in JavaScript; TLS and SHARD_READER_NO_PUMP=1 bodies have no pump', async () => {
    const body = (await socketGet(`${base}whole.bin`, {}, 5000))!;
    expect(body.pumpTo).toBeTypeOf('function');
    expect(sha((await drain(body.chunks)).bytes)).toBe(sha(blob));
    expect(body.pumpTo).toBeUndefined();
    process.env.SHARD_READER_NO_PUMP = '1';
    try {
      const plain = (await socketGet(`${base}whole.bin`, {}, 5000))!;
      expect(plain.pumpTo).toBeUndefined();
      expect(sha((await drain(plain.chunks)).bytes)).toBe(sha(blob));
    } finally {
      delete process.env.SHARD_READER_NO_PUMP;
    }
  });
});
