// `shard serve`: a read-only node:http server for one dataset: JSON API, PNG and raw-value endpoints, the page.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Dataset } from 'shard-reader';
import { Catalog, folderOfKey, patientOfKey, positiveLabels } from './catalog.js';
import { cooccurrenceSvg, prevalenceSvg } from './charts.js';
import { pixelValues, valueBytes, valueRange } from './dtype.js';
import { HttpError, Query, send, sendError, sendJson, sseHeaders } from './http-util.js';
import { loadStaticFiles } from './static-files.js';
import { viewSummary } from './summary.js';
import { CHANNEL_GAP, GAP_LEVEL, renderTile, shrinkValues, smallPng, tilePng, type GreyImage } from './tile.js';
import { VerifyJob, type VerifyState } from './verify-job.js';
import { defaultWindow, parseWindowSpec, WINDOW_PRESETS, type DisplayWindow } from './window.js';

export interface ServeOptions {
  host: string;
  port: number;
}

export interface ViewServer {
  url: string;
  server: http.Server;
  close(): Promise<void>;
}

const MAX_PAGE = 500;
const SHEET_COLUMNS = 8;
const SHEET_CACHE = 32;
const THUMB_CACHE = 4096;

export async function startViewServer(ds: Dataset, opts: ServeOptions): Promise<ViewServer> {
  const app = new ViewApp(ds);
  await app.warmUp();
  const server = http.createServer((req, res) => app.handle(req, res, server));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}/`,
    server,
    close: () => new Promise<void>((resolve) => {
      app.closing = true;
      server.close(() => resolve());
      server.closeAllConnections(); // open event streams would otherwise hold close() forever
    }),
  };
}

type Handler = (res: ServerResponse, q: URLSearchParams, match: RegExpExecArray, req: IncomingMessage) => Promise<void> | void;

interface Route {
  method: 'GET' | 'POST';
  path: RegExp;
  handler: Handler;
}

class ViewApp {
  closing = false;
  private readonly catalog: Catalog;
  private readonly files = loadStaticFiles();
  private readonly verify: VerifyJob;
  private readonly filtered = new Map<string, ArrayLike<number>>();
  private readonly thumbs = new Map<string, GreyImage>();
  /** Encoded page sheets by their query: paging back and forth, and the first page, cost nothing. */
  private readonly sheets = new Map<string, { png: Buffer; headers: Record<string, string> }>();
  private summary: ReturnType<typeof viewSummary> | undefined;
  private readonly routes: Route[];

  constructor(private readonly ds: Dataset) {
    this.catalog = new Catalog(ds.keys);
    this.verify = new VerifyJob(ds.dir, ds.manifest);
    const id = '(0|[1-9]\\d{0,9})';
    this.routes = [
      { method: 'GET', path: /^\/api\/summary$/, handler: (res, q) => this.getSummary(res, q) },
      { method: 'GET', path: /^\/api\/charts\/(prevalence|cooccurrence)\.svg$/, handler: (res, q, m) => this.getChart(res, q, m[1]) },
      { method: 'GET', path: /^\/api\/patients$/, handler: (res, q) => this.getPatients(res, q) },
      { method: 'GET', path: /^\/api\/samples$/, handler: (res, q) => this.getSamples(res, q) },
      { method: 'GET', path: /^\/api\/sheet\.png$/, handler: (res, q) => this.getSheet(res, q) },
      { method: 'GET', path: new RegExp(`^/api/sample/${id}$`), handler: (res, q, m) => this.getSample(res, q, this.index(m[1])) },
      { method: 'GET', path: new RegExp(`^/api/sample/${id}/raw$`), handler: (res, q, m) => this.getRaw(res, q, this.index(m[1])) },
      { method: 'GET', path: new RegExp(`^/api/sample/${id}/thumb\\.png$`), handler: (res, q, m) => this.getThumb(res, q, this.index(m[1])) },
      { method: 'GET', path: new RegExp(`^/api/sample/${id}/image\\.png$`), handler: (res, q, m) => this.getImage(res, q, this.index(m[1])) },
      { method: 'GET', path: /^\/api\/verify$/, handler: (res, q) => (new Query(q, []), sendJson(res, this.verify.status)) },
      { method: 'POST', path: /^\/api\/verify$/, handler: (res, q) => (new Query(q, []), sendJson(res, this.verify.start(), 202)) },
      { method: 'GET', path: /^\/api\/verify\/events$/, handler: (res, q, _m, req) => this.verifyEvents(res, q, req) },
    ];
  }

  /**
   * Work the first page would otherwise wait for, done before the URL is printed: the summary (a pass over
   * every label) and the first page's thumbnail sheet (which also starts libvips).
   */
  async warmUp(): Promise<void> {
    this.summary ??= viewSummary(this.ds, this.catalog);
    // Exactly what app.js asks for first (page 0, 48 a page, default window and box), so it is a cache hit.
    const first = this.page(new Query(new URLSearchParams(), []));
    this.sheets.set(JSON.stringify([first.page, first.size, null, null, null, 128]), await this.makeSheet(first.items, 128, undefined));
  }

  async handle(req: IncomingMessage, res: ServerResponse, server: http.Server): Promise<void> {
    try {
      if (!hostAllowed(req, server)) throw new HttpError(403, 'this server answers only requests addressed to its own host name (DNS rebinding guard)');
      const raw = req.url ?? '/';
      // Only absolute paths of plain characters; anything else (.., %2e%2e, backslashes, NUL) names nothing here.
      if (!raw.startsWith('/') || raw.startsWith('//')) throw new HttpError(404, 'not found');
      const url = new URL(raw, 'http://localhost');
      const pathname = url.pathname;
      const method = req.method === 'HEAD' ? 'GET' : req.method;
      const file = this.files.get(pathname);
      if (file) {
        if (method !== 'GET') throw new HttpError(405, `${req.method} not allowed`);
        // The page takes its own state from the query (app.js reads page and pageSize); the other files take none.
        new Query(url.searchParams, pathname === '/' ? ['page', 'pageSize'] : []);
        send(res, 200, file.type, file.body, 'no-cache');
        return;
      }
      const routes = this.routes.filter((r) => r.path.test(pathname));
      if (routes.length === 0) throw new HttpError(404, 'not found');
      const route = routes.find((r) => r.method === method);
      if (!route) {
        res.setHeader('Allow', routes.map((r) => (r.method === 'GET' ? 'GET, HEAD' : r.method)).join(', '));
        throw new HttpError(405, `${req.method} not allowed`);
      }
      await route.handler(res, url.searchParams, route.path.exec(pathname)!, req);
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof HttpError) sendError(res, err.status, err.message);
      else if (err instanceof Error && err.name === 'CorruptRecordError') sendError(res, 422, err.message);
      else sendError(res, 500, err instanceof Error ? err.message : String(err));
    }
  }

  private index(text: string): number {
    const i = Number(text);
    if (!(i < this.ds.size)) throw new HttpError(404, `no sample ${i} (the dataset has ${this.ds.size})`);
    return i;
  }

  private getSummary(res: ServerResponse, q: URLSearchParams): void {
    new Query(q, []);
    this.summary ??= viewSummary(this.ds, this.catalog);
    sendJson(res, { ...this.summary, presets: WINDOW_PRESETS, channelGap: CHANNEL_GAP });
  }

  private getChart(res: ServerResponse, q: URLSearchParams, which: string): void {
    new Query(q, []);
    this.summary ??= viewSummary(this.ds, this.catalog);
    const s = this.summary;
    const svg = which === 'prevalence' ? prevalenceSvg(s.labelNames, s.positives, s.samples) : cooccurrenceSvg(s.labelNames, s.cooccurrence);
    send(res, 200, 'image/svg+xml; charset=utf-8', svg);
  }

  private getPatients(res: ServerResponse, qs: URLSearchParams): void {
    const q = new Query(qs, ['page', 'size', 'q']);
    const size = q.int('size', 1, MAX_PAGE, 100);
    const needle = (q.string('q') ?? '').toLowerCase();
    const all = needle ? this.catalog.patients.filter((p) => p.id.toLowerCase().includes(needle)) : this.catalog.patients;
    const pages = Math.max(1, Math.ceil(all.length / size));
    const page = q.int('page', 0, pages - 1, 0);
    sendJson(res, { total: all.length, page, pages, size, items: all.slice(page * size, (page + 1) * size).map(({ id, samples, series }) => ({ id, samples, series })) });
  }

  /** Browse order restricted to a patient and/or a label's positives; cached, as paging asks again and again. */
  private selection(patient: string | undefined, label: string | undefined): ArrayLike<number> {
    const cacheKey = JSON.stringify([patient ?? null, label ?? null]);
    const hit = this.filtered.get(cacheKey);
    if (hit) return hit;
    let list: ArrayLike<number> = this.catalog.order;
    if (patient !== undefined) {
      const of = this.catalog.samplesOf(patient);
      if (!of) throw new HttpError(400, `no patient ${JSON.stringify(patient)}`);
      list = of;
    }
    if (label !== undefined) {
      const j = this.ds.labelNames.indexOf(label);
      if (j < 0) throw new HttpError(400, `no label ${JSON.stringify(label)} (labels: ${this.ds.labelNames.join(', ')})`);
      const L = this.ds.labelNames.length;
      list = Uint32Array.from(Array.prototype.filter.call(list, (i: number) => this.ds.labels[i * L + j] > 0) as number[]);
    }
    if (this.filtered.size >= 64) this.filtered.delete(this.filtered.keys().next().value!);
    this.filtered.set(cacheKey, list);
    return list;
  }

  /** One page of the browse order, filtered by patient and label as the query says. */
  private page(q: Query): { total: number; page: number; pages: number; size: number; items: number[] } {
    const size = q.int('size', 1, MAX_PAGE, 48);
    const list = this.selection(q.string('patient'), q.string('label'));
    const pages = Math.max(1, Math.ceil(list.length / size));
    const page = q.int('page', 0, pages - 1, 0);
    const items: number[] = [];
    for (let p = page * size; p < Math.min(list.length, (page + 1) * size); p++) items.push(list[p]);
    return { total: list.length, page, pages, size, items };
  }

  private getSamples(res: ServerResponse, qs: URLSearchParams): void {
    const p = this.page(new Query(qs, ['page', 'size', 'patient', 'label']));
    const items = p.items.map((i) => ({ index: i, key: this.ds.keys[i], positive: positiveLabels(this.ds.labels, this.ds.labelNames, i) }));
    sendJson(res, { ...p, items });
  }

  private getSample(res: ServerResponse, q: URLSearchParams, i: number): void {
    new Query(q, []);
    const ds = this.ds;
    const key = ds.keys[i];
    const values = this.values(i);
    const L = ds.labelNames.length;
    const { prev, next } = this.catalog.neighbours(i);
    const ref = (j: number | null) => (j === null ? null : { index: j, key: ds.keys[j] });
    const per = ds.manifest.recordsPerShard;
    let first = this.catalog.position[i];
    const folder = folderOfKey(key);
    while (first > 0 && folderOfKey(ds.keys[this.catalog.order[first - 1]]) === folder) first--;
    let end = this.catalog.position[i] + 1;
    while (end < ds.size && folderOfKey(ds.keys[this.catalog.order[end]]) === folder) end++;
    // Per-sample metadata (DICOM fields) comes from the index once the reader exposes it as ds.meta(i).
    const metaFn = (ds as unknown as { meta?: (i: number) => unknown }).meta;
    sendJson(res, {
      index: i,
      key,
      patient: patientOfKey(key),
      series: folder,
      slice: { position: this.catalog.position[i] - first + 1, of: end - first },
      labels: Object.fromEntries(ds.labelNames.map((n, j) => [n, ds.labels[i * L + j]])),
      positive: positiveLabels(ds.labels, ds.labelNames, i),
      shape: ds.shape,
      dtype: ds.dtype,
      range: valueRange(values),
      defaultWindow: defaultWindow(ds.dtype, [values]),
      location: { shard: ds.manifest.shards[Math.floor(i / per)].file, record: i % per },
      meta: typeof metaFn === 'function' ? metaFn.call(ds, i) : null,
      prev: ref(prev),
      next: ref(next),
    });
  }

  private values(i: number) {
    const img = this.ds.image(i);
    return pixelValues(new Uint8Array(img.buffer, img.byteOffset, img.byteLength), this.ds.dtype);
  }

  private getRaw(res: ServerResponse, q: URLSearchParams, i: number): void {
    new Query(q, []);
    const [h, w, c] = this.ds.shape;
    send(res, 200, 'application/octet-stream', valueBytes(this.values(i)), 'private, max-age=300', {
      'X-Shape': `${h},${w},${c}`,
      'X-Dtype': this.ds.dtype,
      'X-Byte-Order': 'little-endian',
    });
  }

  private window(q: Query, values: ArrayLike<number>): DisplayWindow {
    return this.windowSpec(q) ?? defaultWindow(this.ds.dtype, [values]);
  }

  private getThumb(res: ServerResponse, qs: URLSearchParams, i: number): void {
    const q = new Query(qs, ['size', 'window']);
    const box = q.int('size', 16, 512, 128);
    send(res, 200, 'image/png', smallPng(this.thumbnail(i, box, this.windowSpec(q))), 'private, max-age=300');
  }

  /**
   * The thumbnails of one page of /api/samples in one PNG, SHEET_COLUMNS cells a row: one request and one
   * decode for the browser instead of one per sample. A sample that fails its checks is a flat cell and
   * is listed in the X-Corrupt header (sample indices), so the page can mark it.
   */
  private async getSheet(res: ServerResponse, qs: URLSearchParams): Promise<void> {
    const q = new Query(qs, ['page', 'size', 'patient', 'label', 'window', 'box']);
    const box = q.int('box', 16, 256, 128);
    const spec = this.windowSpec(q);
    const page = this.page(q);
    const cacheKey = JSON.stringify([page.page, page.size, q.string('patient') ?? null, q.string('label') ?? null, spec ? [spec.center, spec.width] : null, box]);
    let sheet = this.sheets.get(cacheKey);
    if (!sheet) {
      sheet = await this.makeSheet(page.items, box, spec);
      if (this.sheets.size >= SHEET_CACHE) this.sheets.delete(this.sheets.keys().next().value!);
      this.sheets.set(cacheKey, sheet);
    }
    send(res, 200, 'image/png', sheet.png, 'private, max-age=300', sheet.headers);
  }

  private async makeSheet(items: number[], box: number, spec: DisplayWindow | undefined): Promise<{ png: Buffer; headers: Record<string, string> }> {
    const cells: (GreyImage | null)[] = [];
    const corrupt: number[] = [];
    for (const i of items) {
      try {
        cells.push(this.thumbnail(i, box, spec));
      } catch (err) {
        if (!(err instanceof Error && err.name === 'CorruptRecordError')) throw err;
        cells.push(null);
        corrupt.push(i);
      }
    }
    const cw = Math.max(1, ...cells.map((c) => c?.width ?? 1));
    const ch = Math.max(1, ...cells.map((c) => c?.height ?? 1));
    const cols = Math.max(1, Math.min(SHEET_COLUMNS, items.length));
    const rows = Math.max(1, Math.ceil(items.length / cols));
    const sheet: GreyImage = { width: cols * cw, height: rows * ch, data: new Uint8Array(cols * cw * rows * ch).fill(GAP_LEVEL) };
    cells.forEach((cell, n) => {
      if (!cell) return;
      const x0 = (n % cols) * cw;
      const y0 = Math.floor(n / cols) * ch;
      for (let y = 0; y < cell.height; y++) sheet.data.set(cell.data.subarray(y * cell.width, (y + 1) * cell.width), (y0 + y) * sheet.width + x0);
    });
    return { png: await tilePng(sheet, true), headers: { 'X-Cell': `${cw},${ch}`, 'X-Columns': String(cols), 'X-Corrupt': corrupt.join(',') } };
  }

  private windowSpec(q: Query): DisplayWindow | undefined {
    const spec = q.string('window');
    if (spec === undefined || spec === 'auto') return undefined;
    try {
      return parseWindowSpec(spec, 'window');
    } catch (err) {
      throw new HttpError(400, (err as Error).message);
    }
  }

  /** Thumbnail of sample `i` (cached): averaged down to about `box` px, then windowed (default: the slice's own). */
  private thumbnail(i: number, box: number, win: DisplayWindow | undefined): GreyImage {
    const cacheKey = `${i}/${box}/${win ? `${win.center},${win.width}` : ''}`;
    let tile = this.thumbs.get(cacheKey);
    if (!tile) {
      const values = this.values(i);
      // The default window comes from the whole slice, so a thumbnail looks like the slice opened.
      const small = shrinkValues(values, this.ds.shape, box);
      tile = renderTile(small.values, small.shape, win ?? defaultWindow(this.ds.dtype, [values]));
      if (this.thumbs.size >= THUMB_CACHE) this.thumbs.delete(this.thumbs.keys().next().value!);
      this.thumbs.set(cacheKey, tile);
    }
    return tile;
  }

  private async getImage(res: ServerResponse, qs: URLSearchParams, i: number): Promise<void> {
    const q = new Query(qs, ['window']);
    const values = this.values(i);
    const png = await tilePng(renderTile(values, this.ds.shape, this.window(q, values)));
    send(res, 200, 'image/png', png, 'private, max-age=300');
  }

  private verifyEvents(res: ServerResponse, qs: URLSearchParams, req: IncomingMessage): void {
    new Query(qs, []);
    sseHeaders(res);
    const write = (s: VerifyState) => res.write(`event: ${s.state === 'running' ? 'progress' : s.state}\ndata: ${JSON.stringify(s)}\n\n`);
    write(this.verify.status);
    const stop = this.verify.subscribe((s) => write(s));
    const ping = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    const end = () => {
      stop();
      clearInterval(ping);
    };
    req.on('close', end);
    res.on('close', end);
  }
}

/**
 * Bound to a loopback address, answer only requests for a loopback name: a web page elsewhere that points
 * a DNS name at 127.0.0.1 must not read the dataset through the user's browser.
 */
function hostAllowed(req: IncomingMessage, server: http.Server): boolean {
  const addr = server.address() as AddressInfo | null;
  if (!addr || !/^(127\.|::1$|::ffff:127\.)/.test(addr.address)) return true;
  const host = (req.headers.host ?? '').toLowerCase();
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
  return name === 'localhost' || name === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(name);
}
