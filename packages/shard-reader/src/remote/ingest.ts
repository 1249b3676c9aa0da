// Downloads off the main thread: fetched, hashed and written in worker threads (downloadInThread), or, for a
// store those threads cannot rebuild, received here and hashed and written in one of them (Ingest).
//
// SHA-256 on the main thread cost about as much as receiving the bytes (~0.7 GB/s against ~0.6 GB/s from a
// local server), and one awaited small write per 64 KiB chunk added a thread-pool round trip each: a cold
// cache filled at under half the server's rate. Receiving (undici or the AWS SDK's stream) and copying each
// chunk into 1 MiB blocks still kept the main thread busy for every byte, next to assembling batches, so whole
// downloads now run in those threads: the main thread sends the request and hears when the file is complete.
import os from 'node:os';
import { SHARE_ENV, type Worker } from 'node:worker_threads';
import { startWorker, workerEntry } from '../worker-entry.js';
import type { DownloadTarget } from './download.js';
import { RemoteError } from './errors.js';
import type { StoreSpec } from './object-store.js';

const BLOCK = 1 << 20;
/** Blocks of one download sent and not yet written: bounds its memory at a few MiB. */
const IN_FLIGHT = 4;

type ThreadError = { name: string; message: string; url?: string; reason?: string; code?: string };
type Reply = { type: 'written'; id: number; error?: { message: string; code?: string } } | { type: 'digest'; id: number; hex: string } | { type: 'downloaded' | 'prepared'; id: number; error?: ThreadError };

/**
 * Download threads. One thread receiving, hashing and writing every download at once became the cold epoch's
 * bottleneck (~1.5x the CPU per byte of receiving alone), so downloads are spread over two.
 */
const THREADS = Math.max(1, Math.min(2, os.availableParallelism()));

interface Slot {
  worker: Worker;
  /** Downloads (and prepares) running there. */
  downloads: Set<number>;
}

const slots: (Slot | undefined)[] = new Array(THREADS).fill(undefined);
let nextId = 0;
const jobs = new Map<number, Ingest>();
const downloads = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();

function slot(i: number): Slot {
  const have = slots[i];
  if (have) return have;
  const { file, options } = workerEntry(import.meta.url, 'ingest-worker');
  // The thread's S3 client finds credentials and endpoints in the environment, as this thread's does (even set later).
  const w = startWorker(file, { ...options, env: SHARE_ENV });
  const s: Slot = { worker: w, downloads: new Set() };
  w.on('message', (msg: Reply) => {
    if (msg.type !== 'downloaded' && msg.type !== 'prepared') return jobs.get(msg.id)?.reply(msg);
    const d = downloads.get(msg.id);
    downloads.delete(msg.id);
    s.downloads.delete(msg.id);
    idle(s);
    if (!d) return;
    if (!msg.error) return d.resolve();
    const e = msg.error;
    d.reject(e.name === 'RemoteError' && e.url !== undefined && e.reason !== undefined ? new RemoteError(e.url, e.reason) : Object.assign(new Error(e.message), { name: e.name, code: e.code }));
  });
  const fail = (err: Error) => {
    if (slots[i] === s) slots[i] = undefined;
    if (i === 0) for (const j of jobs.values()) j.fail(err);
    for (const id of s.downloads) {
      downloads.get(id)?.reject(err);
      downloads.delete(id);
    }
    s.downloads.clear();
  };
  w.on('error', (err) => fail(new Error(`download worker failed: ${err.message}`)));
  w.on('exit', (code) => fail(new Error(`download worker exited with code ${code}`)));
  w.unref();
  return (slots[i] = s);
}

/** The thread Ingest (blocks received on this thread) uses. */
function thread(): Worker {
  return slot(0).worker;
}

/** Nothing running in a thread: it no longer keeps the process alive. */
function idle(s: Slot | undefined): void {
  if (s && s.downloads.size === 0 && (s !== slots[0] || jobs.size === 0)) s.worker.unref();
}

function post(s: Slot, id: number, msg: object): Promise<void> {
  const done = new Promise<void>((resolve, reject) => downloads.set(id, { resolve, reject }));
  s.downloads.add(id);
  s.worker.ref();
  s.worker.postMessage(msg);
  return done;
}

/**
 * Starts the download threads and has each load the store's client (the AWS SDK for s3://), so the first
 * downloads of an epoch wait for neither. Resolves once they are ready; a failure shows at the first download.
 */
export async function prepareDownloads(spec: StoreSpec | undefined): Promise<void> {
  await Promise.all(
    slots.map((_, i) => {
      const id = nextId++;
      return post(slot(i), id, { type: 'prepare', id, spec }).catch(() => {});
    }),
  );
}

/**
 * Downloads `entry` into the part file `part` in the least busy download thread (same retries, resume and
 * SHA-256 check as downloadObject). Resolves when the file holds the verified object; cancel() stops it at its
 * next chunk.
 */
export function downloadInThread(spec: StoreSpec, entry: DownloadTarget, part: string, digestAttempts: number): { done: Promise<void>; cancel(): void } {
  const id = nextId++;
  let best = 0;
  for (let i = 1; i < THREADS; i++) if ((slots[i]?.downloads.size ?? 0) < (slots[best]?.downloads.size ?? 0)) best = i;
  const s = slot(best);
  const done = post(s, id, { type: 'download', id, spec, entry: { key: entry.key, bytes: entry.bytes, sha256: entry.sha256 }, part, digestAttempts });
  return { done, cancel: () => slots[best] === s && s.worker.postMessage({ type: 'cancel', id }) };
}

/** One download into the file open as `fd`: push chunks in order, then digest(). */
export class Ingest {
  private readonly id = nextId++;
  private block = new Uint8Array(BLOCK);
  private filled = 0;
  private sent = 0;
  private acked = 0;
  private error: Error | undefined;
  private wake: (() => void) | undefined;
  private digestOf: ((hex: string) => void) | undefined;
  /** Bytes pushed: the file will hold bytes 0 .. offset once flush() resolves. */
  offset = 0;

  constructor(private readonly fd: number) {}

  /** Copies the chunk in; waits only while IN_FLIGHT blocks are still being written. */
  async push(chunk: Uint8Array): Promise<void> {
    for (let at = 0; at < chunk.length; ) {
      const n = Math.min(chunk.length - at, BLOCK - this.filled);
      this.block.set(chunk.subarray(at, at + n), this.filled);
      this.filled += n;
      this.offset += n;
      at += n;
      if (this.filled === BLOCK) await this.send();
    }
  }

  /** Every byte pushed is hashed and written on return (a failed write is thrown). */
  async flush(): Promise<void> {
    if (this.filled > 0) await this.send();
    await this.until(() => this.acked === this.sent);
  }

  /** The SHA-256 (hex) of every byte pushed since the start or the last restart(). */
  async digest(): Promise<string> {
    await this.flush();
    const hex = new Promise<string>((resolve) => (this.digestOf = resolve));
    this.post({ type: 'digest', id: this.id });
    return Promise.race([hex, this.until(() => false).then(() => '')]);
  }

  /** Forgets the hash and the bytes pushed (a download starting over from byte 0). */
  async restart(): Promise<void> {
    await this.until(() => this.acked === this.sent).catch(() => {});
    this.filled = 0;
    this.offset = 0;
    this.error = undefined;
    this.post({ type: 'reset', id: this.id });
  }

  /** Done with it: the thread forgets its state. */
  async close(): Promise<void> {
    await this.until(() => this.acked === this.sent).catch(() => {});
    if (slots[0]) this.post({ type: 'reset', id: this.id });
    jobs.delete(this.id);
    idle(slots[0]);
  }

  /** @internal */
  reply(msg: Reply): void {
    if (msg.type === 'digest') {
      this.digestOf?.(msg.hex);
      this.digestOf = undefined;
      return;
    }
    this.acked++;
    if (msg.error) this.error ??= Object.assign(new Error(`writing the download: ${msg.error.message}`), { code: msg.error.code });
    this.wake?.();
  }

  /** @internal */
  fail(err: Error): void {
    this.error ??= err;
    this.acked = this.sent;
    this.wake?.();
    this.digestOf = undefined;
  }

  private async send(): Promise<void> {
    await this.until(() => this.sent - this.acked < IN_FLIGHT);
    const block = this.filled === BLOCK ? this.block : this.block.slice(0, this.filled);
    const at = this.offset - this.filled;
    this.sent++;
    this.post({ type: 'block', id: this.id, fd: this.fd, at, block }, [block.buffer as ArrayBuffer]);
    this.block = new Uint8Array(BLOCK);
    this.filled = 0;
  }

  private post(msg: object, transfer: ArrayBuffer[] = []): void {
    const w = thread();
    jobs.set(this.id, this);
    w.ref();
    w.postMessage(msg, transfer);
  }

  private async until(ok: () => boolean): Promise<void> {
    for (;;) {
      if (this.error) throw this.error;
      if (ok()) return;
      await new Promise<void>((r) => (this.wake = r));
    }
  }
}
