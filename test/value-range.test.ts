// Modality values (int16/float32) without a range: normalize 'unit' (toTfDataset) and PNG export fall back
// to the value range the build recorded in the manifest, instead of refusing.
import { cpSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { decode } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDataset, type Dataset } from 'shard-reader';
import { floatTransform, toTfDataset } from 'shard-reader/tfjs';
import { buildShards } from 'shard-writer';
import { shard } from './helpers/run-cli.js';
import { tempDir } from './helpers/tree.js';

let root = '';
let out = '';
let ds: Dataset;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = tempDir('value-range-');
  // Ten constant CT slices holding 10, 20, ..., 60 and 110, ..., 140 (see fixtures/dicom-series/make.py).
  cpSync(path.join(import.meta.dirname, 'fixtures', 'dicom-series', 'p1'), path.join(root, 'in', 'p1'), { recursive: true });
  out = (await buildShards({ input: path.join(root, 'in'), out: path.join(root, 'f32'), size: 4, dtype: 'float32', workers: 1 })).out;
  ds = await openDataset(out, { workers: 0 });
});
afterAll(async () => {
  await ds?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("the manifest's value range as the default for modality values", () => {
  it("normalize 'unit' maps values.min..values.max to [0, 1] when no range is given", async () => {
    expect([ds.manifest.values!.min, ds.manifest.values!.max]).toEqual([10, 140]);
    const train = toTfDataset(ds, tf, { batchSize: 10, shuffle: 'none' });
    const it0 = await train.iterator();
    const { xs, ys } = (await it0.next()).value as { xs: tf.Tensor4D; ys: tf.Tensor2D };
    const x = xs.dataSync();
    const img = await ds.images([...Array(10).keys()]);
    for (let i = 0; i < 10; i++) expect(x[i * 16]).toBeCloseTo((img[i][0] - 10) / 130, 6);
    expect(Math.min(...x)).toBeCloseTo(0, 6);
    expect(Math.max(...x)).toBeCloseTo(1, 6);
    tf.dispose([xs, ys]);
    // A range given still wins; { mean, std } without one stays in stored units.
    expect(floatTransform('float32', 'unit', [0, 100], { min: 10, max: 140 })).toEqual({ scale: 0.01, offset: 0 });
    expect(floatTransform('float32', { mean: 40, std: 80 }, undefined, { min: 10, max: 140 })).toEqual({ scale: 1 / 80, offset: -0.5 });
    expect(() => floatTransform('int16', 'unit', undefined, { min: 5, max: 5 })).toThrow(/the build saw one value only \(5\)/);
  });

  it('export --format png without --window spreads the value range over 0..255 and says so', async () => {
    const dir = path.join(root, 'png');
    const r = await shard('export', out, '--out', dir, '--format', 'png');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/value range 10\.\.140 is mapped to 0\.\.255/);
    const pixel = (key: string) => decode(readFileSync(path.join(dir, `${key}.png`))).data[0];
    expect(pixel('p1/e7')).toBe(0); // 10: the lowest value
    expect(pixel('p1/j2')).toBe(255); // 140: the highest
    expect(pixel('p1/a2')).toBe(Math.round((10 / 130) * 255)); // 20
  });
});
