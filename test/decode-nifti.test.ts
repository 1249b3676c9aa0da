// NIfTI-1/2 decoding checked against nibabel (stored values and get_fdata) on its own test volumes, and against golden summaries.
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from 'shard-writer';
import { medicalExtension } from '../packages/shard-writer/src/decode/index.js';
import { decodeAll, maxAbsDiff, pythonMissing, pythonTruth, readGolden, summarise, type TruthFrame } from './helpers/medical-truth.js';
import { tempDir } from './helpers/tree.js';
import { indexSuffix } from '../packages/shard-writer/src/decode/sample-suffix.js';

const DIR = path.join(import.meta.dirname, 'fixtures', 'nifti');
const at = (name: string) => path.join(DIR, name);

const FILES = [
  'anatomical.nii', // NIfTI-1, big-endian int16, vox_offset 0 in a single file
  'anatomical_scaled.nii.gz', // the same data little-endian, gzipped, scl_slope 0.5 / scl_inter -12.25
  'reoriented_anat_moved.nii', // big-endian float32
  'standard.nii.gz', // uint8, 4 x 5 x 7
  'functional.nii', // 4-D: 17 x 21 x 3 x 20
  'example_nifti2.nii.gz', // NIfTI-2, 4-D: 32 x 20 x 12 x 2
];
const golden = readGolden(DIR);

describe('NIfTI decoding against golden summaries (no Python needed)', () => {
  it.each(FILES)('%s', async (name) => {
    const g = golden[name];
    const slices = await decodeAll(at(name));
    expect(slices).toHaveLength(g.frames);
    expect(slices.every((s) => s.height === g.rows && s.width === g.cols && s.channels === 1)).toBe(true);
    expect(summarise(slices, 'stored').sha256, 'stored').toBe(g.stored.sha256);
    expect(summarise(slices, 'modality').sha256, 'modality').toBe(g.modality.sha256);
  });
});

const missing = pythonMissing(['nibabel', 'numpy']);
if (missing) console.warn(`decode-nifti: nibabel comparison skipped: ${missing}`);

describe.skipIf(missing !== undefined)('NIfTI decoding against nibabel (dataobj unscaled, get_fdata)', () => {
  let truth: Map<string, TruthFrame[] | string>;
  beforeAll(() => {
    truth = pythonTruth('nifti', FILES.map(at));
  });

  it.each(FILES)('%s: every slice exactly', async (name) => {
    const reference = truth.get(at(name));
    if (typeof reference === 'string' || !reference) throw new Error(`nibabel could not read ${name}: ${reference}`);
    const slices = await decodeAll(at(name));
    expect(slices).toHaveLength(reference.length);
    slices.forEach((s, i) => {
      expect([s.height, s.width]).toEqual([reference[i].rows, reference[i].cols]);
      expect(maxAbsDiff(s.stored, reference[i].stored), `slice ${i} stored`).toBe(0);
      expect(maxAbsDiff(s.modality, reference[i].modality), `slice ${i} modality`).toBe(0);
    });
  });
});

describe('NIfTI slices, keys and scaling', () => {
  it('3-D: one slice per k along the third axis, suffix /z000.., width dim[1] and height dim[2] in on-disk order', async () => {
    const slices = await decodeAll(at('standard.nii.gz'));
    expect(slices.map((s) => s.suffix)).toEqual(['/z000', '/z001', '/z002', '/z003', '/z004', '/z005', '/z006']);
    expect(slices.map((s) => s.meta.k)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect([slices[0].width, slices[0].height]).toEqual([4, 5]);
    // On-disk order: voxel (i, j, k) is byte i + 4 j + 20 k after the header.
    const raw = gunzipSync(readFileSync(at('standard.nii.gz')));
    const offset = raw.readFloatLE(108);
    expect(Array.from(slices[3].stored)).toEqual(Array.from(raw.subarray(offset + 60, offset + 80)));
    expect(medicalExtension('a/b.nii.gz')).toBe('.nii.gz');
    expect(medicalExtension('a/b.nii')).toBe('.nii');
  });

  it('scl_slope/scl_inter are applied to modality values, stored values stay raw', async () => {
    const [plain, scaled] = await Promise.all([decodeAll(at('anatomical.nii')), decodeAll(at('anatomical_scaled.nii.gz'))]);
    expect(scaled[10].meta).toMatchObject({ rescaleSlope: 0.5, rescaleIntercept: -12.25 });
    expect(Array.from(scaled[10].stored)).toEqual(Array.from(plain[10].stored));
    for (let i = 0; i < plain[10].stored.length; i += 7) expect(scaled[10].modality[i]).toBe(plain[10].stored[i] * 0.5 - 12.25);
    expect(plain[10].meta).toMatchObject({ rescaleSlope: 1, rescaleIntercept: 0 }); // slope NaN in the file: identity
  });

  it('4-D: one sample per slice of each volume, suffix /t<t>/z<k>, volume 0 first, in key order', async () => {
    const slices = await decodeAll(at('example_nifti2.nii.gz'));
    expect(slices).toHaveLength(12 * 2);
    expect(slices[0].suffix).toBe('/t000/z000');
    expect(slices[11].suffix).toBe('/t000/z011');
    expect(slices[12].suffix).toBe('/t001/z000');
    expect(slices[13].meta).toMatchObject({ format: 'nifti', k: 1, t: 1 });
    // Shards hold keys in byte order: the decode order must be that order, or verify calls a fresh build damaged.
    const suffixes = slices.map((s) => s.suffix);
    expect(suffixes).toEqual([...suffixes].sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b)))));
  });

  it('index suffixes widen past 999 so a file\'s keys still sort in image order', () => {
    expect(indexSuffix('z', 7, 12)).toBe('/z007');
    expect(indexSuffix('f', 999, 1000)).toBe('/f999');
    expect(indexSuffix('f', 999, 1001)).toBe('/f0999');
    const keys = Array.from({ length: 1200 }, (_, i) => indexSuffix('z', i, 1200));
    expect(keys).toEqual([...keys].sort());
  });

  it('5-D volumes, unknown datatypes and truncated data are refused with the reason', async () => {
    const dir = tempDir();
    const base = readFileSync(at('anatomical.nii')); // big-endian header
    const fiveD = Buffer.from(base);
    fiveD.writeInt16BE(5, 40); // dim[0]
    fiveD.writeInt16BE(2, 40 + 2 * 5); // dim[5]
    const complex = Buffer.from(base);
    complex.writeInt16BE(32, 70); // datatype COMPLEX64
    const cut = base.subarray(0, base.length - 10);
    const cases: [string, Buffer, RegExp][] = [
      ['five.nii', fiveD, /5-D volume \(dim\[5\] = 2\) is not supported/],
      ['complex.nii', complex, /NIfTI datatype 32 is not supported/],
      ['cut.nii', cut, /truncated NIfTI: 67992 bytes, 68002 needed for 33 x 41 x 25 x 1 int16/],
      ['junk.nii', Buffer.alloc(400), /not a NIfTI-1\/2 file/],
    ];
    for (const [name, bytes, reason] of cases) {
      const file = path.join(dir, name);
      writeFileSync(file, bytes);
      const error = await decodeAll(file).catch((e: unknown) => e);
      expect(error, name).toBeInstanceOf(InputError);
      expect((error as Error).message, name).toMatch(reason);
      expect((error as Error).message.startsWith(`${file}: `), name).toBe(true);
    }
  });
});
