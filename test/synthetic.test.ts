// Checks the synthetic CT generator: tree layout, labels.csv shape, determinism by seed, and decodable PNGs.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { decode } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSyntheticSet, type SyntheticOptions } from '../scripts/make-synthetic.js';

const HEADER = 'slice,atelectasis,effusion,nodule,pneumothorax,emphysema';
const tiny = { patients: 2, slices: 3, size: 32 } satisfies Partial<SyntheticOptions>;

let root: string;
const dirA = () => join(root, 'a');

/** Relative paths of the PNG and CSV files under dir, sorted, with '/' separators. */
async function listFiles(dir: string): Promise<string[]> {
  const paths = await readdir(dir, { recursive: true });
  return paths
    .filter((p) => /\.(png|csv)$/.test(p))
    .map((p) => p.split(sep).join('/'))
    .sort();
}

async function readAll(dir: string): Promise<Map<string, Buffer>> {
  const files = await listFiles(dir);
  return new Map(await Promise.all(files.map(async (f) => [f, await readFile(join(dir, f))] as const)));
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'synthetic-'));
  await makeSyntheticSet({ ...tiny, out: dirA(), seed: 7 });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('makeSyntheticSet', () => {
  it('writes patient folders with zero-padded slices and a labels.csv each', async () => {
    const r = await makeSyntheticSet({ ...tiny, out: join(root, 'layout'), seed: 7 });
    expect(r).toEqual({ files: 8, slices: 6, dir: join(root, 'layout') });
    expect(await listFiles(r.dir)).toEqual([
      'patient_001/labels.csv',
      'patient_001/slice_001.png',
      'patient_001/slice_002.png',
      'patient_001/slice_003.png',
      'patient_002/labels.csv',
      'patient_002/slice_001.png',
      'patient_002/slice_002.png',
      'patient_002/slice_003.png',
    ]);
  });

  it('writes one 0/1 row per slice under the disease header', async () => {
    const csv = await readFile(join(dirA(), 'patient_001/labels.csv'), 'utf8');
    expect(csv.endsWith('\n')).toBe(true);
    const lines = csv.slice(0, -1).split('\n');
    expect(lines[0]).toBe(HEADER);
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['slice_001.png', 'slice_002.png', 'slice_003.png']);
    for (const line of lines.slice(1)) expect(line).toMatch(/^slice_\d{3}\.png(,[01]){5}$/);
  });

  it('is byte-identical for the same seed and differs for another seed', async () => {
    await makeSyntheticSet({ ...tiny, out: join(root, 'same'), seed: 7 });
    await makeSyntheticSet({ ...tiny, out: join(root, 'other'), seed: 8 });
    const [a, same, other] = await Promise.all([readAll(dirA()), readAll(join(root, 'same')), readAll(join(root, 'other'))]);
    expect([...same.keys()]).toEqual([...a.keys()]);
    for (const [f, bytes] of a) expect(same.get(f)!.equals(bytes), f).toBe(true);
    const pngs = [...a.keys()].filter((f) => f.endsWith('.png'));
    expect(pngs.every((f) => !other.get(f)!.equals(a.get(f)!))).toBe(true);
  });

  it('writes 16-bit greyscale PNGs of the requested size in the CT stored range', async () => {
    const png = decode(await readFile(join(dirA(), 'patient_002/slice_002.png')));
    expect([png.depth, png.channels, png.width, png.height]).toEqual([16, 1, 32, 32]);
    const values = png.data as Uint16Array;
    expect(Math.max(...values)).toBeLessThanOrEqual(4095);
    expect(Math.max(...values)).toBeGreaterThan(1024); // soft tissue and bone are above HU 0
  });

  it('cycles formats per patient with --mixed', async () => {
    const out = join(root, 'mixed');
    await makeSyntheticSet({ patients: 4, slices: 1, size: 256, seed: 1, mixed: true, out });
    const shapes = await Promise.all(
      [1, 2, 3, 4].map(async (p) => {
        const png = decode(await readFile(join(out, `patient_00${p}/slice_001.png`)));
        return [png.width, png.height, png.depth, png.channels];
      }),
    );
    expect(shapes).toEqual([
      [256, 256, 16, 1],
      [256, 256, 8, 1],
      [256, 256, 8, 3],
      [200, 180, 16, 1],
    ]);
  });

  it('numbers patients on across splits', async () => {
    const out = join(root, 'split');
    await makeSyntheticSet({ patients: 1, slices: 1, size: 16, splits: ['train', 'val'], out });
    expect(await listFiles(out)).toEqual([
      'train/patient_001/labels.csv',
      'train/patient_001/slice_001.png',
      'val/patient_002/labels.csv',
      'val/patient_002/slice_001.png',
    ]);
  });
});
