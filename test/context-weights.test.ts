// Reader options context (2.5D neighbours as channels) and weights/balance (weighted epochs), end to end
// from built shards, through worker threads and toTfDataset.
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from 'shard-cli';
import { openDataset, type Batch, type BatchOptions, type Dataset } from 'shard-reader';
import { toTfDataset } from 'shard-reader/tfjs';
import { buildShards } from 'shard-writer';
import { tempDir, writeLabels, writePng } from './helpers/tree.js';

const SIZE = 16;
let root = '';
let inline: Dataset;
let threaded: Dataset;
/** Slice number (1-based) of patient p: pixel value = pattern + 20 * slice, pattern asymmetric so flips show. */
const pattern = (x: number, y: number) => (x + 2 * y) % 7;
const value = (p: number, s: number) => (x: number, y: number) => pattern(x, y) + 20 * s + p;

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = tempDir('context-test-');
  const input = path.join(root, 'in');
  // Names are not zero-padded: manifest (code-unit) order puts s10 before s2, series order must not.
  for (const [p, slices] of [[1, 11], [2, 3]] as const) {
    const rows: (string | number)[][] = [];
    for (let s = 1; s <= slices; s++) {
      writePng(path.join(input, `p${p}/s${s}.png`), { width: SIZE, height: SIZE, depth: 8, channels: 1, value: value(p, s) });
      rows.push([`s${s}.png`, s <= 2 && p === 1 ? 1 : 0, s % 2]);
    }
    writeLabels(path.join(input, `p${p}`), ['slice', 'rare', 'odd'], rows);
  }
  const out = (await buildShards({ input, out: path.join(root, 'shards'), size: SIZE, shardBytes: 8192, workers: 2 })).out;
  inline = await openDataset(out, { workers: 0 });
  threaded = await openDataset(out, { workers: 1 });
});
afterAll(async () => {
  await Promise.all([inline, threaded].map((d) => d?.close()));
  if (root) rmSync(root, { recursive: true, force: true });
});

async function collect(ds: Dataset, o: BatchOptions): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of ds.batches(o)) out.push(b);
  return out;
}
const sliceOf = (key: string) => Number(/s(\d+)$/.exec(key)![1]);

describe('context: k', () => {
  it('stacks the k neighbours on each side within the series as channels, edges repeated, in workers too', async () => {
    for (const ds of [inline, threaded]) {
      for (const k of [1, 2]) {
        const width = 2 * k + 1;
        const batches = await collect(ds, { batchSize: 5, shuffle: 'global', seed: 3, context: k });
        let seen = 0;
        for (const b of batches) {
          expect(b.images.length).toBe(b.keys.length * SIZE * SIZE * width);
          b.keys.forEach((key, i) => {
            const p = Number(key[1]);
            const slices = p === 1 ? 11 : 3;
            const s = sliceOf(key);
            for (let j = 0; j < width; j++) {
              const want = Math.min(slices, Math.max(1, s + j - k)); // series order, edge repeated
              const px = (y: number, x: number) => b.images[((i * SIZE + y) * SIZE + x) * width + j];
              expect(px(3, 5), `${key} channel ${j}`).toBe(value(p, want)(5, 3));
            }
            seen++;
          });
        }
        expect(seen).toBe(14);
      }
    }
  });

  it('applies one augmentation to every channel, the middle channel equal to the sample augmented alone', async () => {
    const augment = { flipH: true, flipV: true, rot90: true };
    const o: BatchOptions = { batchSize: 14, shuffle: 'none', seed: 9, augment };
    const [plain] = await collect(threaded, o);
    const [ctx] = await collect(threaded, { ...o, context: 1 });
    const P = SIZE * SIZE;
    let moved = 0;
    ctx.keys.forEach((key, i) => {
      const p = Number(key[1]);
      const s = sliceOf(key);
      const slices = p === 1 ? 11 : 3;
      for (let q = 0; q < P; q++) {
        const mid = ctx.images[(i * P + q) * 3 + 1];
        expect(mid).toBe(plain.images[i * P + q]);
        // Neighbours differ from the sample by a constant only if they were moved the same way.
        expect(ctx.images[(i * P + q) * 3] - mid).toBe(20 * (Math.max(1, s - 1) - s));
        expect(ctx.images[(i * P + q) * 3 + 2] - mid).toBe(20 * (Math.min(slices, s + 1) - s));
      }
      if (plain.images[i * P + 1] !== value(p, s)(1, 0)) moved++;
    });
    expect(moved).toBeGreaterThan(0); // the augmentation did something
  });

  it('feeds toTfDataset with C = 2k+1 and trains', async () => {
    const train = toTfDataset(threaded, tf, { batchSize: 4, seed: 1, context: 1 });
    const model = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [SIZE, SIZE, 3], filters: 2, kernelSize: 3 }), tf.layers.flatten(), tf.layers.dense({ units: 2, activation: 'sigmoid' })] });
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'binaryCrossentropy' });
    const h = await model.fitDataset(train, { epochs: 1, verbose: 0 });
    const after = tf.memory().numTensors; // model weights and optimizer state exist now
    await model.fitDataset(train, { epochs: 2, verbose: 0 });
    expect(h.history.loss).toHaveLength(1);
    expect(tf.memory().numTensors).toBe(after);
    expect(() => threaded.batches({ context: -1 })).toThrow(/context must be an integer/);
  });
});

describe('shard export --context', () => {
  it('writes the stacked sample: H x W x (2k+1), the sample in the middle channel', async () => {
    const out = path.join(root, 'export');
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await main(['export', inline.dir, '--out', out, '--context', '1', '--keys', 'p1/s10,p2/s1'])).toBe(0);
      expect(await main(['export', inline.dir, '--out', out, '--context', '2', '--format', 'png'])).toBe(2);
    } finally {
      err.mockRestore();
    }
    for (const [key, slices] of [['p1/s10', [9, 10, 11]], ['p2/s1', [1, 1, 2]]] as const) {
      const buf = readFileSync(path.join(out, `${key}.npy`));
      const headerLen = buf.readUInt16LE(8);
      const header = buf.subarray(10, 10 + headerLen).toString('latin1');
      expect(header).toContain(`'shape': (${SIZE}, ${SIZE}, 3)`);
      const data = buf.subarray(10 + headerLen);
      const p = Number(key[1]);
      slices.forEach((s, j) => expect(data[(2 * SIZE + 7) * 3 + j], `${key} channel ${j}`).toBe(value(p, s)(7, 2)));
    }
  });
});

describe('weights and balance', () => {
  it('draws N samples per epoch by weight, deterministic per (seed, epoch), never a zero-weight one, partitioned over ranks', async () => {
    const weights = Array.from({ length: inline.size }, (_, i) => (i % 3 === 0 ? 0 : 1 + i));
    const o: BatchOptions = { batchSize: 3, seed: 4, epoch: 1, weights };
    const all = (await collect(inline, o)).flatMap((b) => [...b.indices]);
    expect(all).toHaveLength(inline.size);
    expect(all.every((i) => i % 3 !== 0)).toBe(true);
    expect(new Set(all).size).toBeLessThan(inline.size); // draws, not a permutation
    expect((await collect(threaded, o)).flatMap((b) => [...b.indices])).toEqual(all);
    expect((await collect(inline, { ...o, epoch: 2 })).flatMap((b) => [...b.indices])).not.toEqual(all);
    // Two ranks: the same batch count, and together exactly the one-rank draws of each step.
    const r0 = await collect(inline, { ...o, worldSize: 2, rank: 0 });
    const r1 = await collect(inline, { ...o, worldSize: 2, rank: 1 });
    expect(r0.length).toBe(r1.length);
    expect(r0.flatMap((b, j) => [...b.indices, ...r1[j].indices])).toEqual(all);
    // Resume: the suffix, exactly.
    const tail = (await collect(inline, { ...o, startBatch: 2 })).flatMap((b) => [...b.indices]);
    expect(tail).toEqual(all.slice(6));
    expect(() => inline.batches({ weights: [1, 2] })).toThrow(`weights has 2 entries; the dataset has ${inline.size} samples`);
    expect(() => inline.batches({ weights, balance: 'labels' })).toThrow(/not both/);
  });

  it("balance: 'labels' draws the rare label far more often than its prevalence", async () => {
    const rareIndex = inline.labelNames.indexOf('rare');
    const isRare = (i: number) => inline.labels[i * inline.labelNames.length + rareIndex] > 0;
    let rare = 0;
    let total = 0;
    for (let epoch = 0; epoch < 30; epoch++) {
      for (const b of await collect(inline, { batchSize: 14, seed: 1, epoch, balance: 'labels' })) {
        for (const i of b.indices) (total++, isRare(i) && rare++);
      }
    }
    // 2 of 14 samples (14%) are rare; balanced over three classes it is about a third.
    expect(rare / total).toBeGreaterThan(0.25);
  });
});
