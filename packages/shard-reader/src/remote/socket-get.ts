// A GET over a plain HTTP/1.1 socket whose body is read straight into one reused buffer (net's `onread`).
// Whole-shard downloads use it: fetch costs about five times its CPU per byte, and on a machine whose
// cores the server shares, that CPU is what limits a cold epoch (scripts/bench/receive-ab.ts).
import net from 'node:net';
import { BodyError, StatusError, TimeoutError } from './errors.js';
import type { ObjectBody } from './object-store.js';

/** Bytes gathered before the consumer is handed a chunk (fewer at the end, or from a slow server). */
const CHUNK = 1 << 20;
/** One socket read at most. */
const READ = 256 << 10;
/** Bytes in hand are handed over after this long without a full chunk. */
const PARTIAL_MS = 100;
/** A response head longer than this is refused (nginx's own default limit is 8 KiB per header line). */
const MAX_HEAD = 64 << 10;

/** Whether `socketGet` can serve `url`: plain http only (TLS is left to fetch and the SDK). */
export function socketGetServes(url: string): boolean {
  return url.startsWith('http://');
}

/**
 * GET `url` with `headers` and answer its body, or undefined when the answer is one this reader leaves to a
 * full HTTP client (a redirect, a 4xx, no Content-Length, a chunked or encoded body): the caller then asks
 * again that way. Other statuses than 200/206 (5xx, 1xx) throw a StatusError. The body's chunks share one buffer: each must be
 * used up before the next is asked for (`reusesChunks`). No bytes for `timeoutMs` is a TimeoutError.
 */
export function socketGet(url: string, headers: Record<string, string>, timeoutMs: number): Promise<SocketBody | undefined> {
  const u = new URL(url);
  if (u.protocol !== 'http:') throw new RangeError(`socketGet serves http:// only (got ${url})`);
  return new Promise((resolve, reject) => {
    const body = new SocketBody();
    let head = Buffer.alloc(0);
    let answered = false;
    const answer = (value: SocketBody | undefined, err?: Error) => {
      answered = true;
      if (err) reject(err);
      else resolve(value);
    };
    const fail = (err: Error) => {
      socket.destroy();
      if (!answered) answer(undefined, err);
      else body.failed(err);
    };
    const socket = net.connect({
      host: u.hostname.replace(/^\[|\]$/g, ''),
      port: Number(u.port || 80),
      onread: {
        buffer: Buffer.allocUnsafe(READ),
        callback: (n: number, buf: Uint8Array) => {
          if (answered) return body.received(buf.subarray(0, n));
          head = Buffer.concat([head, buf.subarray(0, n)]);
          const end = head.indexOf('\r\n\r\n');
          if (end < 0) {
            if (head.length > MAX_HEAD) fail(new BodyError(`response head longer than ${MAX_HEAD} bytes`));
            return true;
          }
          let parsed;
          try {
            parsed = parseHead(head.toString('latin1', 0, end));
          } catch (err) {
            fail(err as Error);
            return false;
          }
          if (parsed.status !== 200 && parsed.status !== 206) {
            socket.destroy();
            // Redirects, and 4xx answers whose wording a full client reads from the body, are left to one.
            answer(undefined, parsed.status >= 300 && parsed.status < 500 ? undefined : new StatusError(parsed.status, parsed.reason));
            return false;
          }
          const length = Number(parsed.headers.get('content-length') ?? NaN);
          const coded = parsed.headers.has('transfer-encoding') || (parsed.headers.get('content-encoding') ?? 'identity') !== 'identity';
          if (!Number.isSafeInteger(length) || coded) {
            socket.destroy();
            answer(undefined);
            return false;
          }
          body.start(socket, length, parsed.status, parsed.headers);
          answer(body);
          return body.received(head.subarray(end + 4));
        },
      },
    } as net.NetConnectOpts);
    socket.setNoDelay(true);
    socket.setTimeout(timeoutMs, () => fail(new TimeoutError(`no data for ${timeoutMs} ms`)));
    socket.on('error', fail);
    socket.on('close', () => {
      if (!answered) answer(undefined, Object.assign(new BodyError('connection closed before the response head'), { code: 'ECONNRESET' }));
      else body.closed();
    });
    const lines = Object.entries({ host: u.host, ...headers, connection: 'close' }).map(([k, v]) => `${k}: ${v}\r\n`);
    socket.write(`GET ${u.pathname}${u.search} HTTP/1.1\r\n${lines.join('')}\r\n`);
  });
}

function parseHead(text: string): { status: number; reason: string; headers: Map<string, string> } {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(lines[0]);
  if (!m) throw new BodyError(`not an HTTP/1.x response: ${JSON.stringify(lines[0].slice(0, 80))}`);
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { status: Number(m[1]), reason: m[2], headers };
}

/**
 * The body of one socketGet. Reads are copied into one of two buffers; a buffer of CHUNK bytes (or the
 * last bytes) is handed over, and reading goes on into the other one, which the consumer gave back by
 * asking for the next chunk. Both full: the socket pauses until then.
 */
export class SocketBody implements ObjectBody {
  readonly reusesChunks = true;
  length = 0;
  total = 0;
  status = 0;
  headers = new Map<string, string>();
  private socket: net.Socket | undefined;
  private readonly bufs = [Buffer.allocUnsafe(CHUNK + READ), Buffer.allocUnsafe(CHUNK + READ)];
  private cur = 0;
  private fill = 0;
  /** Bytes handed over so far. */
  private handed = 0;
  private done = false;
  private error: Error | undefined;
  private wake: (() => void) | undefined;

  start(socket: net.Socket, length: number, status: number, headers: Map<string, string>): void {
    Object.assign(this, { socket, length, total: length, status, headers });
    if (length === 0) this.done = true;
  }

  /** Takes one read's bytes; answers whether to read on (false pauses the socket until a hand-over). */
  received(bytes: Uint8Array): boolean {
    if (this.done || this.error) return false;
    if (this.handed + this.fill + bytes.length > this.length) {
      this.failed(new BodyError(`response is longer than its ${this.length} announced bytes`));
      return false;
    }
    this.bufs[this.cur].set(bytes, this.fill);
    this.fill += bytes.length;
    if (this.handed + this.fill === this.length) {
      this.done = true;
      this.socket?.destroy();
    }
    if (this.fill >= CHUNK || this.done) {
      this.notify();
      return false;
    }
    return true;
  }

  failed(err: Error): void {
    this.error ??= err;
    this.socket?.destroy();
    this.notify();
  }

  closed(): void {
    if (!this.done) this.failed(Object.assign(new BodyError(`connection closed after ${this.handed + this.fill} of ${this.length} bytes`), { code: 'ECONNRESET' }));
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  get chunks(): AsyncIterable<Uint8Array> {
    return this.iterate();
  }

  private async *iterate(): AsyncGenerator<Uint8Array> {
    try {
      for (;;) {
        // Bytes received before a failure are good: handed over first, a resumed download starts after them.
        if (this.fill > 0 && (this.fill >= CHUNK || this.done || this.waited || this.error)) {
          const chunk = this.bufs[this.cur].subarray(0, this.fill);
          this.handed += this.fill;
          this.cur ^= 1;
          this.fill = 0;
          this.waited = false;
          if (!this.done && !this.error) this.socket?.resume();
          yield chunk;
          continue;
        }
        if (this.error) throw this.error;
        if (this.done) return;
        await this.nextRead();
      }
    } finally {
      this.socket?.destroy();
    }
  }

  /** Set when a wait with bytes in hand ran out: they are handed over as they are (a slow server). */
  private waited = false;

  private nextRead(): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
      const check = () => {
        if (this.fill === 0) {
          timer = setTimeout(check, PARTIAL_MS);
          return;
        }
        this.waited = true;
        this.notify();
      };
      timer = setTimeout(check, PARTIAL_MS);
    });
  }

  cancel(): void {
    this.done = true;
    this.socket?.destroy();
    this.notify();
  }
}
