// Worker thread: whole downloads fetched, hashed (SHA-256) and written to their part files here, off the main thread.
import { createHash, type Hash } from 'node:crypto';
import { closeSync, ftruncateSync, openSync, writeSync, writevSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { loadPumpAddon } from '../io/addon.js';
import { downloadObject, type DownloadSink, type DownloadTarget } from './download.js';
import type { ObjectStore, PumpTarget, StoreSpec } from './object-store.js';

type Message =
  | { type: 'block'; id: number; fd: number; at: number; block: Uint8Array }
  | { type: 'digest'; id: number }
  | { type: 'reset'; id: number }
  | { type: 'download'; id: number; spec: StoreSpec; entry: DownloadTarget; part: string; digestAttempts: number }
  | { type: 'cancel'; id: number }
  | { type: 'prepare'; id: number; spec?: StoreSpec };

const hashes = new Map<number, Hash>();
/** Downloads running here: id -> stopped. */
const running = new Map<number, { stopped: boolean }>();
/** One store per spec, as the main thread has one per dataset: its connections are reused. */
const stores = new Map<string, Promise<ObjectStore>>();

// The AWS SDK's Node-version notice comes once per thread that makes a client: the main thread's S3 client has
// told the user already, so the download threads do not print it again (other warnings pass).
const emitWarning = process.emitWarning.bind(process) as (warning: string | Error, ...rest: unknown[]) => void;
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  if (String(typeof warning === 'string' ? warning : warning?.message).startsWith('NodeVersionSupportWarning')) return;
  emitWarning(warning, ...rest);
}) as typeof process.emitWarning;

/** Enough bytes gathered to make one write call worth it. */
const WRITE_AT = 1 << 20;

/** The native addon's pump and SHA-256, when built: a plain socket's body is then received natively. */
const pumpAddon = loadPumpAddon();

/** SHA-256 in the addon's state (which a pump goes on hashing into), else node:crypto's. */
class Sha256 {
  private readonly state = pumpAddon?.sha256New();
  private readonly hash = this.state ? undefined : createHash('sha256');
  update(chunk: Uint8Array): void {
    if (this.state) pumpAddon!.sha256Update(this.state, chunk);
    else this.hash!.update(chunk);
  }
  hex(): string {
    return this.state ? pumpAddon!.sha256Hex(this.state) : this.hash!.digest('hex');
  }
  /** The addon's state, for a pump. */
  get native(): ArrayBuffer | undefined {
    return this.state;
  }
}

/** Hashes each chunk as it arrives and writes them a MiB at a time (one writev, no copy). */
class FileSink implements DownloadSink {
  offset = 0;
  private hash = new Sha256();
  private queue: Uint8Array[] = [];
  private queued = 0;
  /** File position of the queue's first byte. */
  private at = 0;
  /** Where a body's pump writes and hashes (with the addon's SHA-256 only). */
  readonly pump: PumpTarget | undefined;

  constructor(private readonly fd: number) {
    this.pump = pumpAddon && {
      push: (chunk) => this.push(chunk),
      begin: () => {
        this.flush();
        return { fd: this.fd, at: this.at, state: this.hash.native! };
      },
      advance: (bytes) => {
        this.at += bytes;
        this.offset += bytes;
      },
    };
  }

  push(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.queue.push(chunk);
    this.queued += chunk.length;
    this.offset += chunk.length;
    if (this.queued >= WRITE_AT) this.flush();
  }

  flush(): void {
    let bufs = this.queue;
    this.queue = [];
    this.queued = 0;
    try {
      while (bufs.length > 0) {
        let n = writevSync(this.fd, bufs, this.at);
        this.at += n;
        while (bufs.length > 0 && n >= bufs[0].length) n -= bufs.shift()!.length;
        if (n > 0) bufs = [bufs[0].subarray(n), ...bufs.slice(1)];
      }
    } catch (err) {
      throw Object.assign(new Error(`writing the download: ${(err as Error).message}`), { code: (err as NodeJS.ErrnoException).code });
    }
  }

  digest(): string {
    this.flush();
    return this.hash.hex();
  }

  restart(): void {
    this.queue = [];
    this.queued = 0;
    this.offset = 0;
    this.at = 0;
    this.hash = new Sha256();
    ftruncateSync(this.fd, 0);
  }
}

function storeFor(spec: StoreSpec): Promise<ObjectStore> {
  const key = JSON.stringify(spec);
  let s = stores.get(key);
  if (!s) {
    // The AWS SDK is loaded only for an s3:// dataset.
    s = spec.kind === 's3' ? import('./s3-store.js').then((m) => new m.S3Store(spec.url, spec.options)) : import('./http-store.js').then((m) => new m.HttpStore(spec.url, spec.options));
    stores.set(key, s);
  }
  return s;
}

async function download(msg: Extract<Message, { type: 'download' }>): Promise<void> {
  const state = running.get(msg.id)!;
  let fd = -1;
  try {
    const store = await storeFor(msg.spec);
    fd = openSync(msg.part, 'r+');
    await downloadObject(store, msg.entry, new FileSink(fd), msg.digestAttempts, () => state.stopped);
    parentPort!.postMessage({ type: 'downloaded', id: msg.id });
  } catch (err) {
    const e = err as Error & { url?: string; reason?: string; code?: string };
    parentPort!.postMessage({ type: 'downloaded', id: msg.id, error: { name: e.name, message: e.message, url: e.url, reason: e.reason, code: e.code } });
  } finally {
    running.delete(msg.id);
    if (fd >= 0) closeSync(fd);
  }
}

parentPort!.on('message', (msg: Message) => {
  if (msg.type === 'prepare') {
    const ready = msg.spec ? storeFor(msg.spec).then((store) => store.warmUp?.()) : Promise.resolve();
    void ready.then(
      () => parentPort!.postMessage({ type: 'prepared', id: msg.id }),
      (err: Error) => parentPort!.postMessage({ type: 'prepared', id: msg.id, error: { name: err.name, message: err.message } }),
    );
    return;
  }
  if (msg.type === 'download') {
    running.set(msg.id, { stopped: false });
    void download(msg);
    return;
  }
  if (msg.type === 'cancel') {
    const r = running.get(msg.id);
    if (r) r.stopped = true;
    return;
  }
  if (msg.type === 'reset') {
    hashes.delete(msg.id);
    return;
  }
  if (msg.type === 'digest') {
    const h = hashes.get(msg.id) ?? createHash('sha256');
    hashes.delete(msg.id);
    parentPort!.postMessage({ type: 'digest', id: msg.id, hex: h.digest('hex') });
    return;
  }
  try {
    let h = hashes.get(msg.id);
    if (!h) hashes.set(msg.id, (h = createHash('sha256')));
    h.update(msg.block);
    for (let done = 0; done < msg.block.length; ) done += writeSync(msg.fd, msg.block, done, msg.block.length - done, msg.at + done);
    parentPort!.postMessage({ type: 'written', id: msg.id });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    parentPort!.postMessage({ type: 'written', id: msg.id, error: { message: e.message, code: e.code } });
  }
});
