// Contact sheets (`shard inspect --grid`) and the viewer's pixel code: windows, dtypes, channel layout, selection.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { decode } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDataset } from 'shard-reader';
import { applyWindow } from '../packages/shard-writer/src/window.js';
import { Catalog } from '../packages/shard-cli/src/view/catalog.js';
import { pixelValues, valueRange } from '../packages/shard-cli/src/view/dtype.js';
import { selectSamples } from '../packages/shard-cli/src/view/select.js';
import { CHANNEL_GAP, GAP_LEVEL, renderTile, shrinkValues } from '../packages/shard-cli/src/view/tile.js';
import { centerWidthWindow, defaultWindow, displayLevel, parseWindowSpec, rangeWindow } from '../packages/shard-cli/src/view/window.js';
import { tempDir } from './helpers/tree.js';
import { writeSyntheticDataset } from './helpers/view-dataset.js';
import { shard } from './helpers/run-cli.js';

const FIXTURE = path.join(import.meta.dirname, 'fixtures/real-mr');
let root = '';
let mr = '';


beforeAll(async () => {
  root = tempDir('view-grid-');
  mr = path.join(root, 'mr');
  const b = await shard('build', FIXTURE, '--out', mr, '--dtype', 'uint16', '--size', '64', '-q');
  expect(b.code, b.stderr).toBe(0);
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('display windows', () => {
  it('a centre/width window is exactly the build\'s DICOM linear VOI function', () => {
    const src = Uint16Array.from({ length: 4096 }, (_, i) => i);
    for (const [c, w] of [[40, 80], [1000, 1], [1000, 2], [2047.5, 4096], [600, 2800], [300, 7]]) {
      const expected = new Uint8Array(src.length);
      applyWindow(src, expected, { center: c, width: w });
      const win = centerWidthWindow(c, w);
      const got = Uint8Array.from(src, (v) => displayLevel(v, win));
      expect(got, `${c},${w}`).toEqual(expected);
    }
  });

  it('parses presets and c,w; refuses anything else with the option named', () => {
    expect(parseWindowSpec('brain', '--window')).toMatchObject({ center: 40, width: 80 });
    expect(parseWindowSpec('Soft-Tissue', '--window')).toMatchObject({ center: 40, width: 400 });
    expect(parseWindowSpec('lung', '--window')).toMatchObject({ center: -600, width: 1500 });
    expect(parseWindowSpec('-600, 1500', '--window')).toMatchObject({ center: -600, width: 1500 });
    for (const bad of ['', 'constructor', '40', '40,0', '40,80,1', 'a,b', '40,', 'Infinity,3']) expect(() => parseWindowSpec(bad, '--window'), bad).toThrow(/--window must be/);
  });

  it('defaults: uint8 spans 0..255; uint16, int16 and float32 the min..max of every image shown', () => {
    expect(defaultWindow('uint8', [Uint8Array.of(10, 20)])).toMatchObject({ lo: 0, hi: 255 });
    expect(defaultWindow('uint16', [Uint16Array.of(100, 4000), Uint16Array.of(7, 300)])).toMatchObject({ lo: 7, hi: 4000 });
    expect(defaultWindow('int16', [Int16Array.of(-1024, 3071)])).toMatchObject({ lo: -1024, hi: 3071 });
    expect(defaultWindow('float32', [Float32Array.of(NaN, -0.5, 2.5, Infinity)])).toMatchObject({ lo: -0.5, hi: 2.5 });
    const r = rangeWindow(7, 4000, 'x');
    expect([displayLevel(7, r), displayLevel(4000, r), displayLevel(NaN, r), displayLevel(2003.5, r)]).toEqual([0, 255, 0, 128]);
  });

  it('reads int16 and float32 bytes as signed and float values, unaligned too', () => {
    const i16 = Int16Array.of(-1024, 0, 3071);
    const bytes = new Uint8Array(7);
    bytes.set(new Uint8Array(i16.buffer), 1);
    expect([...pixelValues(bytes.subarray(1), 'int16')]).toEqual([-1024, 0, 3071]);
    const f32 = Float32Array.of(-0.25, 1.5);
    expect([...pixelValues(new Uint8Array(f32.buffer), 'float32')]).toEqual([-0.25, 1.5]);
    expect(valueRange(Float32Array.of(NaN, NaN))).toEqual([0, 0]);
    expect(() => pixelValues(new Uint8Array(3), 'uint16')).toThrow(/whole number/);
    expect(() => pixelValues(new Uint8Array(2), 'complex64')).toThrow(/dtype/);
  });

  it('draws the channels of a sample side by side, each through the same window, with a gap', () => {
    // 2 x 3 pixels x 3 channels, HWC interleaved: channel k of pixel p is 10 * p + k.
    const values = Int16Array.from({ length: 18 }, (_, n) => 10 * Math.floor(n / 3) + (n % 3));
    const win = rangeWindow(0, 52, 'test');
    const level = (v: number) => Math.round((v / 52) * 255);
    const tile = renderTile(values, [2, 3, 3], win);
    expect(tile.width).toBe(3 * 3 + 2 * CHANNEL_GAP);
    expect(tile.height).toBe(2);
    for (let y = 0; y < 2; y++) {
      for (let k = 0; k < 3; k++) {
        for (let x = 0; x < 3; x++) expect(tile.data[y * tile.width + k * (3 + CHANNEL_GAP) + x]).toBe(level(10 * (y * 3 + x) + k));
        if (k < 2) expect(tile.data[y * tile.width + k * (3 + CHANNEL_GAP) + 3]).toBe(GAP_LEVEL);
      }
    }
  });
});

describe('thumbnail shrink', () => {
  it('averages f x f blocks per channel, edge blocks over the pixels they have', () => {
    // 5 x 5 x 2: channel 0 is the pixel number, channel 1 is 100 - it; box 2 -> f = 2, 3 x 3 cells.
    const v = Uint16Array.from({ length: 50 }, (_, n) => (n % 2 === 0 ? n / 2 : 100 - (n - 1) / 2));
    const { values, shape } = shrinkValues(v, [5, 5, 2], 2);
    expect(shape).toEqual([3, 3, 2]);
    const px = (x: number, y: number) => y * 5 + x;
    const mean = (cells: number[]) => cells.reduce((a, b) => a + b, 0) / cells.length;
    expect(values[0]).toBe(mean([px(0, 0), px(1, 0), px(0, 1), px(1, 1)]));
    expect(values[1]).toBe(100 - mean([px(0, 0), px(1, 0), px(0, 1), px(1, 1)]));
    expect(values[(0 * 3 + 2) * 2]).toBe(mean([px(4, 0), px(4, 1)])); // right edge: one column
    expect(values[(2 * 3 + 2) * 2]).toBe(px(4, 4)); // corner: one pixel
    expect(shrinkValues(v, [5, 5, 2], 3).values).toBe(v); // no whole factor >= 2: unchanged
  });
});

describe('sample choice', () => {
  const keys = ['p1/s_1', 'p1/s_2', 'p1/s_10', 'p2/a/s_1', 'p2/b/s_1', 'p10/s_1'].sort();
  const labels = Float32Array.from(keys.flatMap((k) => [k.startsWith('p2') ? 1 : 0]));
  const set = { keys, labels, labelNames: ['x'] };
  const catalog = new Catalog(keys);

  it('orders slices naturally within a series and groups series by patient', () => {
    expect(Array.from(catalog.order, (i) => keys[i])).toEqual(['p1/s_1', 'p1/s_2', 'p1/s_10', 'p2/a/s_1', 'p2/b/s_1', 'p10/s_1']);
    expect(catalog.patients.map((p) => [p.id, p.samples, p.series])).toEqual([['p1', 3, 1], ['p2', 2, 2], ['p10', 1, 1]]);
    const s2 = keys.indexOf('p1/s_2');
    expect(catalog.neighbours(s2)).toEqual({ prev: keys.indexOf('p1/s_1'), next: keys.indexOf('p1/s_10') });
    expect(catalog.neighbours(keys.indexOf('p2/a/s_1'))).toEqual({ prev: null, next: null }); // series end at folder boundaries
  });

  it('keys as given, labels positives only, a patient evenly spaced, a seed reproducible', () => {
    expect(selectSamples(set, catalog, { keys: ['p10/s_1', 'p1/s_1'], count: 16 }).map((i) => keys[i])).toEqual(['p10/s_1', 'p1/s_1']);
    expect(selectSamples(set, catalog, { label: 'x', count: 16 }).map((i) => keys[i])).toEqual(['p2/a/s_1', 'p2/b/s_1']);
    expect(selectSamples(set, catalog, { patient: 'p1', count: 2 }).map((i) => keys[i])).toEqual(['p1/s_1', 'p1/s_10']);
    const a = selectSamples(set, catalog, { count: 3, seed: 5 });
    expect(selectSamples(set, catalog, { count: 3, seed: 5 })).toEqual(a);
    expect(new Set(a).size).toBe(3);
    expect(() => selectSamples(set, catalog, { keys: ['nope'], count: 1 })).toThrow(/no sample with key "nope"/);
    expect(() => selectSamples(set, catalog, { patient: 'p3', count: 1 })).toThrow(/no patient "p3"/);
    expect(() => selectSamples(set, catalog, { label: 'y', count: 1 })).toThrow(/no label "y"/);
    expect(() => selectSamples(set, catalog, { label: 'x', patient: 'p1', count: 1 })).toThrow(/no sample of patient p1 is positive for x/);
  });
});

describe('shard inspect --grid', () => {
  it('draws each chosen sample through the window, with its key and labels written under it', async () => {
    const out = path.join(root, 'one.png');
    const key = 'patient_M01/slice_001';
    const r = await shard('inspect', mr, '--grid', out, '--keys', key, '--tile', '64', '--window', '600,1200', '--json');
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info).toMatchObject({ samples: 1, keys: [key], window: { center: 600, width: 1200 } });
    const png = decode(readFileSync(out));
    const data = png.data;
    const meta = { width: png.width, height: png.height, channels: png.channels };
    expect(png.depth).toBe(8);
    expect([meta.width, meta.height]).toEqual([info.width, info.height]);
    const ds = await openDataset(mr, { workers: 0 });
    try {
      const values = ds.image(ds.keys.indexOf(key));
      const win = centerWidthWindow(600, 1200);
      // The tile is drawn at its own size (64 px): find it by its top-left pixel and compare every pixel.
      const ch = meta.channels;
      const at = (x: number, y: number) => data[(y * meta.width + x) * ch];
      const expected = (x: number, y: number) => displayLevel(values[y * 64 + x], win);
      let found: [number, number] | null = null;
      for (let y0 = 0; y0 + 64 <= meta.height && !found; y0++) {
        for (let x0 = 0; x0 + 64 <= meta.width && !found; x0++) {
          let ok = true;
          for (let y = 0; y < 64 && ok; y += 7) for (let x = 0; x < 64 && ok; x += 5) ok = at(x0 + x, y0 + y) === expected(x, y);
          if (ok) found = [x0, y0];
        }
      }
      expect(found, 'tile not found on the sheet').not.toBeNull();
      const [x0, y0] = found!;
      for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) expect(at(x0 + x, y0 + y)).toBe(expected(x, y));
      // Text under the tile: light pixels on the dark background in the two caption lines.
      let lit = 0;
      for (let y = y0 + 66; y < y0 + 64 + 34; y++) for (let x = x0; x < x0 + 120; x++) if (at(x, y) > 150) lit++;
      expect(lit).toBeGreaterThan(50);
    } finally {
      await ds.close();
    }
  });

  it('chooses by label, patient and seed; stays reproducible; replaces only its own sheets', async () => {
    const out = path.join(root, 'sheet.png');
    const a = JSON.parse((await shard('inspect', mr, '--grid', out, '--label', 'subdural', '--count', '4', '--seed', '3', '--json')).stdout);
    const ds = await openDataset(mr, { workers: 0 });
    const j = ds.labelNames.indexOf('subdural');
    for (const k of a.keys) expect(ds.labels[ds.keys.indexOf(k) * 5 + j]).toBe(1);
    await ds.close();
    expect(a.samples).toBe(4);
    const again = await shard('inspect', mr, '--grid', out, '--label', 'subdural', '--count', '4', '--seed', '3', '--json');
    expect(again.code).toBe(0); // our own sheet: replaced
    expect(JSON.parse(again.stdout).keys).toEqual(a.keys);
    const p = JSON.parse((await shard('inspect', mr, '--grid', out, '--patient', 'patient_F01', '--count', '3', '--json')).stdout);
    expect(p.keys).toEqual(['patient_F01/slice_001', 'patient_F01/slice_008', 'patient_F01/slice_015']);

    const foreign = path.join(root, 'mine.png');
    writeFileSync(foreign, 'a file the user made');
    const refused = await shard('inspect', mr, '--grid', foreign);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^shard: .*mine\.png: exists and was not written by shard inspect --grid/);
    expect(readFileSync(foreign, 'utf8')).toBe('a file the user made');
  });

  it('refuses bad choices in one line: inside the dataset, unknown names, options without --grid', async () => {
    const cases: [string[], number, RegExp][] = [
      [['--grid', path.join(mr, 'g.png')], 1, /inside the dataset folder/],
      [['--grid', path.join(root, 'x.png'), '--label', 'nope'], 1, /no label "nope"/],
      [['--grid', path.join(root, 'x.png'), '--patient', 'nobody'], 1, /no patient "nobody"/],
      [['--grid', path.join(root, 'x.png'), '--keys', 'a/b'], 1, /no sample with key "a\/b"/],
      [['--grid', path.join(root, 'x.png'), '--keys', 'patient_F01/slice_001', '--count', '3'], 2, /--keys names the samples itself; drop --count/],
      [['--count', '3'], 2, /--count needs --grid/],
    ];
    for (const [args, code, message] of cases) {
      const r = await shard('inspect', mr, ...args);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    const w = await shard('inspect', mr, '--grid', path.join(root, 'x.png'), '--window', 'fog');
    expect(w.code).toBe(2);
    expect(w.stderr).toMatch(/^shard: option '--window <c,w\|preset>' argument 'fog' is invalid: must be <center>,<width>/);
  });

  it('draws a multi-channel sample (windows as channels) as its channels side by side', async () => {
    // Three uint8 channels, as `--windows brain,subdural,bone` will store them: channel k of pixel p is (p + 80k) mod 256.
    const dir = path.join(root, 'three');
    const image = Uint8Array.from({ length: 16 * 16 * 3 }, (_, n) => (Math.floor(n / 3) + 80 * (n % 3)) % 256);
    await writeSyntheticDataset(dir, [16, 16, 3], 'uint8', ['a'], [{ key: 'p/s_1', values: image, labels: [1] }]);
    const out = path.join(root, 'three.png');
    const r = await shard('inspect', dir, '--grid', out, '--tile', '16', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).window).toMatchObject({ lo: 0, hi: 255 }); // uint8: its own range
    const png = decode(readFileSync(out));
    const at = (x: number, y: number) => png.data[(y * png.width + x) * png.channels];
    const tileW = 3 * 16 + 2 * CHANNEL_GAP;
    // The tile is centred in a cell at least 120 px wide, below the 26 px header.
    const x0 = 8 + Math.floor((Math.max(tileW, 120) - tileW) / 2);
    const y0 = 26;
    for (let k = 0; k < 3; k++) {
      for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) expect(at(x0 + k * (16 + CHANNEL_GAP) + x, y0 + y), `channel ${k} ${x},${y}`).toBe(image[(y * 16 + x) * 3 + k]);
      if (k < 2) expect(at(x0 + k * (16 + CHANNEL_GAP) + 16, y0)).toBe(GAP_LEVEL);
    }
  });

  it('windows int16 modality values (HU) with a preset; the default spans the values shown', async () => {
    const dir = path.join(root, 'hu');
    // -1024 (air) .. 1999 HU over a 20 x 20 slice.
    const hu = Int16Array.from({ length: 400 }, (_, n) => -1024 + Math.round((n * 3023) / 399));
    await writeSyntheticDataset(dir, [20, 20, 1], 'int16', ['bleed'], [{ key: 'p/s_1', values: hu, labels: [0] }]);
    const out = path.join(root, 'hu.png');
    const d = JSON.parse((await shard('inspect', dir, '--grid', out, '--tile', '20', '--json')).stdout);
    expect(d.window).toMatchObject({ lo: -1024, hi: 1999 });
    const r = await shard('inspect', dir, '--grid', out, '--tile', '20', '--window', 'brain', '--json');
    expect(r.code, r.stderr).toBe(0);
    const png = decode(readFileSync(out));
    const win = centerWidthWindow(40, 80);
    const x0 = 8 + Math.floor((120 - 20) / 2);
    for (let y = 0; y < 20; y++) for (let x = 0; x < 20; x++) expect(png.data[((26 + y) * png.width + x0 + x) * png.channels]).toBe(displayLevel(hu[y * 20 + x], win));
  });
});
