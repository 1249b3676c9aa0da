// The object-store abstraction remote datasets read through: whole objects, byte ranges, head, list.
import { BodyError, RemoteError, TimeoutError } from './errors.js';
import { checkRetryOptions, withRetry, type RetryOptions } from './retry.js';
import type { S3Options } from './s3-options.js';

export interface ObjectInfo {
  /** Key relative to the store's base URL. */
  key: string;
  size: number;
}

/** Bytes of one response. The body must be read to the end or cancelled (a socket is held until then). */
export interface ObjectBody {
  /** Bytes this body holds. */
  length: number;
  /** Size of the whole object. */
  total: number;
  chunks: AsyncIterable<Uint8Array>;
  cancel(): void;
  /** Set when chunks share one buffer: each must be used up (written, hashed) before the next is asked for. */
  reusesChunks?: boolean;
  /**
   * Instead of `chunks`: the whole body into `target`'s file and hash, the rest after what is in hand read
   * in a native thread (socket-get.ts). Resolves when every byte is written and hashed, or once `stopped()`;
   * rejects as reading chunks would (the bytes written so far are in `target`). Only some bodies have it.
   */
  pumpTo?(target: PumpTarget, stopped: () => boolean): Promise<void>;
}

/** A download sink that a body can pump into: its file, file position and native SHA-256 state. */
export interface PumpTarget {
  /** Hashes and writes (queues) bytes received in JavaScript, as DownloadSink.push. */
  push(chunk: Uint8Array): void;
  /** Writes what is queued, then says where the pump goes on: the file's descriptor, position and hash state. */
  begin(): { fd: number; at: number; state: ArrayBuffer };
  /** The pump wrote and hashed `bytes` more from `at`. */
  advance(bytes: number): void;
}

export interface StoreOptions {
  /** No response headers, or no body bytes, for this long counts as a timeout and is retried (default 30 s). */
  timeoutMs?: number;
  retry?: RetryOptions;
}

/**
 * How to build the same store in another thread (the download thread fetches whole objects itself, so the
 * main thread never touches their bytes): plain data only. Stores that cannot be rebuilt have none.
 */
export interface StoreSpec {
  kind: 'http' | 's3';
  url: string;
  options: StoreOptions & { s3?: S3Options };
}

export interface ObjectStore {
  /** Base URL of the dataset, ending in '/': s3://bucket/prefix/ or https://host/path/. */
  readonly url: string;
  /** Set when another thread can open the same store (see StoreSpec). */
  readonly spec?: StoreSpec;
  /** How this store retries; callers that resume downloads themselves follow the same policy. */
  readonly retryPolicy: Required<RetryOptions>;
  /** Full URL of an object, as errors name it. */
  urlOf(key: string): string;
  /** One attempt (no retry): bytes from `offset`, `length` of them or to the end. Consume or cancel the body. */
  open(key: string, offset?: number, length?: number): Promise<ObjectBody>;
  /**
   * One attempt at the object from `offset` to its end, for a consumer that is done with each chunk before
   * it asks for the next (a whole download): the store may then hand over chunks that share one buffer.
   */
  openWhole?(key: string, offset?: number): Promise<ObjectBody>;
  /** Readies the client for whole downloads without a request (a download thread's start-up); never throws. */
  warmUp?(): Promise<void>;
  /** The whole object, retried. */
  get(key: string): Promise<Uint8Array>;
  /** Exactly `length` bytes at `offset`, retried. */
  getRange(key: string, offset: number, length: number): Promise<Uint8Array>;
  /** Size of an object; undefined when there is none. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Objects whose key starts with `prefix` (relative to the base URL), sorted by key. */
  list(prefix?: string): Promise<ObjectInfo[]>;
  close(): Promise<void>;
}

/** Bytes of `key` from `offset` to the end for a consumer done with each chunk before the next: openWhole when the store has it. */
export function openToEnd(store: ObjectStore, key: string, offset: number): Promise<ObjectBody> {
  return store.openWhole ? store.openWhole(key, offset) : store.open(key, offset);
}

/** `options` as a StoreSpec's, or undefined when they are not plain data (a copy must behave the same). */
export function specOptions(options: StoreSpec['options']): StoreSpec['options'] | undefined {
  try {
    const copy = structuredClone(options);
    return JSON.stringify(copy) === JSON.stringify(options) ? copy : undefined;
  } catch {
    return undefined;
  }
}

/** Retries, timeouts and body checks shared by every store; subclasses make single attempts. */
export abstract class BaseStore implements ObjectStore {
  protected readonly timeoutMs: number;
  readonly retryPolicy: Required<RetryOptions>;

  constructor(
    readonly url: string,
    options: StoreOptions,
  ) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    if (!Number.isFinite(this.timeoutMs) || this.timeoutMs <= 0) throw new RangeError(`timeoutMs must be a number > 0 (got ${this.timeoutMs})`);
    this.retryPolicy = checkRetryOptions(options.retry);
  }

  abstract urlOf(key: string): string;
  protected abstract openOnce(key: string, offset: number, length: number | undefined): Promise<ObjectBody>;
  protected abstract headOnce(key: string): Promise<ObjectInfo | undefined>;
  protected abstract listOnce(prefix: string): Promise<ObjectInfo[]>;
  abstract close(): Promise<void>;

  async open(key: string, offset = 0, length?: number): Promise<ObjectBody> {
    checkRange(offset, length);
    const body = await withTimeout(this.openOnce(key, offset, length), this.timeoutMs, `no response in ${this.timeoutMs} ms`, (late) => late.cancel());
    return { ...body, chunks: idleGuard(body, this.timeoutMs) };
  }

  async openWhole(key: string, offset = 0): Promise<ObjectBody> {
    checkRange(offset, undefined);
    const once = this.wholeOnce(key, offset);
    const body = once && (await withTimeout(once, this.timeoutMs, `no response in ${this.timeoutMs} ms`, (late) => late?.cancel()));
    if (!body) return this.open(key, offset);
    const pumpTo = body.pumpTo?.bind(body);
    return { length: body.length, total: body.total, reusesChunks: body.reusesChunks, chunks: idleGuard(body, this.timeoutMs), cancel: () => body.cancel(), ...(pumpTo ? { pumpTo } : {}) };
  }

  /**
   * A store's own way to make openWhole's request, or undefined to make it with open() (the default, and
   * the answer for any store whose open() a subclass may have changed). Its promise may also answer
   * undefined: open() is then asked.
   */
  protected wholeOnce(_key: string, _offset: number): Promise<ObjectBody | undefined> | undefined {
    return undefined;
  }

  get(key: string): Promise<Uint8Array> {
    return withRetry(this.urlOf(key), this.retryPolicy, async () => collect(await this.open(key)));
  }

  getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    checkRange(offset, length);
    if (length === 0) return Promise.resolve(new Uint8Array(0));
    return withRetry(this.urlOf(key), this.retryPolicy, async () => {
      const body = await this.open(key, offset, length);
      if (body.length !== length) {
        body.cancel();
        throw offset + length > body.total
          ? new RemoteError(this.urlOf(key), `range ${offset}+${length} is past the end of the ${body.total}-byte object`)
          : new BodyError(`asked for ${length} bytes at ${offset}, the response holds ${body.length}`);
      }
      return collect(body);
    });
  }

  head(key: string): Promise<ObjectInfo | undefined> {
    return withRetry(this.urlOf(key), this.retryPolicy, () => withTimeout(this.headOnce(key), this.timeoutMs, `no response in ${this.timeoutMs} ms`));
  }

  list(prefix = ''): Promise<ObjectInfo[]> {
    return withRetry(this.urlOf(prefix), this.retryPolicy, async () => (await this.listOnce(prefix)).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)));
  }
}

function checkRange(offset: number, length: number | undefined): void {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`offset must be an integer >= 0 (got ${offset})`);
  if (length !== undefined && (!Number.isSafeInteger(length) || length < 0)) throw new RangeError(`length must be an integer >= 0 (got ${length})`);
}

/** Reads a body to its end into one buffer, failing on a short or long body. */
export async function collect(body: ObjectBody): Promise<Uint8Array> {
  const out = new Uint8Array(body.length);
  let at = 0;
  try {
    for await (const chunk of body.chunks) {
      if (at + chunk.length > out.length) throw new BodyError(`response is longer than its ${body.length} announced bytes`);
      out.set(chunk, at);
      at += chunk.length;
    }
  } catch (err) {
    body.cancel();
    throw err;
  }
  if (at !== out.length) throw new BodyError(`response ended after ${at} of ${body.length} bytes`);
  return out;
}

/** Rejects with a TimeoutError when `promise` takes longer than `ms`; a late result is handed to `onLate`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string, onLate?: (value: T) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      reject(new TimeoutError(message));
    }, ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        if (done) onLate?.(v);
        else resolve(v);
      },
      (err) => {
        clearTimeout(timer);
        if (!done) reject(err);
      },
    );
  });
}

/** The body's chunks, cancelling the body and throwing TimeoutError when no chunk arrives for `ms`. */
async function* idleGuard(body: ObjectBody, ms: number): AsyncGenerator<Uint8Array> {
  const it = body.chunks[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      const r = await withTimeout(it.next(), ms, `no data for ${ms} ms`);
      if (r.done) {
        finished = true;
        return;
      }
      yield r.value;
    }
  } finally {
    // Stopped early (error, timeout, or the consumer broke off): release the connection.
    if (!finished) body.cancel();
  }
}
