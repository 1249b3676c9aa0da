// Client CPU and wall time of receiving the remote bench's shards on one thread, by receive method; each bare, + SHA-256, + writing to a file.
// From nginx (default): fetch (undici), node:http, a plain socket reading into one reused buffer (net `onread`), and HttpStore.openWhole.
// From Ceph RGW (`--s3`): the AWS SDK's GetObject and S3Store.openWhole (presigned socket GET).
// From nginx also "c": receive_native.c (blocking reads of 256 KiB, SHA-NI, pwrite; 4 threads), what a native
// download path would cost; its digests are checked against the manifest's. Needs cc.
// node --conditions=source --import tsx scripts/bench/receive-ab.ts [shard dir] [--s3]   (RECEIVE_ONLY=store: one method)
// Over TLS: d=$(mktemp -u); bash scripts/servers/nginx-range.sh start $d .bench-data; . $d/env;
//   NODE_EXTRA_CA_CERTS=$HTTPS_CA RECEIVE_BASE=$HTTPS_ENDPOINT/shards-remote-full/ node ... receive-ab.ts; bash scripts/servers/nginx-range.sh stop $d
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { HttpStore, S3Store, s3ClientFor, type ObjectStore } from 'shard-reader/remote';
import { startNginx, startRgw } from '../../test/helpers/servers.js';
import { useRgwCredentials } from './remote-setup.js';
import { buildC } from './build-c.mjs';

const useS3 = process.argv.includes('--s3');
const dir = path.resolve(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? '.bench-data/shards-remote-full');
const files = readdirSync(dir).filter((f) => f.endsWith('.bin') || f.endsWith('.shard')).sort();
const bytes = files.reduce((n, f) => n + statSync(path.join(dir, f)).size, 0);
// RECEIVE_BASE: a server already running (e.g. nginx-range.sh's HTTPS_ENDPOINT, with NODE_EXTRA_CA_CERTS=its HTTPS_CA): fetch and the store only.
const given = process.env.RECEIVE_BASE;
const nginx = given ? { endpoint: '', stop: async () => {} } : useS3 ? await startRgw() : await startNginx(path.dirname(dir));
const base = given ?? `${nginx.endpoint}/${path.basename(dir)}/`;
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
const viaStore = (store: ObjectStore) => async (f: string, sink: Sink) => {
  for await (const c of (await store.openWhole!(f)).chunks) sink(c);
};
let methods: Record<string, (f: string, sink: Sink) => Promise<void>> = given ? { fetch: viaFetch, store: viaStore(new HttpStore(base)) } : { fetch: viaFetch, http: viaHttp, socket: viaSocket, store: viaStore(new HttpStore(base)) };
if (useS3) {
  const rgw = nginx as Awaited<ReturnType<typeof startRgw>>;
  useRgwCredentials(rgw);
  const client = s3ClientFor({ endpoint: rgw.endpoint, maxSockets: 8 });
  await client.send(new CreateBucketCommand({ Bucket: 'rab' }));
  for (const f of files) await client.send(new PutObjectCommand({ Bucket: 'rab', Key: f, Body: readFileSync(path.join(dir, f)) }));
  methods = {
    sdk: async (f, sink) => {
      const r = await client.send(new GetObjectCommand({ Bucket: 'rab', Key: f }));
      for await (const c of r.Body as AsyncIterable<Uint8Array>) sink(c);
    },
    store: viaStore(new S3Store('s3://rab/', { s3: { endpoint: rgw.endpoint } })),
  };
}
/** receive_native.c, built into .bench-data; undefined (and said) without a C compiler. */
function nativeReceiver(): string | undefined {
  try {
    return buildC('receive_native', { headers: ['sha_ni.h'], flags: ['-pthread'] });
  } catch (err) {
    console.log(`method "c" skipped: ${(err as Error).message}`);
    return undefined;
  }
}
const native = useS3 || given ? undefined : nativeReceiver();
const shaOf = new Map<string, string>((JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')).shards as { file: string; sha256: string }[]).map((e) => [e.file, e.sha256]));
function runNative(extra: 'bare' | 'sha' | 'sha+write') {
  const r = spawnSync(native!, [u.hostname, u.port, u.pathname, extra, work, '4', ...files], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`receive_native: ${r.stderr.trim()}`);
  const lines = r.stdout.trim().split('\n');
  for (const line of lines.slice(0, -1)) {
    const [hex, f] = line.split(' ');
    if (shaOf.get(f) !== hex) throw new Error(`receive_native: wrong SHA-256 for ${f}`);
  }
  const [, cpu, wall] = /cpu ([\d.]+) wall ([\d.]+)/.exec(lines[lines.length - 1])!.map(Number);
  return { gbps: bytes / wall / 1e9, cpu };
}
async function run(name: string, extra: 'bare' | 'sha' | 'sha+write') {
  if (name === 'c') return runNative(extra);
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
      for (const m of [...Object.keys(methods), ...(native ? ['c'] : [])].filter((k) => !process.env.RECEIVE_ONLY || k === process.env.RECEIVE_ONLY)) {
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
