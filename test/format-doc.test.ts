// docs/FORMAT.md is enough to write a reader: a Python reader written from it agrees with ours on every sample.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { buildShards, type BuildOptions } from 'shard-writer';
import { openDataset } from 'shard-reader';
import { tempDir } from './helpers/tree.js';
import { writeTypedSet } from './helpers/typed-set.js';

const hasPython = spawnSync('python3', ['--version']).status === 0;
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

it.skipIf(!hasPython)('a Python reader following FORMAT.md reads the same pixels and labels', async () => {
  const out = tempDir();
  dirs.push(out);
  for (const dtype of ['uint8', 'uint16'] as const) {
    const dir = path.join(out, dtype);
    await buildShards({ input: path.join(import.meta.dirname, 'fixtures/real-mr'), out: dir, size: 20, dtype, shardBytes: 12_000 });
    const py = JSON.parse(execFileSync('python3', [path.join(import.meta.dirname, 'python/read_shards.py'), dir], { encoding: 'utf8' })) as Record<string, [number, number[]]>;
    const ds = await openDataset(dir, { workers: 0 });
    expect(Object.keys(py).length).toBe(ds.size);
    for (let i = 0; i < ds.size; i++) {
      const sum = (ds.image(i) as Uint8Array).reduce((a: number, v: number) => a + v, 0);
      expect(py[ds.keys[i]], ds.keys[i]).toEqual([sum, [...ds.recordLabels(i)]]);
    }
    await ds.close();
  }
});

it.skipIf(!hasPython)('the Python reader reads int16 and float32 modality values and 3-channel samples as ours does', async () => {
  const out = tempDir();
  dirs.push(out);
  for (const [dtype, c] of [['int16', 3], ['float32', 3], ['float32', 1]] as const) {
    const dir = path.join(out, `${dtype}x${c}`);
    await writeTypedSet(dir, { dtype, h: 6, w: 5, c, samples: 9 });
    const py = JSON.parse(execFileSync('python3', [path.join(import.meta.dirname, 'python/read_shards.py'), dir], { encoding: 'utf8' })) as Record<string, [number, number[]]>;
    const ds = await openDataset(dir, { workers: 0 });
    expect(Object.keys(py).length).toBe(ds.size);
    for (let i = 0; i < ds.size; i++) {
      const img = ds.image(i);
      expect(img.length).toBe(6 * 5 * c);
      // Summed in the same order in double on both sides, so equal exactly (negative values included).
      const sum = Array.from(img).reduce((a, v) => a + v, 0);
      expect(py[ds.keys[i]], ds.keys[i]).toEqual([sum, [...ds.recordLabels(i)]]);
    }
    await ds.close();
  }
});

it.skipIf(!hasPython)('the canonical-number recipe in FORMAT.md agrees with JavaScript on awkward doubles', () => {
  // Python's json.dumps writes 1e-07 and 1e+16 where JSON.stringify writes 1e-7 and 10000000000000000.
  const values = [1e-7, 1e16, 1e21, 1.5e21, 5e-324, -0, 0.1, Math.fround(0.1), 1e-6, 123.456, -2.5e-8, 2 ** 53 + 2, 1.7976931348623157e308];
  let x = 0.5; // and a few hundred pseudo-random ones across the exponent range
  for (let i = 0; i < 300; i++) {
    x = (x * 9301 + 49297) % 233280;
    values.push((x / 233280 - 0.5) * 10 ** ((i % 60) - 30));
  }
  const py = JSON.parse(execFileSync('python3', [path.join(import.meta.dirname, 'python/read_shards.py'), '--numbers'], { input: JSON.stringify(values), encoding: 'utf8' })) as string[];
  expect(py).toEqual(values.map((v) => JSON.stringify(v)));
});

it.skipIf(!hasPython)('the Python reader reads a DICOM + NIfTI build (float32 modality values; windows as 3 channels) as ours does', async () => {
  const out = tempDir();
  dirs.push(out);
  const input = path.join(out, 'in');
  mkdirSync(input);
  for (const f of ['CT_small.dcm', 'MR_small_enhanced_3frame.dcm']) copyFileSync(path.join(import.meta.dirname, 'fixtures/dicom', f), path.join(input, f));
  copyFileSync(path.join(import.meta.dirname, 'fixtures/nifti/anatomical.nii'), path.join(input, 'anat.nii'));
  writeFileSync(path.join(input, 'labels.csv'), 'file,a\nCT_small.dcm,1\nMR_small_enhanced_3frame.dcm,0\nanat.nii,1\n');
  const variants: [string, Partial<BuildOptions>][] = [
    ['f32', { dtype: 'float32' }],
    ['win3', { windows: [{ center: 40, width: 80 }, { center: 80, width: 200 }, { center: 600, width: 2800 }] }],
  ];
  for (const [name, opts] of variants) {
    const dir = path.join(out, name);
    await buildShards({ input, out: dir, size: 24, shardBytes: 40_000, ...opts });
    const py = JSON.parse(execFileSync('python3', [path.join(import.meta.dirname, 'python/read_shards.py'), dir], { encoding: 'utf8' })) as Record<string, [number, number[]]>;
    const ds = await openDataset(dir, { workers: 0 });
    expect(ds.size).toBe(1 + 3 + 25);
    expect(Object.keys(py).length).toBe(ds.size);
    for (let i = 0; i < ds.size; i++) {
      const sum = (ds.image(i) as unknown as ArrayLike<number> & { reduce: (f: (a: number, v: number) => number, s: number) => number }).reduce((a, v) => a + v, 0);
      expect(py[ds.keys[i]][0], ds.keys[i]).toBeCloseTo(sum, name === 'f32' ? -1 : 10);
    }
    await ds.close();
  }
});
