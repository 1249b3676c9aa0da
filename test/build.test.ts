// shard build end to end: pixel exactness, labels, mixed inputs, determinism, error reporting and accounting.
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { decode } from 'fast-png';
import { afterAll, describe, expect, it } from 'vitest';
import { buildShards, type BuildOptions } from 'shard-writer';
import { folderBytes, readDataset } from './helpers/read-shards.js';
import { LABELS, tempDir, writeLabels, writePng } from './helpers/tree.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const REAL_MR = path.join(FIXTURES, 'real-mr');
const dirs: string[] = [];
const tmp = () => {
  const d = tempDir();
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const build = (o: Partial<BuildOptions> & Pick<BuildOptions, 'input'>) => buildShards({ out: tmp(), workers: 2, ...o });
const u16 = (b: Uint8Array) => new Uint16Array(b.buffer, b.byteOffset, b.length / 2);

describe('real MR slices (16-bit PNG, odd sizes)', () => {
  it('reproduces the truth bit for bit with --dtype uint16 at native size', async () => {
    const truth = JSON.parse(readFileSync(path.join(FIXTURES, 'real-mr-truth/truth.json'), 'utf8'));
    for (const [key, size] of [['patient_M01/slice_001', 384], ['patient_M02/slice_001', 64]] as const) {
      const summary = await build({ input: REAL_MR, size, dtype: 'uint16' });
      const sample = readDataset(summary.out).samples.find((s) => s.key === key)!;
      const expected = readFileSync(path.join(FIXTURES, 'real-mr-truth', truth[key].file));
      expect(Buffer.compare(Buffer.from(sample.image), expected), key).toBe(0);
    }
  });

  it('matches an independent PNG decoder (fast-png) for every same-size 16-bit slice, and keeps every label', async () => {
    const summary = await build({ input: REAL_MR, size: 64, dtype: 'uint16' });
    expect(summary).toMatchObject({ inputs: 51, written: 51, skipped: [] });
    const { samples, manifest } = readDataset(summary.out);
    expect(manifest.schema.labelNames).toEqual(['epidural', 'intraparenchymal', 'intraventricular', 'subarachnoid', 'subdural']);
    expect(samples.map((s) => s.key)).toEqual([...samples.map((s) => s.key)].sort());
    const m02 = samples.find((s) => s.key === 'patient_M02/slice_001')!;
    const png = decode(readFileSync(path.join(REAL_MR, 'patient_M02/slice_001.png')));
    expect(png.depth).toBe(16);
    expect([...u16(m02.image)]).toEqual([...(png.data as Uint16Array)]);
    for (const s of samples) {
      const [patient, slice] = s.key.split('/');
      const row = readFileSync(path.join(REAL_MR, patient, 'labels.csv'), 'utf8').split('\n').find((l) => l.startsWith(`${slice}.png,`))!;
      expect(s.labels, s.key).toEqual(row.split(',').slice(1).map(Number));
    }
  });
});

describe('mixed inputs', () => {
  const ramp = (x: number, y: number) => (x * 7 + y * 13) % 256;
  function mixedTree(): string {
    const root = tmp();
    writePng(path.join(root, 'p1/s16.png'), { width: 32, height: 32, depth: 16, channels: 1, value: (x, y) => ramp(x, y) * 200 + 5 });
    writePng(path.join(root, 'p1/s8.png'), { width: 32, height: 32, depth: 8, channels: 1, value: ramp });
    writePng(path.join(root, 'p1/rgb.png'), { width: 32, height: 32, depth: 8, channels: 3, value: ramp });
    writePng(path.join(root, 'p1/rgba.png'), { width: 32, height: 32, depth: 8, channels: 4, value: (x, y, c) => (c === 3 ? 255 : ramp(x, y)) });
    writePng(path.join(root, 'p2/wide.png'), { width: 64, height: 16, depth: 16, channels: 1, value: () => 40000 });
    writeLabels(path.join(root, 'p1'), LABELS, ['s16', 's8', 'rgb', 'rgba'].map((n, i) => [`${n}.png`, i % 2, 0, 1, 0, 1]));
    writeLabels(path.join(root, 'p2'), LABELS, [['wide.png', 1, 1, 1, 1, 1]]);
    return root;
  }

  it('stores one channel at the requested size, exact for same-size greyscale and grey RGB', async () => {
    const input = mixedTree();
    const byKey16 = new Map(readDataset((await build({ input, size: 32, dtype: 'uint16' })).out).samples.map((s) => [s.key, s]));
    expect([...u16(byKey16.get('p1/s16')!.image).slice(0, 5)]).toEqual([0, 1, 2, 3, 4].map((x) => ramp(x, 0) * 200 + 5));
    expect(u16(byKey16.get('p1/s8')!.image)[33]).toBe(ramp(1, 1) * 257); // 8-bit input widens by x257
    const byKey8 = new Map(readDataset((await build({ input, size: 32, dtype: 'uint8' })).out).samples.map((s) => [s.key, s]));
    const expected8 = Uint8Array.from({ length: 32 * 32 }, (_, i) => ramp(i % 32, Math.floor(i / 32)));
    expect(byKey8.get('p1/s8')!.image).toEqual(expected8);
    expect(byKey8.get('p1/rgb')!.image).toEqual(expected8);
    expect(byKey8.get('p1/rgba')!.image).toEqual(expected8);
    // 64x16 under fit=contain: centred, zero padding above and below.
    const wide = byKey8.get('p2/wide')!.image;
    expect(wide.length).toBe(32 * 32);
    expect(wide[0]).toBe(0);
    // 16-bit input to uint8 by default is per-image min-max (auto): padding 0 -> 0, the 40000 plateau -> 255
    // (it was round(v / 257) = 156, which left 12-bit data with a handful of grey levels).
    expect(wide[16 * 32 + 16]).toBe(255);
  });
});

describe('determinism', () => {
  it('gives byte-identical output for 1 and 2 workers and across repeated builds', async () => {
    const opts = { input: REAL_MR, size: 48, shardBytes: 40_000 };
    const a = folderBytes((await build({ ...opts, workers: 1 })).out);
    const b = folderBytes((await build({ ...opts, workers: 2 })).out);
    const c = folderBytes((await build({ ...opts, workers: 2 })).out);
    expect([...a.keys()]).toEqual([...b.keys()]);
    expect(a.size).toBeGreaterThan(3);
    for (const [name, bytes] of a) {
      expect(Buffer.compare(bytes, b.get(name)!), name).toBe(0);
      expect(Buffer.compare(bytes, c.get(name)!), name).toBe(0);
    }
  });
});

describe('bad input', () => {
  function brokenTree(): string {
    const root = tmp();
    cpSync(path.join(REAL_MR, 'patient_F01'), path.join(root, 'patient_F01'), { recursive: true });
    writeFileSync(path.join(root, 'patient_F01/slice_003.png'), 'this is not a png');
    const good = readFileSync(path.join(root, 'patient_F01/slice_005.png'));
    writeFileSync(path.join(root, 'patient_F01/slice_005.png'), good.subarray(0, good.length / 2));
    return root;
  }

  it('--on-error fail stops at the first unreadable image, naming it', async () => {
    const input = brokenTree();
    await expect(build({ input, size: 17 })).rejects.toThrow(new RegExp(`^${input}/patient_F01/slice_003\\.png: cannot be decoded`));
  });

  it('--on-error skip writes the rest and lists every skipped file; counts add up', async () => {
    const input = brokenTree();
    const s = await build({ input, size: 17, onError: 'skip' });
    expect(s.inputs).toBe(15);
    expect(s.written).toBe(13);
    expect(s.skipped.map((k) => k.file)).toEqual([`${input}/patient_F01/slice_003.png`, `${input}/patient_F01/slice_005.png`]);
    expect(s.inputs).toBe(s.written + s.skipped.length);
    const { manifest, samples } = readDataset(s.out);
    expect(samples.map((x) => x.key)).not.toContain('patient_F01/slice_003');
    expect(manifest.build).toMatchObject({ inputs: 15, written: 13 });
    expect(manifest.build.skipped.map((k) => k.file)).toEqual(['patient_F01/slice_003.png', 'patient_F01/slice_005.png']);
  });

  function labelTree(csv: (dir: string) => void): string {
    const root = tmp();
    for (const p of ['a', 'b']) {
      for (const n of [1, 2]) writePng(path.join(root, p, `s${n}.png`), { width: 8, height: 8, depth: 8, channels: 1, value: (x) => x });
      writeLabels(path.join(root, p), LABELS, [['s1.png', 0, 0, 0, 0, 1], ['s2.png', 1, 0, 0, 0, 0]]);
    }
    csv(root);
    return root;
  }
  const csvCases: [string, (root: string) => void, (root: string) => string][] = [
    ['an image with no label row', (r) => writeLabels(path.join(r, 'b'), LABELS, [['s1.png', 0, 0, 0, 0, 1]]), (r) => `${r}/b/s2.png: no row for s2.png in ${r}/b/labels.csv`],
    ['a label row with no image', (r) => writeLabels(path.join(r, 'a'), LABELS, [['s1.png', 0, 0, 0, 0, 1], ['s2.png', 1, 0, 0, 0, 0], ['s9.png', 1, 1, 1, 1, 1]]), (r) => `${r}/a/labels.csv: row 4: names s9.png, which is not an image in ${r}/a`],
    ['a duplicate row', (r) => writeLabels(path.join(r, 'a'), LABELS, [['s1.png', 0, 0, 0, 0, 1], ['s2.png', 1, 0, 0, 0, 0], ['s1.png', 1, 0, 0, 0, 0]]), (r) => `${r}/a/labels.csv: row 4: duplicate row for s1.png (first at row 2)`],
    ['a non-numeric value', (r) => writeLabels(path.join(r, 'b'), LABELS, [['s1.png', 0, 0, 'x', 0, 1], ['s2.png', 1, 0, 0, 0, 0]]), (r) => `${r}/b/labels.csv: row 2: label nodule is not a number ("x")`],
    ['a header that differs between patients', (r) => writeLabels(path.join(r, 'b'), ['slice', 'a', 'b', 'c', 'd', 'e'], [['s1.png', 0, 0, 0, 0, 1], ['s2.png', 1, 0, 0, 0, 0]]), (r) => `${r}/b/labels.csv: label columns [a, b, c, d, e] differ from [atelectasis, effusion, nodule, pneumothorax, emphysema] in ${r}/a/labels.csv`],
    ['a missing labels.csv', (r) => rmSync(path.join(r, 'b/labels.csv')), (r) => `${r}/b/labels.csv: missing (every folder with images needs one)`],
  ];
  for (const [name, mutate, message] of csvCases) {
    it(`names file and row for ${name}`, async () => {
      const input = labelTree(mutate);
      await expect(build({ input, size: 8 })).rejects.toThrow(message(input));
      const s = await build({ input, size: 8, onError: 'skip' });
      expect(s.inputs).toBe(4);
      expect(s.written + s.skipped.length).toBe(4);
      const reported = [...s.skipped.map((k) => `${k.file}: ${k.reason}`), ...s.warnings];
      expect(reported.some((line) => line.includes(message(input))), reported.join('\n')).toBe(true);
      for (const k of s.skipped) expect(k.file).toMatch(/\.png$/); // what is skipped is always an input image
    });
  }

  it('refuses an empty input folder and a missing one', async () => {
    const empty = tmp();
    await expect(build({ input: empty })).rejects.toThrow(`${empty}: no images found`);
    await expect(build({ input: path.join(empty, 'nope') })).rejects.toThrow('input folder does not exist');
  });
});

describe('a few thousand slices', () => {
  it('builds 3,000 synthetic slices: every one written once, in key order, labels as in the CSVs', async () => {
    const { makeSyntheticSet } = await import('../scripts/make-synthetic.js');
    const input = tmp();
    await makeSyntheticSet({ out: input, patients: 30, slices: 100, size: 40, bits: 16, seed: 11 });
    const s = await build({ input, size: 32, shardBytes: 1 << 20 });
    expect(s).toMatchObject({ inputs: 3000, written: 3000, skipped: [] });
    const { manifest, samples } = readDataset(s.out);
    expect(manifest.shards.length).toBe(Math.ceil(3000 / manifest.recordsPerShard));
    const keys = samples.map((x) => x.key);
    expect(new Set(keys).size).toBe(3000);
    expect(keys).toEqual([...keys].sort());
    for (const x of samples.filter((_, i) => i % 97 === 0)) {
      const [patient, slice] = x.key.split('/');
      const row = readFileSync(path.join(input, patient, 'labels.csv'), 'utf8').split('\n').find((l) => l.startsWith(`${slice}.png,`))!;
      expect(x.labels, x.key).toEqual(row.split(',').slice(1).map(Number));
    }
  }, 120_000);
});
