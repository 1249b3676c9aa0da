// The CLI on int16 / float32 / 3-channel datasets: export npy (<i2, <f4, H x W x C) round trip, PNG through a
// display window (refused without one), inspect naming dtype and channels, bench reading them.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { decode } from 'fast-png';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Dtype } from 'shard-format';
import { shard } from './helpers/run-cli.js';
import { tempDir } from './helpers/tree.js';
import { typedImage, typedKey, writeTypedSet } from './helpers/typed-set.js';

const H = 5;
const W = 7; // not square: H x W order shows in the npy shape
let root = '';
const dirs: Record<string, string> = {};

beforeAll(async () => {
  root = tempDir('dtypes-cli-');
  for (const [dtype, c] of [['int16', 1], ['float32', 3], ['int16', 3], ['uint8', 3]] as const) {
    const dir = path.join(root, `${dtype}x${c}`);
    await writeTypedSet(dir, { dtype, h: H, w: W, c, samples: 6 });
    dirs[`${dtype}x${c}`] = dir;
  }
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A minimal .npy v1 reader: descr, shape and the data bytes. */
function readNpy(file: string): { descr: string; shape: number[]; data: Buffer } {
  const b = readFileSync(file);
  expect(b.subarray(0, 6).toString('latin1')).toBe('\x93NUMPY');
  const len = b.readUInt16LE(8);
  const header = b.subarray(10, 10 + len).toString('latin1');
  const descr = /'descr': '([^']+)'/.exec(header)![1];
  const shape = /'shape': \(([^)]*)\)/.exec(header)![1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  return { descr, shape, data: b.subarray(10 + len) };
}

const VIEW: Record<string, (b: Buffer) => ArrayLike<number>> = {
  '<i2': (b) => new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)),
  '<f4': (b) => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)),
  '|u1': (b) => new Uint8Array(b),
};

it.each([['int16', 1, '<i2', [H, W]], ['float32', 3, '<f4', [H, W, 3]], ['int16', 3, '<i2', [H, W, 3]], ['uint8', 3, '|u1', [H, W, 3]]] as const)(
  'export --format npy of %s x %i writes %s with shape %j holding the stored values',
  async (dtype, c, descr, shape) => {
    const out = path.join(root, `npy-${dtype}x${c}`);
    const r = await shard('export', dirs[`${dtype}x${c}`], '--out', out, '--format', 'npy');
    expect(r.code, r.stderr).toBe(0);
    for (let i = 0; i < 6; i++) {
      const npy = readNpy(path.join(out, `${typedKey(i)}.npy`));
      expect(npy.descr).toBe(descr);
      expect(npy.shape).toEqual(shape);
      expect(Array.from(VIEW[descr](npy.data))).toEqual(Array.from(typedImage(dtype as Dtype, i, H * W * c)));
    }
  },
);

const numpy = spawnSync('/usr/bin/python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
it.skipIf(!numpy)('numpy loads the exported int16 and float32 npy files with the same values', async () => {
  const out = path.join(root, 'npy-numpy');
  expect((await shard('export', dirs.float32x3, '--out', path.join(out, 'f'), '--keys', typedKey(2))).code).toBe(0);
  expect((await shard('export', dirs.int16x1, '--out', path.join(out, 'i'), '--keys', typedKey(1))).code).toBe(0);
  const py = 'import numpy as np, sys, json\nfor f in sys.argv[1:]:\n a = np.load(f); print(json.dumps([a.dtype.str, list(a.shape), a.ravel().astype(float).tolist()]))';
  const r = spawnSync('/usr/bin/python3', ['-c', py, path.join(out, 'f', `${typedKey(2)}.npy`), path.join(out, 'i', `${typedKey(1)}.npy`)], { encoding: 'utf8' });
  const [f, i] = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  expect(f).toEqual(['<f4', [H, W, 3], Array.from(typedImage('float32', 2, H * W * 3))]);
  expect(i).toEqual(['<i2', [H, W], Array.from(typedImage('int16', 1, H * W))]);
});

it('export --format png of modality values without --window is refused in one line, writing nothing', async () => {
  const out = path.join(root, 'png-refused');
  const r = await shard('export', dirs.int16x3, '--out', out, '--format', 'png');
  expect(r.code).toBe(2);
  const lines = r.stderr.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^shard: .*int16x3: holds int16 modality values, which PNG cannot hold; pass --window <center>,<width>/);
  expect(spawnSync('ls', [out]).status).not.toBe(0);
  const npyWindow = await shard('export', dirs.int16x3, '--out', out, '--window', '40,80');
  expect(npyWindow.code).toBe(2);
  expect(npyWindow.stderr).toMatch(/--window applies to --format png only/);
});

it('export --format png --window c,w gives 8-bit PNGs of the DICOM linear VOI of every channel', async () => {
  const out = path.join(root, 'png-window');
  const r = await shard('export', dirs.float32x3, '--out', out, '--format', 'png', '--window', '40,400');
  expect(r.code, r.stderr).toBe(0);
  for (let i = 0; i < 6; i++) {
    const png = decode(readFileSync(path.join(out, `${typedKey(i)}.png`)));
    expect([png.width, png.height, png.channels, png.depth]).toEqual([W, H, 3, 8]);
    const want = Array.from(typedImage('float32', i, H * W * 3), (x) => (x <= 40 - 0.5 - 399 / 2 ? 0 : x > 40 - 0.5 + 399 / 2 ? 255 : Math.round(((x - 39.5) / 399 + 0.5) * 255)));
    expect(Array.from(png.data)).toEqual(want);
    expect(new Set(want).size).toBeGreaterThan(3); // the window really spans the values
  }
});

it('inspect names the dtype and channel count, as text and in --json', async () => {
  const text = await shard('inspect', dirs.float32x3);
  expect(text.code, text.stderr).toBe(0);
  expect(text.stdout).toMatch(/sample {4}5 x 7 x 3 float32 \(3 channels, modality values \(e\.g\. HU\)\)/);
  const j = JSON.parse((await shard('inspect', dirs.int16x1, '--json')).stdout);
  expect([j.dtype, j.shape, j.channels]).toEqual(['int16', [H, W, 1], 1]);
});

it('bench reads an int16 3-channel dataset', async () => {
  const r = await shard('bench', dirs.int16x3, '--seconds', '0.3', '--batch-size', '2', '--json');
  expect(r.code, r.stderr).toBe(0);
  const j = JSON.parse(r.stdout);
  expect(j.samplesPerSec).toBeGreaterThan(0);
  expect(j.bytesPerSec).toBeGreaterThan(0);
});
