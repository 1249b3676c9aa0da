// A GET over a plain HTTP/1.1 socket whose body is read straight into reused buffers (net's `onread`).
// Whole-shard downloads use it: fetch costs three to six times its CPU per byte, and on a machine whose
// cores the server shares, that CPU is what limits a cold epoch (scripts/bench/receive-ab.ts).
import net from 'node:net';
import tls from 'node:tls';
import { loadPumpAddon, type PumpAddon, type PumpHandle, type PumpResult } from '../io/addon.js';
import { BodyError, StatusError, TimeoutError } from './errors.js';
import type { ObjectBody, PumpTarget } from './object-store.js';

/** Bytes gathered before the consumer is handed a chunk (fewer at the end, or from a slow server). */
const CHUNK = 512 << 10;
/** One socket read at most. */
const READ = 128 << 10;
/** Bytes in hand are handed over at the next read after this long without a full chunk. */
const PARTIAL_MS = 100;
/** A response head longer than this is refused (nginx's own default limit is 8 KiB per header line). */
const MAX_HEAD = 64 << 10;
/** How often a pump looks at its consumer's stopped(). */
const STOP_POLL_MS = 100;

/**
 * GET `url` with `headers` and answer its body, or undefined when the answer is one this reader leaves to a
 * full HTTP client (a redirect, a 4xx, no Content-Length, a chunked or encoded body): the caller then asks
 * again that way. Other statuses than 200/206 (5xx, 1xx) throw a StatusError. The body's chunks share
 * three buffers: each must be used up before the next is asked for (`reusesChunks`). No bytes for
 * `timeoutMs` is a TimeoutError. https is TLS with Node's defaults: its CA store and the host name checked.
 */
export function socketGet(url: string, headers: Record<string, string>, timeoutMs: number): Promise<SocketBody | undefined> {
  const u = new URL(url);
  const secure = u.protocol === 'https:';
  if (!secure && u.protocol !== 'http:') throw new RangeError(`socketGet serves http:// and https:// (got ${url})`);
  return new Promise((resolve, reject) => {
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
    // A plain socket's body can go to the native pump (native/pump.cc); TLS is decrypted by Node, so not that.
    const body = new SocketBody(timeoutMs, secure ? undefined : loadPumpAddon());
    const host = u.hostname.replace(/^\[|\]$/g, '');
    // TLS as fetch and the SDK have it: Node's CA store (and NODE_EXTRA_CA_CERTS), the host name checked.
    const connect = secure ? (o: net.NetConnectOpts) => tls.connect({ ...o, servername: net.isIP(host) ? undefined : host } as tls.ConnectionOptions) : net.connect;
    const socket: net.Socket = connect({
      host,
      port: Number(u.port || (secure ? 443 : 80)),
      onread: {
        // Node asks for the next read's buffer after every callback: the kernel writes straight into ours.
        buffer: () => body.nextRead(),
        callback: (n: number) => {
          if (answered) return body.received(n);
          const head = body.head(n);
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
          answer(body);
          return body.start(socket, length, parsed.status, parsed.headers, end + 4);
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
 * The body of one socketGet. The socket reads into the current buffer; one of CHUNK bytes (or the last
 * bytes) is sealed and queued, and reading goes on into a spare one. The consumer holds one buffer at a time
 * and gives it back by asking for the next chunk. Three buffers: while one is held and one queued, the third
 * takes reads; whenever no spare is left for the next seal, the socket pauses until one is. Node is only
 * ever given a buffer no one else holds, so no read lands in bytes the consumer has or will be handed.
 *
 * With the native addon, a plain socket stops reading once the head is in and the body is held: the
 * consumer either asks for chunks (reading then goes on here) or calls pumpTo, which hands what is in hand
 * to the target and has a native thread receive, write and hash the rest (no JavaScript per read).
 */
export class SocketBody implements ObjectBody {
  readonly reusesChunks = true;
  length = 0;
  total = 0;
  status = 0;
  headers = new Map<string, string>();
  private socket: net.Socket | undefined;
  private readonly bufs = [0, 1, 2].map(() => Buffer.allocUnsafe(CHUNK + READ));
  private cur = 0;
  private fill = 0;
  /** Sealed buffers waiting for the consumer, in order. */
  private readonly ready: { index: number; bytes: number }[] = [];
  /** The buffer the consumer holds, or -1. */
  private lent = -1;
  /** Body bytes received so far. */
  private got = 0;
  private paused = false;
  private done = false;
  private sealSoon = false;
  private error: Error | undefined;
  private wake: (() => void) | undefined;
  /** Reading stopped after the head, waiting for the consumer to choose chunks or pumpTo. */
  private held = false;
  private pump: PumpHandle | undefined;
  pumpTo?: (target: PumpTarget, stopped: () => boolean) => Promise<void>;

  constructor(
    private readonly timeoutMs = 30_000,
    private readonly addon?: PumpAddon,
  ) {}

  /** Where the next read goes: the rest of the current buffer. */
  nextRead(): Buffer {
    return this.bufs[this.cur].subarray(this.fill, this.fill + READ);
  }

  /** Before the body: `n` more bytes of the response head (and maybe the body's first bytes) read. */
  head(n: number): Buffer {
    this.fill += n;
    return this.bufs[this.cur].subarray(0, this.fill);
  }

  /** The head ended at `bodyAt`: what follows is the body's first bytes. Answers whether to read on. */
  start(socket: net.Socket, length: number, status: number, headers: Map<string, string>, bodyAt: number): boolean {
    Object.assign(this, { socket, length, total: length, status, headers });
    const rest = this.fill - bodyAt;
    this.bufs[this.cur].copyWithin(0, bodyAt, this.fill);
    this.fill = 0;
    const more = this.received(rest);
    const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
    if (!more || !this.addon || typeof fd !== 'number' || fd < 0) return more;
    this.held = true;
    this.pumpTo = (target, stopped) => this.runPump(fd, target, stopped);
    return false;
  }

  /** `n` body bytes were read into the current buffer; answers whether to read on (false pauses). */
  received(n: number): boolean {
    if (this.done || this.error) return false;
    this.fill += n;
    this.got += n;
    if (this.got > this.length) {
      this.failed(new BodyError(`response is longer than its ${this.length} announced bytes`));
      return false;
    }
    if (this.got === this.length) {
      this.done = true;
      this.socket?.destroy();
    }
    if (this.fill >= CHUNK || this.done || (this.sealSoon && this.fill > 0)) this.seal();
    return !this.paused && !this.done;
  }

  /** Queues the current buffer's bytes for the consumer and moves reading to a free buffer. */
  private seal(): void {
    if (this.fill > 0) {
      this.ready.push({ index: this.cur, bytes: this.fill });
      this.fill = 0;
      this.sealSoon = false;
      // Reading only goes on while a spare buffer exists (see resume), so there is one to move to; after
      // a failure there may be none, and no more reads either.
      this.cur = this.spare() ?? this.cur;
      // No spare left: the next seal would have nowhere to go, so wait for the consumer first.
      if (this.spare() === undefined) this.paused = true;
    }
    this.notify();
  }

  /** A buffer that is neither read into, nor queued, nor held by the consumer. */
  private spare(): number | undefined {
    for (let i = 0; i < this.bufs.length; i++) {
      if (i !== this.cur && i !== this.lent && !this.ready.some((r) => r.index === i)) return i;
    }
    return undefined;
  }

  /** Reads on once a seal would have a spare buffer to move to again. */
  private resume(): void {
    if (this.held) {
      // Chunks were asked for: reading goes on here.
      this.held = false;
      this.pumpTo = undefined;
      this.paused = true;
    }
    if (this.paused && !this.done && !this.error && this.spare() !== undefined) {
      this.paused = false;
      this.socket?.resume();
    }
  }

  failed(err: Error): void {
    this.error ??= err;
    this.socket?.destroy();
    this.notify();
  }

  closed(): void {
    if (!this.done) this.failed(Object.assign(new BodyError(`connection closed after ${this.got} of ${this.length} bytes`), { code: 'ECONNRESET' }));
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
        // Asking again means the consumer is done with the buffer it held.
        this.lent = -1;
        // After a failure the socket reads no more: bytes received before it are good and handed over
        // first, so a resumed download starts after them.
        if (this.error && this.fill > 0) this.seal();
        const next = this.ready.shift();
        if (next) this.lent = next.index;
        this.resume();
        if (next) {
          yield this.bufs[next.index].subarray(0, next.bytes);
          continue;
        }
        if (this.error) throw this.error;
        if (this.done) return;
        await this.arrival();
      }
    } finally {
      this.socket?.destroy();
    }
  }

  /** Waits for a sealed buffer; after PARTIAL_MS the next read seals whatever is in hand (a slow server). */
  private arrival(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => (this.sealSoon = true), PARTIAL_MS);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  cancel(): void {
    this.done = true;
    if (this.pump) this.addon!.pumpCancel(this.pump);
    this.socket?.destroy();
    this.notify();
  }

  /** pumpTo: what is in hand goes through the target, then a native thread takes the socket's rest. */
  private async runPump(fd: number, target: PumpTarget, stopped: () => boolean): Promise<void> {
    if (!this.held) throw new Error('the body is being read as chunks');
    this.held = false;
    this.pumpTo = undefined;
    for (const r of this.ready.splice(0)) target.push(this.bufs[r.index].subarray(0, r.bytes));
    if (this.fill > 0) target.push(this.bufs[this.cur].subarray(0, this.fill));
    this.fill = 0;
    if (this.error) throw this.error;
    if (this.done) return;
    let begun;
    try {
      begun = target.begin();
    } catch (err) {
      this.cancel();
      throw err;
    }
    const { fd: file, at, state } = begun;
    const left = this.length - this.got;
    // The pump waits for data itself (timeoutMs); the socket's own idle timer would fire meanwhile.
    this.socket?.setTimeout(0);
    let poll: NodeJS.Timeout | undefined;
    let r: PumpResult;
    try {
      r = await new Promise<PumpResult>((resolve) => {
        this.pump = this.addon!.pump(fd, file, at, left, state, this.timeoutMs, resolve);
        poll = setInterval(() => stopped() && this.addon!.pumpCancel(this.pump!), STOP_POLL_MS);
      });
    } catch (err) {
      // The pump could not start (no descriptors left): the connection is let go of here.
      this.cancel();
      throw err;
    } finally {
      clearInterval(poll);
      this.pump = undefined;
    }
    target.advance(r.bytes);
    this.got += r.bytes;
    // The socket has been read past what JavaScript knows of: it is done with, whatever the end.
    this.done = true;
    this.socket?.destroy();
    if (r.end === 'done' || r.end === 'cancelled') return;
    if (r.end === 'timeout') throw new TimeoutError(`no data for ${this.timeoutMs} ms`);
    if (r.end === 'long') throw new BodyError(`response is longer than its ${this.length} announced bytes`);
    // Worded as Node words a failed fs or socket call ("ENOSPC: no space left on device").
    const why = `${r.code}: ${(r.message ?? '').toLowerCase()}`;
    if (r.end === 'write') throw Object.assign(new Error(`writing the download: ${why}`), { code: r.code });
    if (r.end === 'read') throw Object.assign(new BodyError(`reading the response: ${why}`), { code: r.code });
    throw Object.assign(new BodyError(`connection closed after ${this.got} of ${this.length} bytes`), { code: 'ECONNRESET' });
  }
}
