// `pnpm train` (scripts/train.ts): a validation set of another dtype, shape or label set is refused with
// both values named; on a TTY a progress line shows batches, samples/s and loss within each epoch.
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildShards } from 'shard-writer';
import { makeSyntheticSet } from '../scripts/make-synthetic.js';
import { train } from '../scripts/train.js';
import { tempDir } from './helpers/tree.js';

let root = '';
const sets: Record<string, string> = {};

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = tempDir('train-script-');
  const src = path.join(root, 'src');
  await makeSyntheticSet({ out: src, patients: 1, slices: 6, size: 8, bits: 16, seed: 2 });
  // The same slices with one label renamed: same shape and dtype, another label set.
  const renamed = path.join(root, 'src-renamed');
  cpSync(src, renamed, { recursive: true });
  for (const p of readdirSync(renamed)) {
    const f = path.join(renamed, p, 'labels.csv');
    writeFileSync(f, readFileSync(f, 'utf8').replace('nodule', 'mass'));
  }
  const build = async (name: string, input: string, extra: object) => (sets[name] = (await buildShards({ input, out: path.join(root, name), size: 8, ...extra })).out);
  await build('train', src, {});
  await build('uint16', src, { dtype: 'uint16' });
  await build('shape', src, { size: 12 });
  await build('labels', renamed, {});
}, 60_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const quiet = { tf, log: () => {}, progress: { isTTY: false, write: () => true } };

describe('scripts/train.ts', () => {
  it('refuses a validation set of another dtype, shape or label set, naming both values', async () => {
    await expect(train({ ...quiet, data: sets.train, val: sets.uint16 })).rejects.toThrow(`${sets.uint16}: validation dtype uint16 differs from the training set's uint8 (${sets.train})`);
    await expect(train({ ...quiet, data: sets.train, val: sets.shape })).rejects.toThrow("validation shape 12x12x1 differs from the training set's 8x8x1");
    await expect(train({ ...quiet, data: sets.train, val: sets.labels })).rejects.toThrow(
      "validation labels [atelectasis,effusion,mass,pneumothorax,emphysema] differ from the training set's [atelectasis,effusion,nodule,pneumothorax,emphysema]",
    );
    // A matching validation set trains.
    const ok = await train({ ...quiet, data: sets.train, val: sets.train, epochs: 1, batchSize: 3 });
    expect(ok.epochs).toHaveLength(1);
  });

  it('trains on context slices (--context 1: three channels per sample), validation included', async () => {
    const r = await train({ ...quiet, data: sets.train, val: sets.train, epochs: 1, batchSize: 3, context: 1 });
    expect(r.epochs).toHaveLength(1);
    expect(Number.isFinite(r.epochs[0].loss)).toBe(true);
  });

  it('draws batches, samples/s and loss within the epoch on a TTY, and nothing elsewhere', async () => {
    let tty = '';
    await train({ tf, log: () => {}, data: sets.train, epochs: 2, batchSize: 2, progress: { isTTY: true, write: (s) => ((tty += s), true) } });
    // 6 samples in batches of 2: the last batch of each epoch is always drawn.
    expect(tty).toMatch(/epoch 1\/2 {2}batch 3\/3 {2}\d+(\.\d)? samples\/s {2}loss \d\.\d{4}/);
    expect(tty).toMatch(/epoch 2\/2 {2}batch 3\/3 /);
    expect(tty.endsWith('\r\x1b[K')).toBe(true);

    let piped = '';
    await train({ tf, log: () => {}, data: sets.train, epochs: 1, batchSize: 2, progress: { isTTY: false, write: (s) => ((piped += s), true) } });
    expect(piped).toBe('');
  });
});
