// shard build on DICOM and NIfTI beside PNG: keys per frame/slice, modality values as int16/float32, windows as channels, no silent collapse.
import { copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildShards, WINDOW_PRESETS, type BuildOptions } from 'shard-writer';
// Internals by deep path: the window maths and the medical decoder are not the package's API.
import { applyWindow } from '../packages/shard-writer/src/window.js';
import { decodeMedical } from '../packages/shard-writer/src/decode/index.js';
import { openDataset } from 'shard-reader';
import { verifyDataset } from 'shard-reader/verify';
import { readDataset } from './helpers/read-shards.js';
import { pythonMissing, pythonTruth } from './helpers/medical-truth.js';
import { tempDir, writeLabels, writePng } from './helpers/tree.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const DICOM = path.join(FIXTURES, 'dicom');
const root = tempDir('build-medical-');
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const tmp = () => path.join(root, String(n++));

/** 64x64 MR in five transfer syntaxes (explicit LE, big endian, RLE, JPEG 2000 lossless, JPEG-LS lossless) and a 3-frame enhanced MR. */
const MR_FILES = ['MR_small.dcm', 'MR_small_bigendian.dcm', 'MR_small_RLE.dcm', 'MR_small_jp2klossless.dcm', 'MR_small_jpeg_ls_lossless.dcm', 'MR_small_enhanced_3frame.dcm'];

/** A NIfTI-1 volume written by hand: 64 x 64 x 3 int16, scl_slope 2, scl_inter -10, values known in advance. */
function writeNifti(file: string): Int16Array {
  const [w, h, d] = [64, 64, 3];
  const header = Buffer.alloc(352);
  header.writeInt32LE(348, 0);
  [3, w, h, d, 1, 1, 1, 1].forEach((v, i) => header.writeInt16LE(v, 40 + 2 * i));
  header.writeInt16LE(4, 70); // datatype int16
  header.writeInt16LE(16, 72); // bitpix
  [1, 0.5, 0.5, 2, 1, 1, 1, 1].forEach((v, i) => header.writeFloatLE(v, 76 + 4 * i));
  header.writeFloatLE(352, 108); // vox_offset
  header.writeFloatLE(2, 112); // scl_slope
  header.writeFloatLE(-10, 116); // scl_inter
  header.write('n+1\0', 344, 'latin1');
  const values = Int16Array.from({ length: w * h * d }, (_, i) => ((i * 37) % 3000) - 1200);
  writeFileSync(file, Buffer.concat([header, Buffer.from(values.buffer)]));
  return values;
}

function mixedTree(): { input: string; nifti: Int16Array } {
  const input = tmp();
  mkdirSync(path.join(input, 'mr'), { recursive: true });
  mkdirSync(path.join(input, 'vol'), { recursive: true });
  for (const f of MR_FILES) copyFileSync(path.join(DICOM, f), path.join(input, 'mr', f));
  // A DICOM without extension: known by DICM at byte 128.
  copyFileSync(path.join(DICOM, 'MR_small_implicit.dcm'), path.join(input, 'mr', '1.2.840.99'));
  writePng(path.join(input, 'mr', 'photo.png'), { width: 64, height: 64, depth: 8, channels: 1, value: (x, y) => (x + y) % 256 });
  // Rows name the file (with or without extension); every frame/slice of it gets that row.
  writeLabels(path.join(input, 'mr'), ['file', 'a', 'b'], [
    ['MR_small.dcm', 1, 0],
    ['MR_small_bigendian', 0, 1],
    ['MR_small_RLE.dcm', 1, 1],
    ['MR_small_jp2klossless.dcm', 0, 0],
    ['MR_small_jpeg_ls_lossless', 1, 0],
    ['MR_small_enhanced_3frame', 0, 1],
    ['1.2.840.99', 1, 1],
    ['photo.png', 0, 0],
  ]);
  const nifti = writeNifti(path.join(input, 'vol', 'head.nii'));
  writeLabels(path.join(input, 'vol'), ['file', 'a', 'b'], [['head.nii', 1, 0]]);
  return { input, nifti };
}

async function build(opts: Omit<BuildOptions, 'out'>) {
  const summary = await buildShards({ shardBytes: 64 * 1024, workers: 2, ...opts, out: tmp() });
  return { summary, ...readDataset(summary.out) };
}

const f32 = (b: Uint8Array) => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
const i16 = (b: Uint8Array) => new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));

async function modalityOf(file: string): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for await (const s of decodeMedical(file)) out.set(s.suffix, s.modality);
  return out;
}

describe('DICOM and NIfTI in shard build', () => {
  it('one sample per frame and slice, in key order, labels per file, counts per input file', async () => {
    const { input } = mixedTree();
    const { summary, manifest, samples } = await build({ input, size: 64, dtype: 'float32' });
    const keys = samples.map((s) => s.key);
    expect(keys).toEqual([
      'mr/1.2.840.99',
      'mr/MR_small',
      'mr/MR_small_RLE',
      'mr/MR_small_bigendian',
      'mr/MR_small_enhanced_3frame/f000',
      'mr/MR_small_enhanced_3frame/f001',
      'mr/MR_small_enhanced_3frame/f002',
      'mr/MR_small_jp2klossless',
      'mr/MR_small_jpeg_ls_lossless',
      'mr/photo',
      'vol/head/z000',
      'vol/head/z001',
      'vol/head/z002',
    ]);
    expect(samples.find((s) => s.key === 'mr/MR_small_enhanced_3frame/f002')!.labels).toEqual([0, 1]);
    expect(samples.find((s) => s.key === 'vol/head/z001')!.labels).toEqual([1, 0]);
    expect(summary).toMatchObject({ inputs: 9, written: 9, samples: 13, skipped: [] });
    expect(manifest.build).toMatchObject({ inputs: 9, written: 9 });
    expect(manifest.samples).toBe(13);
  });

  it('a 4-D NIfTI builds into a dataset that verifies intact: keys /t<t>/z<k> are in shard key order', async () => {
    const input = tmp();
    mkdirSync(path.join(input, 'fmri'), { recursive: true });
    copyFileSync(path.join(FIXTURES, 'nifti', 'example_nifti2.nii.gz'), path.join(input, 'fmri', 'run1.nii.gz'));
    writeLabels(path.join(input, 'fmri'), ['file', 'a'], [['run1.nii.gz', 1]]);
    const { summary, samples } = await build({ input, size: 32, dtype: 'float32', shardBytes: 16 * 1024 });
    expect(summary).toMatchObject({ inputs: 1, written: 1, samples: 24, skipped: [] });
    expect(samples.slice(0, 2).map((s) => s.key)).toEqual(['fmri/run1/t000/z000', 'fmri/run1/t000/z001']);
    expect(samples[12].key).toBe('fmri/run1/t001/z000');
    const report = await verifyDataset(summary.out);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('float32 holds the exact modality values; they match pydicom/nibabel where Python has them', async () => {
    const { input, nifti } = mixedTree();
    const { samples, manifest } = await build({ input, size: 64, dtype: 'float32' });
    const byKey = new Map(samples.map((s) => [s.key, f32(s.image)]));
    for (const f of MR_FILES) {
      const stem = f.replace(/\.dcm$/, '');
      for (const [suffix, modality] of await modalityOf(path.join(input, 'mr', f))) expect(byKey.get(`mr/${stem}${suffix}`), f).toEqual(modality);
    }
    for (let k = 0; k < 3; k++) {
      const want = Float32Array.from(nifti.subarray(k * 4096, (k + 1) * 4096), (v) => v * 2 - 10);
      expect(byKey.get(`vol/head/z00${k}`)).toEqual(want);
    }
    // The PNG's modality values are its stored 8-bit values (identity rescale).
    expect(byKey.get('mr/photo')![65]).toBe(2);
    expect(manifest.values!.min).toBe(-1200 * 2 - 10);
    expect(manifest.values!.histogram.reduce((a, b) => a + b, 0)).toBe(13 * 64 * 64);
    const missing = pythonMissing(['pydicom', 'numpy', 'gdcm']);
    if (missing) {
      console.log(`pydicom check skipped: ${missing}`);
      return;
    }
    const files = MR_FILES.filter((f) => !f.includes('enhanced')).map((f) => path.join(input, 'mr', f));
    const truth = pythonTruth('dicom', files);
    for (const file of files) {
      const frames = truth.get(file);
      if (typeof frames === 'string') throw new Error(`${file}: ${frames}`);
      expect(byKey.get(`mr/${path.basename(file, '.dcm')}`), file).toEqual(frames![0].modality);
    }
  });

  it('int16 rounds modality values and counts what it clips; --rescale maps PNG stored values', async () => {
    const input = tmp();
    mkdirSync(input);
    // HU + 1024 as 16-bit PNG, the way many CT exports store it; 30000 x 2 - 1024 is beyond int16.
    writePng(path.join(input, 'ct.png'), { width: 8, height: 8, depth: 16, channels: 1, value: (x, y) => (y === 0 && x === 0 ? 30000 : 1024 + x * 10 - y) });
    writeLabels(input, ['file', 'a'], [['ct.png', 1]]);
    const { samples, manifest } = await build({ input, size: 8, dtype: 'int16', rescale: { slope: 1, intercept: -1024 } });
    const v = i16(samples[0].image);
    expect(v[1]).toBe(10);
    expect(v[8]).toBe(-1);
    expect(v[0]).toBe(30000 - 1024);
    const x2 = await build({ input, size: 8, dtype: 'int16', rescale: { slope: 2, intercept: -1024 } });
    expect(i16(x2.samples[0].image)[0]).toBe(32767);
    expect(x2.manifest.values!.clipped).toBe(1);
    expect(manifest.values!.clipped).toBe(0);
    expect(manifest.schema.preprocess.rescale).toEqual({ slope: 1, intercept: -1024 });
  });

  it('--windows brain,subdural,bone gives three uint8 channels, each the DICOM linear VOI of the HU values', async () => {
    const input = tmp();
    mkdirSync(input);
    copyFileSync(path.join(DICOM, 'CT_small.dcm'), path.join(input, 'ct.dcm'));
    writeLabels(input, ['file', 'a'], [['ct.dcm', 1]]);
    const windows = [WINDOW_PRESETS.brain, WINDOW_PRESETS.subdural, WINDOW_PRESETS.bone];
    const { samples, manifest } = await build({ input, size: 128, windows });
    expect(manifest.schema.shape).toEqual([128, 128, 3]);
    const hu = (await modalityOf(path.join(input, 'ct.dcm'))).get('')!;
    const want = new Uint8Array(hu.length * 3);
    windows.forEach((w, i) => applyWindow(hu, want, w, i, 3));
    expect(samples[0].image).toEqual(want);
    // The brain window saturates bone and air: both ends are used.
    const brain = samples[0].image.filter((_, i) => i % 3 === 0);
    expect(brain.includes(0) && brain.includes(255)).toBe(true);
  });

  it('bad medical files are skipped naming the file and reason; inputs = written + skipped', async () => {
    const input = tmp();
    mkdirSync(input);
    for (const f of ['MR_small.dcm', 'MR_truncated.dcm', 'test-SR.dcm']) copyFileSync(path.join(DICOM, f), path.join(input, f));
    writeLabels(input, ['file', 'a'], [['MR_small.dcm', 1], ['MR_truncated.dcm', 0], ['test-SR.dcm', 0]]);
    await expect(buildShards({ input, out: tmp(), workers: 2 })).rejects.toThrow(/MR_truncated\.dcm: /);
    const { summary } = await build({ input, size: 64, onError: 'skip' });
    expect(summary.inputs).toBe(3);
    expect(summary.written).toBe(1);
    expect(summary.skipped.map((s) => path.basename(s.file))).toEqual(['MR_truncated.dcm', 'test-SR.dcm']);
    expect(summary.skipped[1].reason).toMatch(/no image|SR/);
  });
});

describe('never a silent collapse (real 12-bit MR, max about 4095)', () => {
  const REAL_MR = path.join(FIXTURES, 'real-mr');
  const levels = (b: Uint8Array) => new Set(b).size;

  it('the default uint8 mapping keeps contrast; --intensity stored (round(v/257)) warns with the range and the option', async () => {
    const input = tmp();
    cpSync(REAL_MR, input, { recursive: true });
    const auto = await build({ input, size: 64 });
    expect(auto.manifest.schema.preprocess.intensity).toBe('auto');
    const rich = (d: { samples: { image: Uint8Array }[] }) => d.samples.filter((s) => levels(s.image) > 64).length / d.samples.length;
    expect(rich(auto)).toBeGreaterThan(0.9);
    expect(auto.summary.warnings.join('\n')).not.toMatch(/grey levels/);
    expect(auto.manifest.values!.max).toBeGreaterThan(1000);
    const stored = await build({ input, size: 64, intensity: { mode: 'stored' } });
    expect(stored.samples.filter((s) => levels(s.image) < 32).length / stored.samples.length).toBeGreaterThan(0.5);
    const warning = stored.summary.warnings.find((w) => /grey levels/.test(w));
    expect(warning).toMatch(/of \d+ images have fewer than 32 grey levels after --intensity stored \(values seen 0\.\.\d+\); use --intensity minmax/);
    const pct = await build({ input, size: 64, intensity: { mode: 'percentile', lo: 1, hi: 99 } });
    expect(pct.manifest.schema.preprocess.intensity).toBe('percentile:1,99');
    expect(rich(pct)).toBeGreaterThan(0.9);
  });
});

describe('per-sample metadata in the index', () => {
  it('DICOM attributes and NIfTI k per record, readable without image bytes; PNG-only shards have none', async () => {
    const { input } = mixedTree();
    const { summary } = await build({ input, size: 64 });
    const index = JSON.parse(readFileSync(path.join(summary.out, 'shard-00000.index.json'), 'utf8')) as { keys: string[]; meta: Record<string, unknown>[] };
    const at = (key: string) => index.meta[index.keys.indexOf(key)];
    expect(at('mr/MR_small')).toMatchObject({ source: 'mr/MR_small.dcm', patientId: expect.any(String), seriesInstanceUid: expect.any(String), sopInstanceUid: expect.any(String) });
    expect((at('mr/MR_small').imagePositionPatient as number[]).length).toBe(3);
    expect((at('mr/MR_small').pixelSpacing as number[]).length).toBe(2);
    expect(at('mr/MR_small_enhanced_3frame/f002')).toMatchObject({ source: 'mr/MR_small_enhanced_3frame.dcm', frame: 2 });
    expect(at('vol/head/z002')).toEqual({ source: 'vol/head.nii', k: 2 });
    expect(at('mr/photo')).toEqual({ source: 'mr/photo.png' });
    // The reader gives the same, from the index (no image bytes read).
    const ds = await openDataset(summary.out, { workers: 0 });
    expect(ds.meta(ds.keys.indexOf('vol/head/z002'))).toEqual({ source: 'vol/head.nii', k: 2 });
    expect(ds.meta(ds.keys.indexOf('mr/MR_small'))).toEqual(at('mr/MR_small'));
    await ds.close();
    const pngOnly = tmp();
    mkdirSync(pngOnly);
    writePng(path.join(pngOnly, 'a.png'), { width: 8, height: 8, depth: 8, channels: 1, value: (x) => x });
    writeLabels(pngOnly, ['file', 'a'], [['a.png', 1]]);
    const plain = await build({ input: pngOnly, size: 8 });
    expect(JSON.parse(readFileSync(path.join(plain.summary.out, 'shard-00000.index.json'), 'utf8')).meta).toBeUndefined();
  });
});
