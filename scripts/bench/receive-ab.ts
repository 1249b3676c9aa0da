// Client CPU and wall time of receiving the remote bench's shards from nginx on one thread, by receive method: fetch (undici), node:http, and a plain socket reading into one reused buffer (net `onread`); each bare, + SHA-256, + writing to a file.
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startNginx } from '../../test/helpers/servers.js';

const dir = path.resolve(process.argv[2] ?? '.bench-data/shards-remote-full');
const files = readdirSync(dir).filter((f) => f.endsWith('.bin') || f.endsWith('.shard')).sort();
const bytes = files.reduce((n, f) => n + statSync(path.join(dir, f)).size, 0);
const nginx = await startNginx(path.dirname(dir));
const base = `${nginx.endpoint}/${path.basename(dir)}/`;
const u = new URL(base);
const work = mkdtempSync(path.join(os.tmpdir(), 'rab-'));
type Sink = (c: Uint8Array) => void;
const viaFetch = async (f: string, sink: Sink) => {
  const r = await fetch(base + f);
  for await (const c of r.body as unknown as AsyncIterable<Uint8Array>) sink(c);
};
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
const viaHttp = (f: string, sink: Sink) =>
  new Promise<void>((resolve, reject) => {
    http.get(base + f, { agent }, (res) => {
      res.on('data', sink);
      res.on('end', resolve);
      res.on('error', reject);
    }).on('error', reject);
  });
const BUF = Buffer.allocUnsafe(1 << 20);
const viaSocket = (f: string, sink: Sink) =>
  new Promise<void>((resolve, reject) => {
    let head = '';
    let left = -1;
    const s = net.connect({
      host: u.hostname,
      port: Number(u.port),
      onread: {
        buffer: BUF,
        callback: (n: number, buf: Uint8Array) => {
          let body = buf.subarray(0, n);
          if (left < 0) {
            head += Buffer.from(body).toString('latin1');
            const end = head.indexOf('\r\n\r\n');
            if (end < 0) return true;
            left = Number(/content-length: *(\d+)/i.exec(head.slice(0, end))![1]);
            body = body.subarray(body.length - (head.length - end - 4));
          }
          sink(body);
          left -= body.length;
          if (left === 0) {
            s.destroy();
            resolve();
          }
          return true;
        },
      },
    } as net.NetConnectOpts);
    s.on('error', reject);
    s.write(`GET ${u.pathname}${f} HTTP/1.1\r\nHost: ${u.host}\r\nConnection: close\r\n\r\n`);
  });
const methods = { fetch: viaFetch, http: viaHttp, socket: viaSocket };
async function run(name: keyof typeof methods, extra: 'bare' | 'sha' | 'sha+write') {
  const t = performance.now();
  const cpu = process.cpuUsage();
  let next = 0;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next < files.length) {
      const f = files[next++];
      const h = createHash('sha256');
      const fd = extra === 'sha+write' ? openSync(path.join(work, f), 'w') : -1;
      let at = 0;
      await methods[name](f, (c) => {
        if (extra !== 'bare') h.update(c);
        if (fd >= 0) at += writeSync(fd, c, 0, c.length, at);
      });
      if (fd >= 0) closeSync(fd);
    }
  }));
  const s = (performance.now() - t) / 1000;
  const c = process.cpuUsage(cpu);
  return { gbps: bytes / s / 1e9, cpu: (c.user + c.system) / 1e6 };
}
try {
  console.log(`${files.length} files, ${(bytes / 1e6).toFixed(0)} MB; CPU s of this process per run, GB/s`);
  for (let round = 0; round < 3; round++) {
    for (const extra of ['bare', 'sha', 'sha+write'] as const) {
      const parts: string[] = [];
      for (const m of Object.keys(methods) as (keyof typeof methods)[]) {
        const r = await run(m, extra);
        parts.push(`${m} ${r.cpu.toFixed(2)} s ${r.gbps.toFixed(2)} GB/s`);
      }
      console.log(`round ${round} ${extra.padEnd(9)}: ${parts.join(' | ')}`);
    }
  }
} finally {
  await nginx.stop();
  rmSync(work, { recursive: true, force: true });
}
