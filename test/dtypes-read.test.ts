// int16 / float32 modality values and multi-channel samples through every read path: batches (inline and
// workers), ds.image, augment, the float feed and normalize.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dtype } from 'shard-format';
import { openDataset, type AugmentOptions, type Batch, type Dataset, type Pixels } from 'shard-reader';
import { floatTransform } from 'shard-reader/tfjs';
import { tempDir } from './helpers/tree.js';
import { typedImage, typedKey, typedLabels, writeTypedSet } from './helpers/typed-set.js';

const H = 6;
const W = 6;
const N = 13;
const ARRAY: Record<Dtype, new (n: number) => Pixels> = { uint8: Uint8Array, uint16: Uint16Array, int16: Int16Array, float32: Float32Array };
const CASES = [
  ['int16', 1],
  ['float32', 1],
  ['int16', 3],
  ['float32', 3],
  ['uint8', 3],
] as const satisfies readonly (readonly [Dtype, number])[];

let root = '';
const sets = new Map<string, string>();
const open: Dataset[] = [];
const dirOf = (dtype: Dtype, c: number) => sets.get(`${dtype}x${c}`)!;

beforeAll(async () => {
  root = tempDir('dtypes-read-');
  for (const [dtype, c] of CASES) {
    const dir = path.join(root, `${dtype}x${c}`);
    await writeTypedSet(dir, { dtype, h: H, w: W, c, samples: N });
    sets.set(`${dtype}x${c}`, dir);
  }
});

afterAll(async () => {
  await Promise.all(open.map((d) => d.close()));
  if (root) rmSync(root, { recursive: true, force: true });
});

async function openSet(dtype: Dtype, c: number, workers: number): Promise<Dataset> {
  const ds = await openDataset(dirOf(dtype, c), { workers });
  open.push(ds);
  return ds;
}

async function collect(ds: Dataset, o: Parameters<Dataset['batches']>[0]): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of ds.batches(o)) out.push(b);
  return out;
}

const indexOfKey = (key: string) => {
  const [p, s] = key.split('/');
  return Number(p.slice(8)) * 5 + Number(s.slice(6));
};

describe.each(CASES)('%s x %i channels', (dtype, c) => {
  const n = H * W * c;

  it('ds.image gives the stored values in the dtype\'s typed array, and the shape says C', async () => {
    const ds = await openSet(dtype, c, 0);
    expect(ds.dtype).toBe(dtype);
    expect(ds.shape).toEqual([H, W, c]);
    for (let i = 0; i < N; i++) {
      const img = ds.image(i);
      expect(img).toBeInstanceOf(ARRAY[dtype]);
      expect(img).toEqual(typedImage(dtype, i, n));
    }
  });

  it.each([0, 2])('batches with %i workers hold every sample\'s exact values and labels', async (workers) => {
    const ds = await openSet(dtype, c, workers);
    const batches = await collect(ds, { batchSize: 4, seed: 3, shuffle: 'global' });
    expect(batches.flatMap((b) => b.keys).sort()).toEqual(Array.from({ length: N }, (_, i) => typedKey(i)).sort());
    for (const b of batches) {
      expect(b.images).toBeInstanceOf(ARRAY[dtype]);
      expect(b.images.length).toBe(b.keys.length * n);
      b.keys.forEach((key, k) => {
        const i = indexOfKey(key);
        expect(b.images.subarray(k * n, (k + 1) * n), key).toEqual(typedImage(dtype, i, n));
        expect([...b.labels.subarray(k * 2, k * 2 + 2)]).toEqual(typedLabels(i));
      });
      b.release(); // recycled buffers must come back as the same dtype
    }
    const again = await collect(ds, { batchSize: 4, seed: 3, shuffle: 'global' });
    for (const b of again) {
      expect(b.images).toBeInstanceOf(ARRAY[dtype]);
      b.keys.forEach((key, k) => expect(b.images.subarray(k * n, (k + 1) * n), key).toEqual(typedImage(dtype, indexOfKey(key), n)));
    }
  });

  it.each([0, 2])('the float feed (%i workers) gives value * scale + offset, computed in double', async (workers) => {
    const ds = await openSet(dtype, c, workers);
    const float = { scale: 1 / 300, offset: 0.25 };
    for (const b of await collect(ds, { batchSize: 5, shuffle: 'none', float })) {
      expect(b.images).toBeInstanceOf(Float32Array);
      b.keys.forEach((key, k) => {
        const want = Float32Array.from(typedImage(dtype, indexOfKey(key), n), (v) => v * float.scale + float.offset);
        expect(b.images.subarray(k * n, (k + 1) * n)).toEqual(want);
      });
    }
  });
});

/** Where pixel (y, x) of the output came from, for each of the 8 square dihedral transforms. */
function dihedral(h: number, t: number): (y: number, x: number) => [number, number] {
  return (y, x) => {
    let [sy, sx] = [y, x];
    for (let r = 0; r < (t & 3); r++) [sy, sx] = [sx, h - 1 - sy];
    return t & 4 ? [sy, h - 1 - sx] : [sy, sx];
  };
}

function matchesSomeDihedral(out: Pixels, src: Pixels, h: number, c: number): boolean {
  return Array.from({ length: 8 }, (_, t) => dihedral(h, t)).some((f) => {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < h; x++) {
        const [sy, sx] = f(y, x);
        for (let k = 0; k < c; k++) if (!Object.is(out[(y * h + x) * c + k], src[(sy * h + sx) * c + k])) return false;
      }
    }
    return true;
  });
}

async function augmented(dtype: Dtype, c: number, augment: AugmentOptions, workers = 0): Promise<Map<number, Pixels>> {
  const ds = await openSet(dtype, c, workers);
  const out = new Map<number, Pixels>();
  const n = H * W * c;
  for (const b of await collect(ds, { batchSize: 4, shuffle: 'none', seed: 11, augment })) b.keys.forEach((key, k) => out.set(indexOfKey(key), b.images.slice(k * n, (k + 1) * n)));
  return out;
}

describe('augment on signed and float values', () => {
  it.each([['int16', 3], ['float32', 3], ['float32', 1]] as const)('%s x %i: flips and rotations move whole pixels (all channels alike) and keep every value', async (dtype, c) => {
    const got = await augmented(dtype, c, { flipH: true, flipV: true, rot90: true });
    let changed = 0;
    for (const [i, img] of got) {
      const src = typedImage(dtype, i, H * W * c);
      expect(img).toBeInstanceOf(ARRAY[dtype]);
      expect(matchesSomeDihedral(img, src, H, c), `sample ${i}`).toBe(true);
      if (!matchesSomeDihedral(img, src, H, c) || img.some((v, j) => !Object.is(v, src[j]))) changed++;
    }
    expect(changed).toBeGreaterThan(N / 2); // the ops really ran
  });

  it('int16: scale and shift act on HU (shift in stored units), rounding and clamping to int16', async () => {
    const got = await augmented('int16', 3, { scale: [2, 2], shift: [-10, -10] });
    for (const [i, img] of got) {
      const want = Int16Array.from(typedImage('int16', i, H * W * 3), (v) => Math.min(32767, Math.max(-32768, v * 2 - 10)));
      expect(img, `sample ${i}`).toEqual(want);
    }
  });

  it('float32: scale and shift are exact (no rounding, no clamping at 0)', async () => {
    const got = await augmented('float32', 3, { scale: [0.5, 0.5], shift: [100.25, 100.25] });
    for (const [i, img] of got) expect(img, `sample ${i}`).toEqual(Float32Array.from(typedImage('float32', i, H * W * 3), (v) => v * 0.5 + 100.25));
  });

  it('int16 / float32 noise is in stored units and keeps the sign', async () => {
    const got = await augmented('float32', 1, { noise: 2 });
    const diffs = [...got].flatMap(([i, img]) => Array.from(img, (v, j) => v - typedImage('float32', i, H * W)[j]));
    const sd = Math.sqrt(diffs.reduce((a, d) => a + d * d, 0) / diffs.length);
    expect(sd).toBeGreaterThan(1.5);
    expect(sd).toBeLessThan(2.5);
    expect([...got.values()].some((img) => img.some((v) => v < -1000))).toBe(true);
  });

  it('crop padding of modality values is each channel\'s minimum (air), not 0 (water in HU)', async () => {
    const got = await augmented('int16', 3, { cropPad: 3 });
    let padded = 0;
    for (const [i, img] of got) {
      const src = typedImage('int16', i, H * W * 3);
      const min = [0, 1, 2].map((k) => Math.min(...src.filter((_, j) => j % 3 === k)));
      // A pixel that matches no source pixel under the crop is padding: all its channels hold the minimum.
      for (let p = 0; p < H * W; p++) {
        const px = [0, 1, 2].map((k) => img[p * 3 + k]);
        if (px.every((v, k) => v === min[k]) && !Array.from({ length: H * W }, (_, q) => q).some((q) => [0, 1, 2].every((k) => src[q * 3 + k] === px[k]))) padded++;
        expect(px.every((v) => v === 0) && min.some((m) => m !== 0), `sample ${i} pixel ${p} padded with 0`).toBe(false);
      }
    }
    expect(padded).toBeGreaterThan(0);
  });

  it('workers and inline give the same augmented int16 and float32 samples', async () => {
    for (const dtype of ['int16', 'float32'] as const) {
      const o: AugmentOptions = { flipH: true, rot90: true, cropPad: 1, scale: [0.9, 1.1], shift: [-5, 5], noise: 1 };
      expect(await augmented(dtype, 3, o, 2)).toEqual(await augmented(dtype, 3, o, 0));
    }
  });
});

describe('normalize for modality values', () => {
  it("refuses 'unit' for int16/float32 without a range, naming the ways out", () => {
    for (const dtype of ['int16', 'float32'] as const) {
      expect(() => floatTransform(dtype, 'unit')).toThrow(/normalize 'unit' needs a value range for .* pass range: \[lo, hi\].*\{ mean, std \}.*'none'/);
      expect(() => floatTransform(dtype)).toThrow(/needs a value range/);
    }
  });

  it("'unit' with a range maps lo..hi to 0..1; { mean, std } is in stored units without one", () => {
    const t = floatTransform('int16', 'unit', [-1024, 3071]);
    expect(Math.fround(-1024 * t.scale + t.offset)).toBe(0);
    expect(Math.fround(3071 * t.scale + t.offset)).toBe(1);
    expect(Math.fround(40 * t.scale + t.offset)).toBeCloseTo(1064 / 4095, 6);
    const z = floatTransform('float32', { mean: 40, std: 80 });
    expect(120 * z.scale + z.offset).toBeCloseTo(1, 12);
    const zr = floatTransform('int16', { mean: 0.5, std: 0.25 }, [0, 100]);
    expect(75 * zr.scale + zr.offset).toBeCloseTo(1, 12);
    expect(floatTransform('uint8', 'unit')).toEqual({ scale: 1 / 255, offset: 0 }); // unchanged for display values
    expect(() => floatTransform('int16', 'unit', [5, 5])).toThrow(/range must be \[lo, hi\]/);
  });
});

describe('context slices of modality values', () => {
  it.each([0, 2])('context: 1 on an int16 x 3 set (%i workers) stacks the neighbours as channels, values intact', async (workers) => {
    const ds = await openSet('int16', 3, workers);
    const n = H * W * 3;
    for await (const b of ds.batches({ batchSize: 4, shuffle: 'none', context: 1 })) {
      expect(b.images).toBeInstanceOf(Int16Array);
      expect(b.images.length).toBe(b.keys.length * n * 3);
      b.keys.forEach((key, k) => {
        const i = indexOfKey(key);
        if (i % 5 === 0 || i % 5 === 4 || i === N - 1) return; // series edges: covered by the context tests
        const img = b.images.subarray(k * n * 3, (k + 1) * n * 3);
        for (const [j, src] of [i - 1, i, i + 1].map((s) => typedImage('int16', s, n)).entries()) {
          for (let p = 0; p < H * W; p++) for (let ch = 0; ch < 3; ch++) expect(img[p * 9 + j * 3 + ch]).toBe(src[p * 3 + ch]);
        }
      });
    }
  });
});
