// A TCP proxy on 127.0.0.1 that injects faults between a client and a real server: delays, resets,
// corrupted bytes, and the server going away. Faults are chosen per connection, in the order they open.
import net from 'node:net';

export type Fault =
  /** Hold every chunk from the server back this long. */
  | { delayMs: number }
  /** Pass this many response bytes, then reset the client's connection (RST). */
  | { resetAfter: number }
  /** Flip the byte at this offset of the response stream. */
  | { corruptAt: number };

export class FaultProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  /** Connections accepted so far. */
  connections = 0;
  /** Response bytes passed to clients. */
  bytesToClient = 0;
  /** Requests seen ("GET /path" and any Range header's value), in order. */
  readonly requests: string[] = [];
  /** Chooses the fault of connection n (0-based); undefined passes it through untouched. */
  plan: (n: number) => Fault | undefined = () => undefined;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  static async to(endpoint: string): Promise<FaultProxy> {
    const u = new URL(endpoint);
    const p = new FaultProxy(u.hostname, Number(u.port));
    await p.listen();
    return p;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts (or restarts, on the same port) accepting connections. */
  listen(): Promise<void> {
    const server = net.createServer((client) => this.handle(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        this.port = (server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }

  /** The server goes away: open connections are reset and new ones refused until listen() again. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.resetAndDestroy();
    this.sockets.clear();
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  private handle(client: net.Socket): void {
    const fault = this.plan(this.connections++);
    const upstream = net.connect(this.targetPort, this.targetHost);
    this.sockets.add(client);
    this.sockets.add(upstream);
    let sent = 0;
    let partial = '';
    client.on('data', (chunk: Buffer) => {
      // Request lines, for tests that count downloads (bodies of uploads could fake one; tests upload directly).
      const lines = (partial + chunk.toString('latin1')).split('\r\n');
      partial = lines.pop()!.slice(-4096);
      for (const line of lines) {
        const m = /^(GET|HEAD|PUT|POST|DELETE) (\S+) HTTP\/1\.1$/.exec(line);
        if (m) this.requests.push(`${m[1]} ${m[2]}`);
        const r = /^range: *(.*)$/i.exec(line);
        if (r && this.requests.length) this.requests[this.requests.length - 1] += ` ${r[1]}`;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      let out = chunk;
      if (fault && 'corruptAt' in fault && fault.corruptAt >= sent && fault.corruptAt < sent + chunk.length) {
        out = Buffer.from(chunk);
        out[fault.corruptAt - sent] ^= 0xff;
      }
      if (fault && 'resetAfter' in fault && sent + out.length >= fault.resetAfter) {
        const keep = fault.resetAfter - sent;
        if (keep > 0) client.write(out.subarray(0, keep));
        this.bytesToClient += Math.max(0, keep);
        sent += out.length;
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      sent += out.length;
      this.bytesToClient += out.length;
      if (fault && 'delayMs' in fault) {
        upstream.pause();
        setTimeout(() => {
          if (!client.destroyed) client.write(out);
          upstream.resume();
        }, fault.delayMs);
      } else client.write(out);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  }
}
