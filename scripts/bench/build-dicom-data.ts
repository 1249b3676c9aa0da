// DICOM trees for the build benchmark: one real fixture per codec family copied N times (unique SOP Instance UIDs).
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { decodeDicom } from '../../packages/shard-writer/src/decode/index.js';
import { FIXTURES } from './decode-dicom.js';
import type { BenchContext } from './types.js';

export interface DicomFamily {
  family: string;
  /** One single-frame greyscale fixture (test/fixtures/dicom, pydicom's MIT-licensed test data). */
  file: string;
  /** Its Rows = Columns: the build runs at that size, so no resampling enters the comparison. */
  size: number;
}

export const DICOM_FAMILIES: DicomFamily[] = [
  { family: 'uncompressed (explicit VR LE)', file: 'CT_small.dcm', size: 128 },
  { family: 'RLE lossless', file: 'MR_small_RLE.dcm', size: 64 },
  { family: 'JPEG-LS (near-lossless)', file: 'CT_small_jpeg_ls_near2.dcm', size: 128 },
  { family: 'JPEG 2000', file: 'J2K_pixelrep_mismatch.dcm', size: 512 },
  { family: 'JPEG lossless (process 14 SV1)', file: 'CT_small_jpeg_lossless.dcm', size: 128 },
];

const PER_FOLDER = 100;

/**
 * `count` copies of the family's fixture as `P<k>/<i>.dcm` with a labels.csv per folder. Each copy's
 * SOP Instance UID gets its copy number in its last digits (same length, so nothing else moves): the
 * tree looks like a real series, not one object repeated.
 */
export async function ensureDicomTree(ctx: BenchContext, f: DicomFamily, count: number): Promise<string> {
  const dir = path.join(ctx.dataDir, `dicom-${path.basename(f.file, '.dcm')}-${count}`);
  const done = path.join(dir, '.complete');
  if (existsSync(done)) return dir;
  rmSync(dir, { recursive: true, force: true });
  const src = path.join(FIXTURES, f.file);
  const bytes = readFileSync(src);
  let sop = '';
  for await (const s of decodeDicom(src, bytes)) sop = s.meta.sopInstanceUid ?? '';
  // The UID is in the meta header (MediaStorageSOPInstanceUID) and the data set: both are rewritten.
  const places: number[] = [];
  for (let at = sop.length >= 8 ? bytes.indexOf(sop, 0, 'latin1') : -1; at >= 0; at = bytes.indexOf(sop, at + 1, 'latin1')) places.push(at);
  for (let i = 0; i < count; i++) {
    const folder = path.join(dir, `P${String(Math.floor(i / PER_FOLDER)).padStart(3, '0')}`);
    if (i % PER_FOLDER === 0) {
      mkdirSync(folder, { recursive: true });
      const n = Math.min(PER_FOLDER, count - i);
      writeFileSync(path.join(folder, 'labels.csv'), ['slice,finding', ...Array.from({ length: n }, (_, j) => `${String(i + j).padStart(5, '0')}.dcm,${(i + j) % 2}`)].join('\n') + '\n');
    }
    const out = path.join(folder, `${String(i).padStart(5, '0')}.dcm`);
    if (places.length === 0) {
      copyFileSync(src, out);
      continue;
    }
    const copy = Buffer.from(bytes);
    for (const at of places) copy.write(String(i % 1e6).padStart(6, '0'), at + sop.length - 6, 'latin1');
    writeFileSync(out, copy);
  }
  writeFileSync(done, '');
  return dir;
}
