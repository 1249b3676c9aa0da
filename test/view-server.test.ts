// `shard serve`'s HTTP surface without a browser: every endpoint, 400/403/404/405, no path escapes, read-only, verify.
import { copyFileSync, mkdirSync, openSync, readdirSync, readSync, rmSync, statSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { decode } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from 'shard-cli';
import { DATA_OFFSET } from 'shard-format';
import { openDataset, type Dataset } from 'shard-reader';
import { startViewServer, type ViewServer } from '../packages/shard-cli/src/view/server.js';
import { renderTile } from '../packages/shard-cli/src/view/tile.js';
import { centerWidthWindow, defaultWindow } from '../packages/shard-cli/src/view/window.js';
import { folderBytes } from './helpers/read-shards.js';
import { tempDir } from './helpers/tree.js';
import { writeSyntheticDataset } from './helpers/view-dataset.js';

const FIXTURE = path.join(import.meta.dirname, 'fixtures/real-mr');
let root = '';
let data = '';
let ds: Dataset;
let view: ViewServer;

async function shard(...args: string[]): Promise<number> {
  const o = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const e = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    return await main(args);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A request sent exactly as written: no client-side normalisation of the path (so `..` reaches the server). */
function request(url: string, rawPath: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: rawPath, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const get = (p: string, opts?: { method?: string; headers?: Record<string, string> }) => request(view.url, p, opts);
const json = async (p: string) => {
  const r = await get(p);
  expect(r.status, `${p}: ${r.body}`).toBe(200);
  return JSON.parse(r.body.toString());
};

/** Mtime and bytes of every file in the dataset folder: proof that serving wrote nothing. */
function snapshot(dir: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const [name, bytes] of folderBytes(dir)) m.set(name, `${statSync(path.join(dir, name)).mtimeMs}:${bytes.toString('base64')}`);
  return m;
}

async function verifyDone(v: ViewServer): Promise<{ state: string; ok: boolean; shards: { file: string; ok: boolean; problems: { record?: number; key?: string; message: string }[] }[] }> {
  const started = await request(v.url, '/api/verify', { method: 'POST' });
  expect(started.status).toBe(202);
  for (;;) {
    const s = JSON.parse((await request(v.url, '/api/verify')).body.toString());
    if (s.state === 'done' || s.state === 'failed') return s;
    await new Promise((r) => setTimeout(r, 50));
  }
}

let before: Map<string, string>;

beforeAll(async () => {
  root = tempDir('view-server-');
  const out = path.join(root, 'split');
  data = path.join(out, 'train');
  expect(await shard('build', FIXTURE, '--out', data, '--dtype', 'uint16', '--size', '64', '--shard-bytes', '128KiB', '-q')).toBe(0);
  // A split report beside the split folders, as `build --split` writes it.
  const counts = { groups: 5, samples: 51, positives: { epidural: 14 }, prevalence: { epidural: 14 / 51 } };
  writeFileSync(path.join(out, 'split.json'), JSON.stringify({ format: 'ct-shards-split', version: 1, seed: 1, groupBy: 'patient', stratify: false, ratios: { train: 1 }, labelNames: ['epidural'], total: counts, splits: { train: counts }, largestDeviation: null, groups: Object.fromEntries(['a', 'b', 'c', 'd', 'e'].map((g) => [g, { split: 'train', keys: [`${g}/1`] }])) }));
  before = snapshot(data);
  ds = await openDataset(data, { workers: 0 });
  view = await startViewServer(ds, { host: '127.0.0.1', port: 0 });
}, 120_000);

afterAll(async () => {
  await view?.close();
  await ds?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('shard serve HTTP', () => {
  it('serves the page, and nothing but its own files, whatever the path says', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(page.body.toString()).not.toMatch(/https?:\/\//); // no CDN
    for (const f of ['/app.js', '/viewer.js', '/window.js', '/style.css', '/favicon.svg']) expect((await get(f)).status, f).toBe(200);
    const escapes = [
      '/../manifest.json', '/..%2fmanifest.json', '/%2e%2e/%2e%2e/etc/passwd', '/..\\..\\etc\\passwd', '/web/../../package.json',
      '/app.js/../../../package.json', '/api/sample/../../../etc/passwd', '/api/sample/0/../../../../manifest.json', '//etc/passwd',
      '/manifest.json', '/shard-00000.bin', '/index.html', '/web/app.js', '/src/main.ts', '/package.json', '/api/sample/%00',
      '/api/sample/01', '/api/sample/-1', '/api/sample/1e3', '/api/sample/0x1', '/api/sample/0/raw/..', 'manifest.json', '*',
    ];
    for (const p of escapes) {
      const r = await get(p);
      expect([400, 404], `${p} -> ${r.status}`).toContain(r.status);
      expect(r.body.toString(), p).not.toMatch(/"checksum"|root:|"buildId"|"name": "shard-cli"/);
    }
    // Normalised paths that land on a page file get that file, never a file of the dataset or the package.
    const dotted = await get('/api/../app.js');
    expect(dotted.body.equals((await get('/app.js')).body)).toBe(true);
  });

  it('answers bad query parameters with 400, unknown things with 404, other methods with 405, other hosts with 403', async () => {
    const bad = [
      '/api/samples?page=99', '/api/samples?size=0', '/api/samples?size=501', '/api/samples?size=abc', '/api/samples?page=-1', '/api/samples?page=1.5',
      '/api/samples?pgae=1', '/api/samples?page=0&page=1', '/api/samples?patient=nobody', '/api/samples?label=nope', '/api/patients?size=0',
      '/api/sample/0/thumb.png?window=fog', '/api/sample/0/thumb.png?window=40,0', '/api/sample/0/thumb.png?size=9000', '/api/sample/0/image.png?size=1',
      '/api/summary?x=1', '/api/sheet.png?box=5', '/api/sheet.png?page=7', '/api/sheet.png?window=x', '/api/sample/0?verbose=1', '/app.js?v=1', '/?p=1',
    ];
    for (const p of bad) {
      const r = await get(p);
      expect(r.status, `${p}: ${r.body}`).toBe(400);
      expect(JSON.parse(r.body.toString()).error).toMatch(/\w/);
    }
    expect((await get('/api/sample/51')).status).toBe(404);
    expect((await get('/api/nothing')).status).toBe(404);
    for (const [method, p] of [['PUT', '/api/summary'], ['DELETE', '/api/sample/0'], ['POST', '/api/samples'], ['POST', '/'], ['PATCH', '/api/verify']]) {
      const r = await get(p, { method });
      expect(r.status, `${method} ${p}`).toBe(405);
    }
    expect((await get('/api/summary', { headers: { Host: 'attacker.example:80' } })).status).toBe(403);
    expect((await get('/api/summary', { headers: { Host: `localhost:${new URL(view.url).port}` } })).status).toBe(200);
    expect((await get('/api/summary', { method: 'HEAD' })).status).toBe(200);
  });

  it('summary, patients, pages and a sample with its neighbours and location', async () => {
    const s = await json('/api/summary');
    expect(s).toMatchObject({ samples: 51, shape: [64, 64, 1], dtype: 'uint16', patients: 5, buildId: ds.manifest.buildId });
    for (const n of s.labelNames) expect(s.cooccurrence[n][n]).toBe(s.positives[n]);
    // The split report without its group -> keys table, which the page does not show.
    expect(s.split).toMatchObject({ file: path.join('..', 'split.json'), thisSplit: 'train', report: { seed: 1, groupBy: 'patient', groups: 5, splits: { train: { samples: 51 } } } });
    const svg = await get('/api/charts/cooccurrence.svg');
    expect(svg.headers['content-type']).toMatch(/image\/svg\+xml/);
    const [a, b] = s.labelNames;
    expect(svg.body.toString()).toContain(`${a} &amp; ${b}: ${s.cooccurrence[a][b]}<`);

    const pats = await json('/api/patients?size=2&page=1');
    expect(pats).toMatchObject({ total: 5, pages: 3, items: [{ id: 'patient_M02', samples: 1 }, { id: 'patient_N01', samples: 12 }] });
    expect((await json('/api/patients?q=r0')).items.map((p: { id: string }) => p.id)).toEqual(['patient_R01']);

    const all: string[] = [];
    for (let page = 0; page < 6; page++) all.push(...(await json(`/api/samples?size=10&page=${page}`)).items.map((it: { key: string }) => it.key));
    expect(all).toEqual(ds.keys);
    const r01 = await json('/api/samples?patient=patient_R01&label=subdural&size=100');
    const j = ds.labelNames.indexOf('subdural');
    expect(r01.items.map((it: { index: number }) => it.index)).toEqual(ds.keys.map((k, i) => i).filter((i) => ds.keys[i].startsWith('patient_R01/') && ds.labels[i * 5 + j] > 0));

    const i = ds.keys.indexOf('patient_R01/slice_001');
    const one = await json(`/api/sample/${i}`);
    expect(one).toMatchObject({ key: 'patient_R01/slice_001', patient: 'patient_R01', slice: { position: 1, of: 22 }, prev: null, next: { key: 'patient_R01/slice_002' } });
    expect(one.location).toEqual({ shard: ds.manifest.shards[Math.floor(i / ds.manifest.recordsPerShard)].file, record: i % ds.manifest.recordsPerShard });
    expect(Object.values(one.labels)).toEqual([...ds.labels.subarray(i * 5, i * 5 + 5)]);
  });

  it('raw values, thumbnails and windowed images are the stored pixels', async () => {
    const i = ds.keys.indexOf('patient_N01/slice_004');
    const raw = await get(`/api/sample/${i}/raw`);
    expect(raw.headers['x-shape']).toBe('64,64,1');
    expect(raw.headers['x-dtype']).toBe('uint16');
    const stored = ds.image(i);
    expect(raw.body.equals(Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength))).toBe(true);
    for (const [q, win] of [['', defaultWindow('uint16', [stored])], ['?window=600,1200', centerWidthWindow(600, 1200)], ['?window=bone', centerWidthWindow(600, 2800)]] as const) {
      const png = decode((await get(`/api/sample/${i}/image.png${q}`)).body);
      expect([png.width, png.height, png.channels]).toEqual([64, 64, 1]);
      expect(Array.from(png.data)).toEqual(Array.from(renderTile(stored, [64, 64, 1], win).data));
    }
    const thumb = await get(`/api/sample/${i}/thumb.png?size=32`);
    expect(thumb.headers['content-type']).toBe('image/png');
    const t = decode(thumb.body);
    expect([t.width, t.height]).toEqual([32, 32]);
    // A page's sheet: cell n is the thumbnail of the page's n-th sample, 8 cells a row.
    const sheetReply = await get('/api/sheet.png?page=1&size=10&box=32');
    expect([sheetReply.headers['x-cell'], sheetReply.headers['x-columns'], sheetReply.headers['x-corrupt']]).toEqual(['32,32', '8', '']);
    const sheet = decode(sheetReply.body);
    expect([sheet.width, sheet.height, sheet.channels]).toEqual([256, 64, 1]);
    const items = (await json('/api/samples?page=1&size=10')).items as { index: number }[];
    for (const n of [0, 7, 9]) {
      const cell = decode((await get(`/api/sample/${items[n].index}/thumb.png?size=32`)).body);
      const x0 = (n % 8) * 32;
      const y0 = Math.floor(n / 8) * 32;
      for (let y = 0; y < 32; y++) expect(Array.from(sheet.data.subarray((y0 + y) * 256 + x0, (y0 + y) * 256 + x0 + 32)), `cell ${n} row ${y}`).toEqual(Array.from(cell.data.subarray(y * 32, y * 32 + 32)));
    }
  });

  it('runs verify with events and per-shard results, and never writes to the dataset', async () => {
    // Server-sent events: a stream of progress that ends with the result.
    const events: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const u = new URL(view.url);
      http.get({ host: u.hostname, port: u.port, path: '/api/verify/events' }, (res) => {
        expect(res.headers['content-type']).toMatch(/text\/event-stream/);
        let buf = '';
        res.on('data', (c) => {
          buf += String(c);
          for (let at = buf.indexOf('\n\n'); at >= 0; at = buf.indexOf('\n\n')) {
            const ev = /^event: (\w+)/.exec(buf.slice(0, at));
            if (ev) events.push(ev[1]);
            buf = buf.slice(at + 2);
            if (ev?.[1] === 'done') {
              res.destroy();
              resolve();
            }
          }
        });
      }).on('error', reject);
    });
    const s = await verifyDone(view);
    await done;
    expect(events[0]).toBe('idle');
    expect(events).toContain('progress');
    expect(s.ok).toBe(true);
    expect(s.shards.map((x) => [x.file, x.ok])).toEqual(ds.manifest.shards.map((x) => [x.file, true]));
    // Everything above, verify included, left every file of the dataset as it was.
    expect(snapshot(data)).toEqual(before);
    expect(readdirSync(data).sort()).toEqual([...before.keys()].sort());
  });

  it('names the damaged shard and record, and refuses to draw a corrupt sample', async () => {
    const copy = path.join(root, 'damaged');
    mkdirSync(copy);
    for (const f of readdirSync(data)) copyFileSync(path.join(data, f), path.join(copy, f));
    const shard1 = ds.manifest.shards[1];
    const record = 2;
    const fd = openSync(path.join(copy, shard1.file), 'r+');
    const at = DATA_OFFSET + record * ds.recordBytes + 100;
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, at);
    writeSync(fd, Buffer.of(b[0] ^ 0x40), 0, 1, at);
    closeSync(fd);
    const dds = await openDataset(copy, { workers: 0 });
    const v = await startViewServer(dds, { host: '127.0.0.1', port: 0 });
    try {
      const s = await verifyDone(v);
      expect(s.ok).toBe(false);
      const bad = s.shards.filter((x) => !x.ok);
      expect(bad.map((x) => x.file)).toEqual([shard1.file]);
      expect(bad[0].problems[0]).toMatchObject({ record, key: ds.keys[shard1.firstSample + record] });
      const bad1 = shard1.firstSample + record;
      const thumb = await request(v.url, `/api/sample/${bad1}/thumb.png`);
      expect(thumb.status).toBe(422);
      expect(JSON.parse(thumb.body.toString()).error).toContain(shard1.file);
      // The page's sheet still comes, with the corrupt sample named for the page to mark.
      const sheet = await request(v.url, `/api/sheet.png?size=${ds.size}`);
      expect(sheet.status).toBe(200);
      expect(sheet.headers['x-corrupt']).toBe(String(bad1));
    } finally {
      await v.close();
      await dds.close();
    }
  });

  it('serves int16 modality values raw and windows them with presets', async () => {
    const dir = path.join(root, 'hu');
    const hu = Int16Array.from({ length: 24 * 24 }, (_, n) => -1024 + ((n * 37) % 3000));
    await writeSyntheticDataset(dir, [24, 24, 1], 'int16', ['bleed'], [{ key: 'p/s_1', values: hu, labels: [1] }, { key: 'p/s_2', values: hu.map((v) => -v), labels: [0] }]);
    const hds = await openDataset(dir, { workers: 0 });
    const v = await startViewServer(hds, { host: '127.0.0.1', port: 0 });
    try {
      const raw = await request(v.url, '/api/sample/0/raw');
      expect(raw.headers['x-dtype']).toBe('int16');
      expect([...new Int16Array(raw.body.buffer.slice(raw.body.byteOffset, raw.body.byteOffset + raw.body.length))]).toEqual([...hu]);
      const one = JSON.parse((await request(v.url, '/api/sample/0')).body.toString());
      expect(one).toMatchObject({ dtype: 'int16', range: [-1024, Math.max(...hu)], defaultWindow: { lo: -1024, hi: Math.max(...hu) }, next: { key: 'p/s_2' } });
      const png = decode((await request(v.url, '/api/sample/0/image.png?window=brain')).body);
      expect(Array.from(png.data)).toEqual(Array.from(renderTile(hu, [24, 24, 1], centerWidthWindow(40, 80)).data));
    } finally {
      await v.close();
      await hds.close();
    }
  });
});
