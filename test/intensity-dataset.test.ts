// `--intensity dataset`: one value range for every image (the build's min..max of modality values, found in
// a first pass, or given as dataset:lo,hi), on the real 16-bit MR fixture; split builds share one range.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeManifest, encodeManifest } from 'shard-format';
import { buildShards, buildSplit, parseIntensity, type BuildOptions } from 'shard-writer';
import { readDataset } from './helpers/read-shards.js';
import { shard } from './helpers/run-cli.js';
import { tempDir } from './helpers/tree.js';

const REAL_MR = path.join(import.meta.dirname, 'fixtures', 'real-mr');
const root = tempDir('intensity-dataset-');
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const build = async (o: Partial<BuildOptions>) => {
  const s = await buildShards({ input: REAL_MR, out: path.join(root, String(n++)), size: 32, workers: 2, ...o });
  return { summary: s, ...readDataset(s.out) };
};
const floats = (b: Uint8Array) => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + 32 * 32 * 4));

describe('--intensity dataset', () => {
  it("maps the whole build's min..max (the values a float32 build stores) to 0..255, the same map for every image", async () => {
    const exact = await build({ dtype: 'float32' });
    const { min, max } = exact.manifest.values!;
    const mapped = await build({ intensity: { mode: 'dataset' } });
    expect(mapped.manifest.schema.preprocess.intensity).toBe(`dataset:${min},${max}`);
    expect(mapped.samples.map((s) => s.key)).toEqual(exact.samples.map((s) => s.key));
    let levels = 0;
    mapped.samples.forEach((s, i) => {
      const v = floats(exact.samples[i].image);
      const want = Uint8Array.from(v, (x) => Math.min(255, Math.max(0, Math.round(((x - min) * 255) / (max - min)))));
      expect(Buffer.from(s.image.subarray(0, 32 * 32)).equals(Buffer.from(want)), s.key).toBe(true);
      levels = Math.max(levels, new Set(want).size);
    });
    // The real 12-bit MR keeps contrast: unlike per-image min-max, an image's darkest pixel is not forced to 0.
    expect(levels).toBeGreaterThan(32);
    const perImage = await build({ intensity: { mode: 'minmax' } });
    expect(perImage.samples.some((s, i) => !Buffer.from(s.image).equals(Buffer.from(mapped.samples[i].image)))).toBe(true);
  });

  it('dataset:lo,hi uses the range given, and inspect shows it', async () => {
    const r = await build({ intensity: parseIntensity('dataset:0,4095') });
    expect(r.manifest.schema.preprocess.intensity).toBe('dataset:0,4095');
    const exact = await build({ dtype: 'float32' });
    const v = floats(exact.samples[0].image);
    expect([...r.samples[0].image.subarray(0, 32 * 32)]).toEqual(Array.from(v, (x) => Math.min(255, Math.max(0, Math.round((x * 255) / 4095)))));
    expect((await shard('inspect', r.summary.out)).stdout).toMatch(/intensity dataset:0,4095/);
  });

  it('a split build finds one range over all splits, so train and val share it', async () => {
    const exact = await build({ dtype: 'float32' });
    const { min, max } = exact.manifest.values!;
    const out = path.join(root, 'split');
    const s = await buildSplit({ input: REAL_MR, out, size: 32, workers: 2, intensity: { mode: 'dataset' } }, { splits: [{ name: 'train', ratio: 0.6 }, { name: 'val', ratio: 0.4 }], groupBy: { kind: 'patient' }, seed: 1 });
    expect(Object.keys(s.splits).sort()).toEqual(['train', 'val']);
    for (const split of ['train', 'val']) expect(readDataset(path.join(out, split)).manifest.schema.preprocess.intensity).toBe(`dataset:${min},${max}`);
  });

  it('parses dataset and dataset:lo,hi (negative, decimal), refuses lo >= hi; the manifest accepts the recorded form only', async () => {
    expect(parseIntensity('dataset')).toEqual({ mode: 'dataset' });
    expect(parseIntensity('dataset:-1024,3071.5')).toEqual({ mode: 'dataset', lo: -1024, hi: 3071.5 });
    expect(() => parseIntensity('dataset:5,5')).toThrow(/dataset\[:lo,hi\] with lo < hi/);
    const bad = await shard('build', REAL_MR, '--out', path.join(root, 'bad'), '--intensity', 'dataset:9,1');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^shard: .*--intensity/m);
    const r = await build({ intensity: parseIntensity('dataset:-1024,3071') });
    const { checksum: _, ...m } = r.manifest;
    const unresolved = encodeManifest({ ...m, schema: { ...m.schema, preprocess: { ...m.schema.preprocess, intensity: 'dataset' } } });
    expect(() => decodeManifest(unresolved, 'manifest.json')).toThrow(/schema\.preprocess\.intensity/);
  });
});
