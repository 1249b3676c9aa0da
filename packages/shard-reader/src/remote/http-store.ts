// ObjectStore over plain HTTP(S): GET with Range requests (any static server, e.g. nginx), HEAD, index pages.
import { BodyError, StatusError } from './errors.js';
import { socketGet } from './socket-get.js';
import { BaseStore, specOptions, type ObjectBody, type ObjectInfo, type StoreOptions, type StoreSpec } from './object-store.js';

export class HttpStore extends BaseStore {
  private readonly controllers = new Set<AbortController>();

  constructor(url: string, options: StoreOptions = {}) {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new RangeError(`not an http(s):// URL: ${url}`);
    if (!u.pathname.endsWith('/')) u.pathname += '/';
    u.search = '';
    u.hash = '';
    super(u.href, options);
    // A subclass may change how requests are made: only this class can be rebuilt elsewhere from its options.
    const copy = new.target === HttpStore ? specOptions(options) : undefined;
    this.spec = copy && { kind: 'http', url: this.url, options: copy };
  }

  readonly spec?: StoreSpec;

  /** Keys are paths below the base URL; each segment is percent-encoded. */
  urlOf(key: string): string {
    return this.url + key.split('/').map(encodeURIComponent).join('/');
  }

  protected async openOnce(key: string, offset: number, length: number | undefined): Promise<ObjectBody> {
    const wantsRange = offset > 0 || length !== undefined;
    if (length === 0) {
      const info = await this.headOnce(key);
      if (!info) throw new StatusError(404, 'Not Found');
      return { length: 0, total: info.size, chunks: (async function* () {})(), cancel() {} };
    }
    const headers: Record<string, string> = { 'accept-encoding': 'identity' };
    if (wantsRange) headers.range = `bytes=${offset}-${length === undefined ? '' : offset + length - 1}`;
    const { res, controller } = await this.fetch(this.urlOf(key), 'GET', headers);
    const cancel = () => {
      controller.abort();
      this.controllers.delete(controller);
    };
    if (res.status !== 200 && res.status !== 206) {
      cancel();
      throw new StatusError(res.status, res.statusText);
    }
    let total: number;
    try {
      total = totalOf(res.status, (h) => res.headers.get(h) ?? undefined, offset, length, headers.range);
    } catch (err) {
      cancel();
      throw err;
    }
    const contentLength = Number(res.headers.get('content-length') ?? NaN);
    if (!Number.isSafeInteger(contentLength) || !res.body) {
      cancel();
      throw new BodyError('response has no Content-Length');
    }
    const reader = res.body;
    return {
      length: contentLength,
      total: Number.isSafeInteger(total) ? total : offset + contentLength,
      chunks: (async function* (store: HttpStore) {
        try {
          // Node's web streams are async iterable (the DOM lib typings, which some builds add, say otherwise).
          for await (const chunk of reader as unknown as AsyncIterable<Uint8Array>) yield chunk;
        } finally {
          store.controllers.delete(controller);
        }
      })(this),
      cancel,
    };
  }

  /**
   * A whole download over a plain socket (socket-get.ts) when this is a store of this class; fetch for
   * subclasses (they may change how requests are made) and for the answers socketGet leaves to it.
   */
  protected override wholeOnce(key: string, offset: number): Promise<ObjectBody | undefined> | undefined {
    if (!this.spec) return undefined; // the constructor took http(s) URLs only: socketGet serves both
    const headers: Record<string, string> = { 'accept-encoding': 'identity' };
    if (offset > 0) headers.range = `bytes=${offset}-`;
    return plainWhole(this.urlOf(key), headers, offset, this.timeoutMs);
  }

  protected async headOnce(key: string): Promise<ObjectInfo | undefined> {
    const { res, controller } = await this.fetch(this.urlOf(key), 'HEAD', { 'accept-encoding': 'identity' });
    this.controllers.delete(controller);
    if (res.status === 404) return undefined;
    if (!res.ok) throw new StatusError(res.status, res.statusText);
    const size = Number(res.headers.get('content-length') ?? NaN);
    if (!Number.isSafeInteger(size)) throw new BodyError('HEAD answer has no Content-Length');
    return { key, size };
  }

  /**
   * Plain HTTP has no listing: this reads directory index pages (nginx autoindex, Apache, python's
   * http.server), following links into sub-folders below the prefix, then HEADs each file for its size.
   */
  protected async listOnce(prefix: string): Promise<ObjectInfo[]> {
    const slash = prefix.lastIndexOf('/');
    const folders = [prefix.slice(0, slash + 1)];
    const keys: string[] = [];
    while (folders.length) {
      const folder = folders.shift()!;
      const { res, controller } = await this.fetch(this.urlOf(folder).replace(/\/?$/, '/'), 'GET', {});
      this.controllers.delete(controller);
      if (!res.ok) {
        await res.body?.cancel();
        if (res.status === 404) continue;
        throw new StatusError(res.status, res.statusText);
      }
      const base = new URL(res.url);
      for (const m of (await res.text()).matchAll(/href\s*=\s*"([^"]+)"|href\s*=\s*'([^']+)'/gi)) {
        const link = new URL(m[1] ?? m[2], base);
        link.search = '';
        link.hash = '';
        if (link.origin !== base.origin || !link.pathname.startsWith(base.pathname) || link.pathname === base.pathname) continue;
        const key = folder + decodeURIComponent(link.pathname.slice(base.pathname.length));
        if (!key.startsWith(prefix) && !prefix.startsWith(key)) continue;
        if (key.endsWith('/')) {
          if (!folders.includes(key) && key.split('/').length <= 16) folders.push(key);
        } else if (!keys.includes(key)) keys.push(key);
      }
    }
    const out: ObjectInfo[] = [];
    for (const key of keys) {
      const info = await this.headOnce(key);
      if (info) out.push(info);
    }
    return out;
  }

  private async fetch(url: string, method: string, headers: Record<string, string>): Promise<{ res: Response; controller: AbortController }> {
    const controller = new AbortController();
    this.controllers.add(controller);
    try {
      return { res: await fetch(url, { method, headers, signal: controller.signal, redirect: 'follow' }), controller };
    } catch (err) {
      this.controllers.delete(controller);
      throw err;
    }
  }

  /** Aborts every request still open. */
  async close(): Promise<void> {
    for (const c of this.controllers) c.abort();
    this.controllers.clear();
  }
}

/**
 * The object's size from a 200/206 answer to a request from `offset` (`length` bytes, or to the end), whose
 * `range` header is given when one was sent; NaN when the answer does not say. Throws when the answer is not
 * the bytes asked for: a wrong Content-Range, or a whole object in answer to a Range request.
 */
function totalOf(status: number, header: (name: string) => string | undefined, offset: number, length: number | undefined, range: string | undefined): number {
  const contentLength = Number(header('content-length') ?? NaN);
  if (status === 206) {
    const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header('content-range') ?? '');
    if (!m || Number(m[1]) !== offset) throw new BodyError(`answer to Range ${range} has Content-Range ${header('content-range')}`);
    return m[3] === '*' ? NaN : Number(m[3]);
  }
  // A 200 to a Range request is the whole object: reading on would be wrong or wasteful.
  if (offset > 0 || (length !== undefined && length < contentLength)) throw new StatusError(501, `server ignores Range requests (answered 200 to ${range})`);
  return contentLength;
}

/**
 * GET over a plain socket of `url` from `offset` to the end (headers as sent, range included), checked as
 * openOnce checks fetch's answers; undefined for an answer to ask again with fetch (a redirect, a 4xx, whose
 * message fetch words best, or a chunked or encoded body). Shared by the S3 store's presigned downloads.
 */
export async function plainWhole(url: string, headers: Record<string, string>, offset: number, timeoutMs: number): Promise<ObjectBody | undefined> {
  const body = await socketGet(url, headers, timeoutMs);
  if (!body) return undefined;
  try {
    const total = totalOf(body.status, (h) => body.headers.get(h), offset, undefined, headers.range);
    body.total = Number.isSafeInteger(total) ? total : offset + body.length;
    return body;
  } catch (err) {
    body.cancel();
    throw err;
  }
}
