// shard-reader/tfjs under model.fitDataset: exactly-once epochs claimed in read order, validation, resume, scaling, no tensor leaks.
import { rmSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDataset, type Batch, type BatchOptions, type Dataset } from 'shard-reader';
import { toTfDataset, type TfBatchInfo } from 'shard-reader/tfjs';
import { buildShards } from 'shard-writer';
import { makeSyntheticSet } from '../scripts/make-synthetic.js';
import { tempDir } from './helpers/tree.js';

const SIZE = 16;
const OPTS = { batchSize: 8, seed: 5, shuffle: 'global' } as const satisfies BatchOptions;

let root = '';
let train: Dataset; // 30 uint8 samples over 3 shards
let val: Dataset; // 30 more, other patients
let wide: Dataset; // 6 uint16 samples

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = tempDir('tfjs-test-');
  const src = path.join(root, 'src');
  await makeSyntheticSet({ out: src, patients: 3, slices: 10, size: SIZE, bits: 8, seed: 1, splits: ['train', 'val'] });
  await makeSyntheticSet({ out: path.join(root, 'src16'), patients: 1, slices: 6, size: SIZE, bits: 16, seed: 2 });
  // 8 KiB shards hold ~13 records here: the shuffle has several shards to mix.
  const build = (input: string, out: string, extra: object = {}) => buildShards({ input, out: path.join(root, out), size: SIZE, shardBytes: 8192, ...extra });
  train = await openDataset((await build(path.join(src, 'train'), 'train')).out);
  val = await openDataset((await build(path.join(src, 'val'), 'val')).out, { workers: 0 });
  wide = await openDataset((await build(path.join(root, 'src16'), 'wide', { dtype: 'uint16' })).out, { workers: 0 });
});

afterAll(async () => {
  await Promise.all([train, val, wide].map((d) => d?.close()));
  if (root) rmSync(root, { recursive: true, force: true });
});

async function collect(ds: Dataset, o: BatchOptions): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of ds.batches(o)) out.push(b);
  return out;
}

async function expectedKeys(ds: Dataset, o: BatchOptions): Promise<string[]> {
  return (await collect(ds, o)).flatMap((b) => b.keys);
}

function tinyModel(ds: Dataset): tf.Sequential {
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: ds.shape }), tf.layers.dense({ units: ds.labelNames.length, activation: 'sigmoid' })] });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'binaryCrossentropy' });
  return model;
}

function disposeModel(model: tf.LayersModel): void {
  model.optimizer.dispose();
  model.dispose();
}

/** Batches handed out, grouped by the fitDataset epoch that was running when each was read. */
function recorder() {
  let fitEpoch = -1;
  const seen: { fitEpoch: number; info: TfBatchInfo }[] = [];
  const trained: number[] = [];
  return {
    seen,
    trained,
    onBatch: (info: TfBatchInfo) => seen.push({ fitEpoch, info }),
    callbacks: {
      onEpochBegin: async (e: number) => {
        fitEpoch = e;
      },
      onBatchEnd: async () => {
        trained.push(fitEpoch);
      },
    },
    epoch(e: number) {
      return seen.filter((s) => s.fitEpoch === e).map((s) => s.info);
    },
  };
}

async function expectExactlyOnceEpochs(rec: ReturnType<typeof recorder>, epochs: number): Promise<void> {
  const all = [...train.keys].sort();
  const orders: string[][] = [];
  for (let e = 0; e < epochs; e++) {
    const infos = rec.epoch(e);
    // The data epoch is the fit epoch: claimed in the order iterators were read, starting at 0.
    expect(infos.map((i) => i.epoch)).toEqual(infos.map(() => e));
    expect(infos.map((i) => i.batch)).toEqual(infos.map((_, b) => b));
    const keys = infos.flatMap((i) => i.keys);
    expect([...keys].sort()).toEqual(all);
    expect(keys).toEqual(await expectedKeys(train, { ...OPTS, epoch: e }));
    // Every batch handed out was trained on in the same epoch.
    expect(rec.trained.filter((t) => t === e).length).toBe(infos.length);
    orders.push(keys);
  }
  expect(rec.seen.length).toBe(epochs * Math.ceil(train.size / OPTS.batchSize));
  for (let e = 1; e < epochs; e++) expect(orders[e]).not.toEqual(orders[e - 1]);
}

describe('toTfDataset under model.fitDataset', () => {
  it('without batchesPerEpoch: one iterator per epoch, the unread first iterator claims nothing', async () => {
    const rec = recorder();
    const data = toTfDataset(train, tf, { ...OPTS, onBatch: rec.onBatch });
    // The result is the caller's own tf.data.Dataset (elements typed as TensorContainer), so it goes straight into fitDataset.
    const typed: tf.data.Dataset<tf.TensorContainer> = data;
    expect(typed.size).toBe(4);
    expect(data.batchesPerEpoch).toBe(4);
    const model = tinyModel(train);
    const history = await model.fitDataset(data, { epochs: 3, verbose: 0, callbacks: rec.callbacks });
    disposeModel(model);
    expect(history.history.loss).toHaveLength(3);
    await expectExactlyOnceEpochs(rec, 3);
    expect(data.epochsStarted).toBe(3);
    expect(data.resumeOptions()).toEqual({ startEpoch: 3, startBatch: 0 });
  });

  it('with batchesPerEpoch and repeat: one iterator runs epoch after epoch', async () => {
    const rec = recorder();
    const data = toTfDataset(train, tf, { ...OPTS, repeat: true, onBatch: rec.onBatch });
    expect(data.size).toBe(Infinity);
    const model = tinyModel(train);
    await model.fitDataset(data, { epochs: 3, batchesPerEpoch: data.batchesPerEpoch, verbose: 0, callbacks: rec.callbacks });
    disposeModel(model);
    await expectExactlyOnceEpochs(rec, 3);
    // fitDataset stops reading after the last step, so epoch 3 is never claimed.
    expect(data.epochsStarted).toBe(3);
    expect(data.state()).toMatchObject({ epoch: 2, nextBatch: 4, batchesPerEpoch: 4 });
  });

  it('with validationData: the whole validation set, in order, every epoch', async () => {
    const rec = recorder();
    const valRec = recorder();
    const data = toTfDataset(train, tf, { ...OPTS, onBatch: rec.onBatch });
    const valData = toTfDataset(val, tf, { batchSize: 8, shuffle: 'none', onBatch: valRec.onBatch });
    const model = tinyModel(train);
    // One callback object feeds both recorders the fit epoch.
    const callbacks = {
      onEpochBegin: async (e: number) => {
        await rec.callbacks.onEpochBegin(e);
        await valRec.callbacks.onEpochBegin(e);
      },
      onBatchEnd: rec.callbacks.onBatchEnd,
    };
    const history = await model.fitDataset(data, { epochs: 2, validationData: valData, verbose: 0, callbacks });
    disposeModel(model);
    expect(history.history.val_loss).toHaveLength(2);
    await expectExactlyOnceEpochs(rec, 2);
    for (let e = 0; e < 2; e++) expect(valRec.epoch(e).flatMap((i) => i.keys)).toEqual(val.keys);
  });

  it('leaks no tensors: numTensors equal at every epoch end, and equal to a plain tf.data.generator pipeline', async () => {
    const epochs = 4;
    async function run(makeData: () => tf.data.Dataset<tf.TensorContainer>): Promise<number[]> {
      const before = tf.memory().numTensors;
      const counts: number[] = [];
      const model = tinyModel(train);
      await model.fitDataset(makeData(), { epochs, verbose: 0, callbacks: { onEpochEnd: async () => void counts.push(tf.memory().numTensors - before) } });
      disposeModel(model);
      expect(tf.memory().numTensors).toBe(before);
      return counts;
    }
    let baselineEpoch = 0;
    const baseline = await run(() =>
      tf.data.generator(async function* () {
        for await (const b of train.batches({ ...OPTS, epoch: baselineEpoch++ })) {
          const n = b.keys.length;
          yield { xs: tf.tensor4d(Float32Array.from(b.images, (v) => v / 255), [n, SIZE, SIZE, 1]), ys: tf.tensor2d(b.labels, [n, train.labelNames.length]) };
        }
      }),
    );
    const ours = await run(() => toTfDataset(train, tf, OPTS));
    expect(new Set(ours).size).toBe(1);
    expect(ours).toEqual(baseline);
  });
});

describe('toTfDataset batches', () => {
  async function firstBatch(ds: Dataset, o: Parameters<typeof toTfDataset>[2]): Promise<{ xs: Float32Array; ys: Float32Array; shape: number[]; dtype: string }> {
    const it = await toTfDataset(ds, tf, o).iterator();
    const { value } = (await it.next()) as { value: { xs: tf.Tensor4D; ys: tf.Tensor2D } };
    const out = { xs: value.xs.dataSync() as Float32Array, ys: value.ys.dataSync() as Float32Array, shape: value.xs.shape, dtype: value.xs.dtype };
    expect(value.ys.dtype).toBe('float32');
    expect(value.ys.shape).toEqual([out.shape[0], ds.labelNames.length]);
    tf.dispose([value.xs, value.ys]);
    return out;
  }

  it('uint8: xs is float32 [batch, H, W, C] equal to images / 255 exactly; ys are the labels', async () => {
    const [raw] = await collect(train, { ...OPTS, epoch: 0 });
    const got = await firstBatch(train, OPTS);
    expect(got.dtype).toBe('float32');
    expect(got.shape).toEqual([8, SIZE, SIZE, 1]);
    expect(got.xs).toEqual(Float32Array.from(raw.images, (v) => v / 255));
    expect(got.ys).toEqual(raw.labels);
    expect(Math.max(...got.xs)).toBeLessThanOrEqual(1);
  });

  it("uint16 'unit' divides by 65535; 'none' keeps raw values; { mean, std } standardises unit values", async () => {
    const [raw] = await collect(wide, { batchSize: 4, shuffle: 'none' });
    expect(raw.images).toBeInstanceOf(Uint16Array);
    const o = { batchSize: 4, shuffle: 'none' } as const;
    expect((await firstBatch(wide, o)).xs).toEqual(Float32Array.from(raw.images, (v) => v / 65535));
    expect((await firstBatch(wide, { ...o, normalize: 'none' })).xs).toEqual(Float32Array.from(raw.images));
    const std = (await firstBatch(wide, { ...o, normalize: { mean: 0.25, std: 0.5 } })).xs;
    const want = Float32Array.from(raw.images, (v) => (v / 65535 - 0.25) / 0.5);
    for (let i = 0; i < want.length; i++) expect(std[i]).toBeCloseTo(want[i], 5);
    expect(() => toTfDataset(wide, tf, { normalize: { mean: 0, std: 0 } })).toThrow(/std/);
  });

  it('resumes inside the first epoch read (startEpoch, startBatch), then continues with whole epochs', async () => {
    const seen: TfBatchInfo[] = [];
    const data = toTfDataset(train, tf, { ...OPTS, repeat: true, startEpoch: 1, startBatch: 2, onBatch: (i) => seen.push(i) });
    expect(data.resumeOptions()).toEqual({ startEpoch: 1, startBatch: 2 });
    const it = await data.iterator();
    for (let i = 0; i < 3; i++) tf.dispose((await it.next()).value);
    expect(seen.map((s) => [s.epoch, s.batch])).toEqual([[1, 2], [1, 3], [2, 0]]);
    const full1 = await collect(train, { ...OPTS, epoch: 1 });
    expect(seen[0].keys).toEqual(full1[2].keys);
    expect(data.resumeOptions()).toEqual({ startEpoch: 2, startBatch: 1 });
    expect(data.epochsStarted).toBe(2);
  });

  it('rejects bad options when called, not inside fitDataset', () => {
    expect(() => toTfDataset(train, tf, { startBatch: 99 })).toThrow(RangeError);
    expect(() => toTfDataset(train, tf, { rank: 2, worldSize: 2 })).toThrow(/rank/);
  });
});

describe('buffer recycling', () => {
  it('reuses a batch buffer only after its tensor data is gone, never while a clone still uses it', async () => {
    const ds = await openDataset(train.dir, { workers: 1 });
    await ds.ready();
    const handed: Float32Array[] = [];
    const spy = { ...tf, data: tf.data, engine: tf.engine, tensor2d: tf.tensor2d, tensor4d: (v: Float32Array, s: [number, number, number, number], d: 'float32') => (handed.push(v), tf.tensor4d(v, s, d)) };
    const it = await toTfDataset(ds, spy as unknown as typeof tf, { ...OPTS, batchSize: 4 }).iterator();
    const first = (await it.next()).value as { xs: tf.Tensor; ys: tf.Tensor };
    const kept = tf.clone(first.xs);
    const expected = kept.dataSync().slice();
    first.xs.dispose();
    first.ys.dispose();
    for (let i = 0; i < 5; i++) {
      const { xs, ys } = (await it.next()).value as { xs: tf.Tensor; ys: tf.Tensor };
      xs.dispose();
      ys.dispose();
    }
    expect(handed[0].length).toBeGreaterThan(0); // a clone still shares it: not recycled
    expect(kept.dataSync()).toEqual(expected);
    expect(handed.slice(1, 4).every((a) => a.length === 0)).toBe(true); // disposed ones went back (detached here)
    kept.dispose();
    await ds.close();
  });
});
