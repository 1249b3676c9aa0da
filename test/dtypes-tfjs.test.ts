// int16 / float32 / 3-channel datasets train through toTfDataset and model.fitDataset with @tensorflow/tfjs.
import { rmSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Dtype } from 'shard-format';
import { openDataset, type Dataset } from 'shard-reader';
import { toTfDataset, type TfDatasetOptions } from 'shard-reader/tfjs';
import { tempDir } from './helpers/tree.js';
import { typedImage, typedKey, writeTypedSet } from './helpers/typed-set.js';

let root = '';
const open: Dataset[] = [];

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = tempDir('dtypes-tfjs-');
});

afterAll(async () => {
  await Promise.all(open.map((d) => d.close()));
  if (root) rmSync(root, { recursive: true, force: true });
});

async function dataset(dtype: Dtype, c: number, workers: number): Promise<Dataset> {
  const dir = path.join(root, `${dtype}x${c}-w${workers}`);
  await writeTypedSet(dir, { dtype, h: 8, w: 8, c, samples: 10 });
  const ds = await openDataset(dir, { workers });
  open.push(ds);
  return ds;
}

const cases: [Dtype, number, number, TfDatasetOptions][] = [
  ['int16', 3, 0, { range: [-1024, 3071] }],
  ['int16', 1, 2, { normalize: { mean: 40, std: 80 } }],
  ['float32', 3, 2, { range: [-1024, 3071] }],
  ['float32', 1, 0, { normalize: 'none' }],
  ['uint8', 3, 2, {}],
];

it.each(cases)('%s x %i channels (%i workers): xs are the normalised values, and a tiny model trains two epochs without leaking tensors', async (dtype, c, workers, opts) => {
  const ds = await dataset(dtype, c, workers);
  const train = toTfDataset(ds, tf, { batchSize: 4, seed: 1, shuffle: 'none', ...opts });
  // xs hold exactly the affine map the options describe.
  const [lo, hi] = opts.range ?? (dtype === 'uint8' ? [0, 255] : [0, 1]);
  const map = (v: number) => (opts.normalize === 'none' ? v : typeof opts.normalize === 'object' ? (v - opts.normalize.mean) / opts.normalize.std : (v - lo) / (hi - lo));
  const it0 = await train.iterator();
  const first = (await it0.next()).value as { xs: tf.Tensor4D; ys: tf.Tensor2D };
  expect(first.xs.shape).toEqual([4, 8, 8, c]);
  expect(first.xs.dtype).toBe('float32');
  const xs = first.xs.dataSync();
  const n = 8 * 8 * c;
  for (let k = 0; k < 4; k++) {
    const want = Array.from(typedImage(dtype, k, n), map);
    Array.from(xs.subarray(k * n, (k + 1) * n)).forEach((v, j) => expect(v, `${typedKey(k)}[${j}]`).toBeCloseTo(want[j], 4));
  }
  tf.dispose([first.xs, first.ys]);

  const fresh = toTfDataset(ds, tf, { batchSize: 4, seed: 1, ...opts });
  const model = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [8, 8, c], filters: 2, kernelSize: 3, activation: 'relu' }), tf.layers.flatten(), tf.layers.dense({ units: 2, activation: 'sigmoid' })] });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'binaryCrossentropy' });
  const atEpochEnd: number[] = [];
  const h = await model.fitDataset(fresh, { epochs: 2, verbose: 0, callbacks: { onEpochEnd: async () => void atEpochEnd.push(tf.memory().numTensors) } });
  expect(h.history.loss.every((l) => Number.isFinite(l as number))).toBe(true);
  expect(fresh.epochsStarted).toBe(2);
  expect(atEpochEnd[1]).toBe(atEpochEnd[0]); // no tensor leaked per batch
  model.optimizer.dispose();
  model.dispose();
}, 60_000);

it("toTfDataset refuses an int16 dataset with normalize 'unit' and no range before training starts", async () => {
  const ds = await dataset('int16', 3, 0);
  expect(() => toTfDataset(ds, tf, { batchSize: 4 })).toThrow(/normalize 'unit' needs a value range for int16 samples/);
});
