// DICOM decoding checked against pydicom (+GDCM) on real files in every transfer syntax we claim, and against golden summaries.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from 'shard-writer';
// The decoder is internal to the writer: tested through its own module.
import { decodeMedical, detectMedical, medicalExtension } from '../packages/shard-writer/src/decode/index.js';
import { decodeAll, maxAbsDiff, pythonMissing, pythonTruth, readGolden, summarise, type TruthFrame } from './helpers/medical-truth.js';
import { tempDir } from './helpers/tree.js';

const DIR = path.join(import.meta.dirname, 'fixtures', 'dicom');
const at = (name: string) => path.join(DIR, name);

/** Lossless syntaxes (and colour conversions that are exact in float32) must match value for value. */
const LOSSLESS = [
  'CT_small.dcm', // explicit VR LE, signed CT with rescale
  'CT_small_modality_lut.dcm', // the same with a Modality LUT Sequence instead (derived)
  'MR_small.dcm',
  'MR_small_implicit.dcm',
  'MR_small_bigendian.dcm',
  'MR_small_expb.dcm',
  'ExplVR_BigEnd.dcm', // big endian 8-bit RGB
  'SC_rgb_planar.dcm', // the same RGB with PlanarConfiguration 1 (derived, see README)
  'image_dfl.dcm', // deflated
  'MR_small_RLE.dcm',
  'SC_rgb_rle_16bit.dcm', // 16-bit RGB RLE: GDCM alone gets this wrong, pydicom's RLE handler is the reference
  'SC_rgb_rle_2frame.dcm',
  'rtdose.dcm', // 15 frames of 32-bit
  'SC_ybr_full_422_uncompressed.dcm',
  'SC_rgb_jpeg_gdcm.dcm', // JPEG lossless SV1, RGB
  'CT_small_jpeg_lossless.dcm', // JPEG lossless SV1, signed 16-bit CT (GDCM-encoded, see README)
  'MR_small_jpeg_ls_lossless.dcm',
  'MR_small_jp2klossless.dcm',
  'J2K_pixelrep_mismatch.dcm', // signed header, unsigned codestream
  'GDCMJ2K_TextGBR.dcm', // J2K YBR_RCT, 16 tiles
];

/**
 * Lossy syntaxes: largest |ours - pydicom| allowed per stored value, since two IDCTs may round
 * differently. Measured here: 0 for all of them (GDCM uses the same OpenJPEG and libjpeg IDCT), so
 * the golden check below stays exact for these too: a codec update that changes rounding shows up.
 */
const LOSSY: Record<string, number> = {
  'JPEG2000.dcm': 1,
  '693_J2KI.dcm': 1,
  'SC_rgb_jpeg_dcmtk.dcm': 2, // YBR_FULL baseline
  'SC_rgb_dcmtk_+eb+cy+np.dcm': 2, // YBR_FULL_422 baseline
  'SC_jpeg_no_color_transform.dcm': 2, // RGB components, no APP14 marker
  'CT_small_jpeg_ls_near2.dcm': 0, // JPEG-LS near-lossless: no IDCT, so decoders must agree exactly
  'JPGExtended.dcm': 2, // 12-bit extended (Process 4): our decoder; daikon's and cornerstone's are +15 off
};

const ALL = [...LOSSLESS, ...Object.keys(LOSSY)];
const golden = readGolden(DIR);

describe('DICOM decoding against golden summaries (no Python needed)', () => {
  it.each(ALL)('%s', async (name) => {
    const g = golden[name];
    const slices = await decodeAll(at(name));
    expect(slices).toHaveLength(g.frames);
    expect(slices.map((s) => [s.height, s.width, s.channels])).toEqual(slices.map(() => [g.rows, g.cols, g.spp]));
    const stored = summarise(slices, 'stored');
    const modality = summarise(slices, 'modality');
    expect([stored.min, stored.max, stored.mean], 'stored range and mean').toEqual([g.stored.min, g.stored.max, g.stored.mean]);
    expect(stored.sha256, 'stored values').toBe(g.stored.sha256);
    expect(modality.sha256, 'modality values').toBe(g.modality.sha256);
  });
});

const missing = pythonMissing(['pydicom', 'gdcm', 'numpy']);
if (missing) console.warn(`decode-dicom: pydicom comparison skipped: ${missing}`);

describe.skipIf(missing !== undefined)('DICOM decoding against pydicom pixel_array (+ modality LUT)', () => {
  let truth: Map<string, TruthFrame[] | string>;
  beforeAll(() => {
    truth = pythonTruth('dicom', ALL.map(at));
  });

  it.each(ALL)('%s', async (name) => {
    const reference = truth.get(at(name));
    if (typeof reference === 'string' || !reference) throw new Error(`pydicom could not decode ${name}: ${reference}`);
    const slices = await decodeAll(at(name));
    expect(slices).toHaveLength(reference.length);
    const tolerance = LOSSY[name] ?? 0;
    slices.forEach((s, i) => {
      expect(maxAbsDiff(s.stored, reference[i].stored), `frame ${i} stored`).toBeLessThanOrEqual(tolerance);
      expect(maxAbsDiff(s.modality, reference[i].modality), `frame ${i} modality`).toBeLessThanOrEqual(tolerance * (s.meta.rescaleSlope ?? 1));
    });
  });
});

describe('DICOM values and metadata', () => {
  it('CT: signed stored values, HU = stored * slope + intercept, and the metadata the index needs', async () => {
    const [ct] = await decodeAll(at('CT_small.dcm'));
    expect(ct.suffix).toBe('');
    expect(ct.stored).toBeInstanceOf(Int16Array);
    expect(ct.meta).toMatchObject({
      format: 'dicom',
      patientId: '1CT1',
      studyInstanceUid: '1.3.6.1.4.1.5962.1.2.1.20040119072730.12322',
      seriesInstanceUid: '1.3.6.1.4.1.5962.1.3.1.1.20040119072730.12322',
      sopInstanceUid: '1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322',
      instanceNumber: 1,
      imagePositionPatient: [-158.135803, -179.035797, -75.699997],
      imageOrientationPatient: [1, 0, 0, 0, 1, 0],
      pixelSpacing: [0.661468, 0.661468],
      sliceThickness: 5,
      rescaleSlope: 1,
      rescaleIntercept: -1024,
      photometricInterpretation: 'MONOCHROME2',
      transferSyntaxUid: '1.2.840.10008.1.2.1',
    });
    expect(ct.meta.invertForDisplay).toBeUndefined();
    for (let i = 0; i < ct.stored.length; i += 97) expect(ct.modality[i]).toBe(ct.stored[i] - 1024);
  });

  it('a Modality LUT Sequence maps stored values through its table, clamped at both ends', async () => {
    const [s] = await decodeAll(at('CT_small_modality_lut.dcm'));
    expect(s.meta).toMatchObject({ modalityLut: true, rescaleSlope: 1, rescaleIntercept: 0 });
    // derive.py: 2048 entries from stored value 200, entry i = 1000 + 3 i.
    let below = 0;
    for (let i = 0; i < s.stored.length; i++) {
      const index = Math.min(2047, Math.max(0, s.stored[i] - 200));
      if (s.stored[i] < 200) below++;
      expect(s.modality[i]).toBe(1000 + 3 * index);
    }
    expect(below).toBeGreaterThan(0);
  });

  it('JPEG 2000 whose header says signed but codestream unsigned reads as pydicom corrects it: -2000..1896', async () => {
    const [s] = await decodeAll(at('J2K_pixelrep_mismatch.dcm'));
    expect(s.stored).toBeInstanceOf(Int16Array);
    expect(s.modality.reduce((a, b) => Math.min(a, b))).toBe(-2000);
    expect(s.modality.reduce((a, b) => Math.max(a, b))).toBe(1896);
  });

  it('JPEG lossless and JPEG-LS near-lossless (NEAR 2) of CT_small: exact, and within 2 of the original', async () => {
    const [original] = await decodeAll(at('CT_small.dcm'));
    const [lossless] = await decodeAll(at('CT_small_jpeg_lossless.dcm'));
    const [near] = await decodeAll(at('CT_small_jpeg_ls_near2.dcm'));
    expect(maxAbsDiff(lossless.stored, original.stored)).toBe(0);
    expect(maxAbsDiff(lossless.modality, original.modality)).toBe(0);
    const worst = maxAbsDiff(near.stored, original.stored);
    expect(worst).toBeGreaterThan(0);
    expect(worst).toBeLessThanOrEqual(2);
  });

  it('frames split over several fragments with no offset table are found (pydicom 2.3 + GDCM mis-decode these)', async () => {
    const [mr] = await decodeAll(at('MR_small.dcm'));
    // J2K: split where a fragment opens a codestream; JPEG-LS: at SOI markers.
    for (const name of ['MR_small_jp2k_2frame_split.dcm', 'MR_small_jpeg_ls_2frame_split.dcm']) {
      const frames = await decodeAll(at(name));
      expect(frames.map((f) => f.suffix), name).toEqual(['/f000', '/f001']);
      for (const f of frames) expect(maxAbsDiff(f.stored, mr.stored), name).toBe(0);
    }
  });

  it('multi-frame objects give one result per frame, suffixed /f000, /f001, ...', async () => {
    const frames = await decodeAll(at('rtdose.dcm'));
    expect(frames.map((f) => f.suffix)).toEqual(Array.from({ length: 15 }, (_, i) => `/f${String(i).padStart(3, '0')}`));
    expect(frames.map((f) => f.meta.frame)).toEqual(Array.from({ length: 15 }, (_, i) => i));
    const rgb = await decodeAll(at('SC_rgb_rle_2frame.dcm'));
    expect(rgb.map((f) => [f.suffix, f.channels])).toEqual([['/f000', 3], ['/f001', 3]]);
  });

  it('enhanced multi-frame: geometry, rescale and window come from the shared and per-frame functional groups', async () => {
    const [mr] = await decodeAll(at('MR_small.dcm'));
    const frames = await decodeAll(at('MR_small_enhanced_3frame.dcm'));
    expect(frames.map((f) => f.suffix)).toEqual(['/f000', '/f001', '/f002']);
    frames.forEach((f, i) => {
      expect(f.meta).toMatchObject({
        frame: i,
        imagePositionPatient: [-10, -20, 5 + 2.5 * i],
        imageOrientationPatient: [1, 0, 0, 0, 1, 0],
        pixelSpacing: [0.75, 0.8],
        sliceThickness: 2.5,
        rescaleSlope: 2,
        rescaleIntercept: i === 0 ? 0 : -100 * i,
        windowCenter: 300 + i,
        windowWidth: 600,
      });
      // derive.py stored frame i as MR_small's values divided by 2^i (numpy floor division).
      for (let p = 0; p < mr.stored.length; p += 31) {
        expect(f.stored[p]).toBe(Math.floor(mr.stored[p] / 2 ** i));
        expect(f.modality[p]).toBe(f.stored[p] * 2 - 100 * i);
      }
    });
  });

  it('MONOCHROME1 keeps its stored values and is flagged for inversion on display only', async () => {
    const bytes = readFileSync(at('MR_small.dcm'));
    const at1 = bytes.indexOf('MONOCHROME2');
    const patched = Buffer.from(bytes);
    patched.write('MONOCHROME1', at1, 'latin1');
    const file = path.join(tempDir(), 'mono1.dcm');
    writeFileSync(file, patched);
    const [[plain], [mono1]] = await Promise.all([decodeAll(at('MR_small.dcm')), decodeAll(file)]);
    expect(mono1.meta.photometricInterpretation).toBe('MONOCHROME1');
    expect(mono1.meta.invertForDisplay).toBe(true);
    expect(plain.meta.invertForDisplay).toBeUndefined();
    expect(Array.from(mono1.stored)).toEqual(Array.from(plain.stored));
  });

  it('YBR colour ends as RGB: the red corner of the YBR_FULL_422 file is (254, 0, 0), as pydicom converts it', async () => {
    const [s] = await decodeAll(at('SC_ybr_full_422_uncompressed.dcm'));
    expect(s.meta.photometricInterpretation).toBe('YBR_FULL_422');
    expect(Array.from(s.stored.subarray(0, 3))).toEqual([254, 0, 0]);
  });
});

describe('DICOM files that hold no decodable image fail with one line naming the reason', () => {
  const reject = async (file: string) => {
    try {
      await decodeAll(file);
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).file).toBe(file);
      return (error as Error).message;
    }
    throw new Error(`${file} decoded`);
  };

  it('structured report, RT plan and waveform: no image, saying what they are', async () => {
    expect(await reject(at('test-SR.dcm'))).toMatch(/no image: a SR object without pixel data/);
    expect(await reject(at('rtplan.dcm'))).toMatch(/no image: a RTPLAN object without pixel data/);
    expect(await reject(at('waveform_ecg.dcm'))).toMatch(/a waveform \(Modality ECG\), not an image/);
  });

  it('truncated pixel data', async () => {
    expect(await reject(at('MR_truncated.dcm'))).toMatch(/truncated or malformed DICOM: the pixel data runs past the end/);
    // Cut inside the pixel data element's value but with its length intact in the header.
    const dir = tempDir();
    const bytes = readFileSync(at('MR_small.dcm'));
    const cut = path.join(dir, 'cut.dcm');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
    expect(await reject(cut)).toMatch(/truncated/);
  });

  it('a corrupt codestream names the syntax, and the codec still decodes the next file', async () => {
    const dir = tempDir();
    for (const [name, syntax] of [['MR_small_jpeg_ls_lossless.dcm', 'JPEG-LS Lossless'], ['SC_rgb_jpeg_dcmtk.dcm', 'JPEG Baseline \\(Process 1\\)']]) {
      const bytes = Buffer.from(readFileSync(at(name)));
      bytes.fill(0xff, bytes.length >> 1, (bytes.length >> 1) + 200);
      const file = path.join(dir, name);
      writeFileSync(file, bytes);
      expect(await reject(file)).toMatch(new RegExp(`${syntax} decode failed: the codec rejected the data`));
      expect(await decodeAll(at(name))).toHaveLength(1);
    }
  });

  it('an unsupported transfer syntax is named by its UID', async () => {
    // Rewrite MR_small's syntax (explicit VR LE, 20 bytes padded) as HTJ2K lossless (24 bytes), fixing both lengths.
    const bytes = readFileSync(at('MR_small.dcm'));
    const old = Buffer.from('1.2.840.10008.1.2.1\0');
    const uid = Buffer.from('1.2.840.10008.1.2.4.201\0');
    const at0 = bytes.indexOf(old);
    expect(at0).toBeGreaterThan(132);
    const patched = Buffer.concat([bytes.subarray(0, at0), uid, bytes.subarray(at0 + old.length)]);
    patched.writeUInt16LE(uid.length, at0 - 2);
    const groupLength = 132 + 8; // (0002,0000) UL value follows tag, VR and length
    patched.writeUInt32LE(patched.readUInt32LE(groupLength) + uid.length - old.length, groupLength);
    const file = path.join(tempDir(), 'htj2k.dcm');
    writeFileSync(file, patched);
    expect(await reject(file)).toBe(`${file}: unsupported transfer syntax 1.2.840.10008.1.2.4.201`);
  });
});

describe('DICOM detection', () => {
  it('.dcm, or no extension (or an all-digit UID one) with DICM at byte 128; keys drop only .dcm', async () => {
    const dir = tempDir();
    const bare = path.join(dir, 'IM0001');
    const uidNamed = path.join(dir, '1.2.840.113619.2.55.3.604688119');
    const notDicom = path.join(dir, 'README');
    copyFileSync(at('MR_small.dcm'), bare);
    copyFileSync(at('MR_small.dcm'), uidNamed);
    writeFileSync(notDicom, 'x'.repeat(300));
    expect(await detectMedical(at('MR_small.dcm'))).toBe('dicom');
    expect(await detectMedical(bare)).toBe('dicom');
    expect(await detectMedical(uidNamed)).toBe('dicom');
    expect(await detectMedical(notDicom)).toBeUndefined();
    expect(await detectMedical(path.join(dir, 'slice.png'))).toBeUndefined();
    expect(medicalExtension('p/a.dcm')).toBe('.dcm');
    expect(medicalExtension('p/IM0001')).toBe('');
    const [slice] = await decodeAll(bare);
    expect(slice.width).toBe(64);
    await expect(decodeMedical(notDicom).next()).rejects.toThrow(/not a DICOM/);
  });
});
