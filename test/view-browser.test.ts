// `shard serve` driven in a real browser (Debian's Chromium through playwright-core): summary, pixels, paging, verify.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { decode } from 'fast-png';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderTile } from '../packages/shard-cli/src/view/tile.js';
import { centerWidthWindow, defaultWindow, type DisplayWindow } from '../packages/shard-cli/src/view/window.js';
import { tempDir } from './helpers/tree.js';
import { shard } from './helpers/run-cli.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const FIXTURE = path.join(import.meta.dirname, 'fixtures/real-mr');
const SHOTS = path.join(ROOT, 'test-output');
const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.log(`view-browser.test.ts skipped: ${CHROMIUM} is absent (Debian: apt-get install -y chromium)`);


/** Starts `shard serve` as users do and resolves with the URL it prints on stdout. */
function startServe(dir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', path.join(ROOT, 'packages/shard-cli/bin/shard.js'), 'serve', dir, '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`shard serve printed no URL in 90 s: ${err}`)), 90_000);
    child.stderr!.on('data', (d) => (err += String(d)));
    child.stdout!.on('data', (d) => {
      out += String(d);
      const m = /^(http:\/\/127\.0\.0\.1:\d+\/)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1] });
      }
    });
    child.on('exit', (code) => reject(new Error(`shard serve exited with ${code}: ${err}`)));
  });
}

let root = '';
let data = '';
let exported = '';
let info: { samples: number; shape: number[]; dtype: string; recordBytes: number; labelNames: string[]; positives: Record<string, number>; shards: { file: string }[] };
let keys: string[] = [];
let serve: { child: ChildProcess; url: string } | undefined;
let context: BrowserContext | undefined;
let page: Page;

describe.skipIf(!haveChromium)('shard serve in Chromium', () => {
  beforeAll(async () => {
    root = tempDir('view-browser-');
    data = path.join(root, 'split', 'train');
    // Small shards, so the dataset has several and verify has a row for each.
    const b = await shard('build', FIXTURE, '--out', data, '--dtype', 'uint16', '--size', '64', '--shard-bytes', '128KiB', '-q');
    expect(b.code, b.stderr).toBe(0);
    // A split report beside it, in the layout `build --split` writes.
    const counts = (samples: number, p: number) => ({ groups: 1, samples, positives: { epidural: p }, prevalence: { epidural: p / samples } });
    writeFileSync(path.join(root, 'split', 'split.json'), JSON.stringify({ format: 'ct-shards-split', version: 1, seed: 7, groupBy: 'patient', stratify: true, ratios: { train: 0.8, val: 0.2 }, labelNames: ['epidural'], total: counts(60, 16), splits: { train: counts(51, 14), val: counts(9, 2) }, largestDeviation: { split: 'val', label: 'epidural', deviation: 0.044 }, groups: {} }));
    info = JSON.parse((await shard('inspect', data, '--json')).stdout);
    keys = JSON.parse((await shard('order', data, '--shuffle', 'none', '--json')).stdout);
    exported = path.join(root, 'export');
    expect((await shard('export', data, '--out', exported, '--format', 'png')).code).toBe(0);
    mkdirSync(SHOTS, { recursive: true });
    serve = await startServe(data);
    context = await chromium.launchPersistentContext(path.join(root, 'chromium-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
  }, 240_000);

  afterAll(async () => {
    await context?.close();
    if (serve && serve.child.exitCode === null) {
      const exited = new Promise((r) => serve!.child.once('exit', r));
      serve.child.kill('SIGTERM');
      await exited;
    }
    rmSync(root, { recursive: true, force: true });
  });

  async function load(query = ''): Promise<void> {
    await page.goto(serve!.url + query);
    await page.waitForSelector('body[data-ready="true"]');
  }

  /** The sample's own thumbnail endpoint, saved to a file, to hold the page's sheet cells against. */
  async function thumbFile(index: number): Promise<string> {
    const file = path.join(root, `thumb-${index}.png`);
    const r = await fetch(`${serve!.url}api/sample/${index}/thumb.png?size=128`);
    writeFileSync(file, Buffer.from(await r.arrayBuffer()));
    return file;
  }

  /** Canvas pixels as grey levels, after checking they are grey and opaque. */
  async function canvasGrey(): Promise<{ grey: number[]; width: number; height: number; window: string }> {
    const r = await page.evaluate(() => {
      const c = document.querySelector<HTMLCanvasElement>('#slice')!;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      return { rgba: Array.from(d), width: c.width, height: c.height, window: c.dataset.window ?? '' };
    });
    const grey: number[] = [];
    for (let p = 0; p < r.rgba.length; p += 4) {
      expect(r.rgba[p + 1]).toBe(r.rgba[p]);
      expect(r.rgba[p + 2]).toBe(r.rgba[p]);
      expect(r.rgba[p + 3]).toBe(255);
      grey.push(r.rgba[p]);
    }
    return { grey, width: r.width, height: r.height, window: r.window };
  }

  /** The exported PNG of `key` (what `shard export` writes) drawn through `win` by the CLI's own tile code. */
  function exportedUnder(key: string, win: (values: Uint16Array) => DisplayWindow): number[] {
    const png = decode(readFileSync(path.join(exported, `${key}.png`)));
    expect(png.depth).toBe(16);
    const values = png.data as Uint16Array;
    return Array.from(renderTile(values, [png.height, png.width, 1], win(values)).data);
  }

  it('shows the summary inspect --json reports', async () => {
    await load();
    const field = (f: string) => page.textContent(`[data-field="${f}"]`);
    expect(Number(await field('samples'))).toBe(info.samples);
    expect(Number(await field('shards'))).toBe(info.shards.length);
    expect(info.shards.length).toBeGreaterThan(1);
    expect(await field('shape')).toBe(info.shape.join(' x '));
    expect(await field('dtype')).toBe(info.dtype);
    expect(Number(await field('recordBytes'))).toBe(info.recordBytes);
    expect(Number(await field('patients'))).toBe(5);
    for (const n of info.labelNames) expect(Number(await page.textContent(`#labels td[data-label="${n}"]`)), n).toBe(info.positives[n]);
    const split = await page.$$eval('#split-table tbody tr', (rows) => rows.map((r) => Array.from(r.children, (c) => c.textContent)));
    expect(split).toEqual([['train (this)', '1', '51', '27.5%'], ['val', '1', '9', '22.2%'], ['all', '1', '60', '26.7%']]);
    for (const chart of ['#chart-prevalence', '#chart-cooccurrence']) {
      await page.waitForFunction((sel) => (document.querySelector(sel) as HTMLImageElement).naturalWidth > 0, chart);
    }
    await page.screenshot({ path: path.join(SHOTS, 'serve-summary.png'), fullPage: true });
  });

  it('pages through the thumbnails in browse order, every one rendered', async () => {
    await load();
    // Every thumbnail drawn: its canvas sized to the cell and holding the thumbnail of its own sample.
    const shown = async () => {
      await page.waitForFunction(() => { const g = document.querySelector<HTMLElement>('#thumbs')!; return g.dataset.loaded === g.dataset.page; });
      const figs = await page.$$eval('#thumbs figure', (fs) => fs.map((f) => {
        const c = f.querySelector('canvas')!;
        return { key: (f as HTMLElement).dataset.key!, index: Number((f as HTMLElement).dataset.index), w: c.width, h: c.height, grey: Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data.filter((_, n) => n % 4 === 0)) };
      }));
      for (const f of figs.slice(0, 3)) {
        const t = decode(readFileSync(await thumbFile(f.index)));
        expect([f.w, f.h], f.key).toEqual([t.width, t.height]);
        expect(f.grey, f.key).toEqual(Array.from(t.data));
      }
      return figs.map((f) => f.key);
    };
    expect(await page.textContent('#page-info')).toBe(`page 1 / 2 · ${info.samples} samples`);
    expect(await shown()).toEqual(keys.slice(0, 48));
    await page.click('#next-page');
    await page.waitForSelector('#thumbs[data-page="1"]');
    expect(await shown()).toEqual(keys.slice(48));
    expect(await page.isDisabled('#next-page')).toBe(true);
    await page.click('#prev-page');
    await page.waitForSelector('#thumbs[data-page="0"]');
    expect(await shown()).toEqual(keys.slice(0, 48));
    // A smaller page and a label filter: only positives, paged the same way.
    await load('?pageSize=5');
    await page.selectOption('#label-filter', 'subdural');
    await page.waitForFunction(() => document.querySelector('#page-info')!.textContent!.includes('samples') && document.querySelector('#filter-desc')!.textContent!.includes('subdural'));
    const pages = Math.ceil(info.positives.subdural / 5);
    expect(await page.textContent('#page-info')).toBe(`page 1 / ${pages} · ${info.positives.subdural} samples`);
    expect(await shown()).toHaveLength(Math.min(5, info.positives.subdural));
    await page.screenshot({ path: path.join(SHOTS, 'serve-browse.png'), fullPage: true });
  });

  it('draws a slice exactly as the exported image under the same window: default, typed, preset, dragged', async () => {
    await load();
    await page.click('#patients button[data-patient="patient_R01"]');
    const key = 'patient_R01/slice_005';
    await page.click(`#thumbs figure[data-key="${key}"]`);
    await page.waitForSelector(`#viewer:not([hidden])`);
    await page.waitForFunction((k) => document.querySelector('#v-key')!.textContent === k, key);

    let got = await canvasGrey();
    expect([got.width, got.height]).toEqual([64, 64]);
    expect(got.grey).toEqual(exportedUnder(key, (v) => defaultWindow('uint16', [v])));

    await page.fill('#wc', '600');
    await page.fill('#ww', '1200');
    await page.press('#ww', 'Enter');
    await page.waitForSelector('#slice[data-window="600,1200"]');
    got = await canvasGrey();
    expect(got.grey).toEqual(exportedUnder(key, () => centerWidthWindow(600, 1200)));

    await page.click('#presets button[data-preset="bone"]');
    await page.waitForSelector('#slice[data-window="600,2800"]');
    expect((await canvasGrey()).grey).toEqual(exportedUnder(key, () => centerWidthWindow(600, 2800)));

    // Drag: right widens, up lowers the centre; whatever window results, the pixels are that window.
    const box = (await page.locator('#slice').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 60, box.y + box.height / 2 - 40, { steps: 5 });
    await page.mouse.up();
    got = await canvasGrey();
    const [c, w] = got.window.split(',').map(Number);
    expect(w).toBeGreaterThan(2800);
    expect(c).toBeLessThan(600);
    expect([Number(await page.inputValue('#wc')), Number(await page.inputValue('#ww'))]).toEqual([c, w]);
    expect(got.grey).toEqual(exportedUnder(key, () => centerWidthWindow(c, w)));
    await page.screenshot({ path: path.join(SHOTS, 'serve-viewer.png'), fullPage: false });

    // Neighbours: next and previous within the series, keeping the chosen window.
    await page.click('#v-next');
    await page.waitForFunction(() => document.querySelector('#v-key')!.textContent === 'patient_R01/slice_006');
    expect((await canvasGrey()).grey).toEqual(exportedUnder('patient_R01/slice_006', () => centerWidthWindow(c, w)));
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await page.waitForFunction(() => document.querySelector('#v-key')!.textContent === 'patient_R01/slice_004');
    const labels = await page.$$eval('#v-labels tr', (rows) => rows.map((r) => [(r as HTMLElement).dataset.label, r.children[1].textContent]));
    const csv = readFileSync(path.join(exported, 'labels.csv'), 'utf8').split('\n').find((l) => l.startsWith('patient_R01/slice_004,'))!.split(',').slice(1);
    expect(labels).toEqual(info.labelNames.map((n, j) => [n, csv[j]]));
  });

  it('runs verify from the page with progress and a result for every shard', async () => {
    await load();
    await page.click('#verify-run');
    await page.waitForSelector('#verify-status[data-state="done"]', { timeout: 60_000 });
    expect(await page.getAttribute('#verify-status', 'data-ok')).toBe('true');
    const rows = await page.$$eval('#verify-shards tbody tr', (rs) => rs.map((r) => [(r as HTMLElement).dataset.shard, (r as HTMLElement).dataset.ok]));
    expect(rows).toEqual(info.shards.map((s) => [s.file, 'true']));
    expect(await page.$eval('#verify-progress', (p) => (p as HTMLProgressElement).value)).toBe(1);
    await page.locator('#integrity').screenshot({ path: path.join(SHOTS, 'serve-verify.png') });
  });
});
