// Turns every 2-D image of one DICOM/NIfTI file into record pixels (resample, window or intensity, dtype).
import { readFileSync } from 'node:fs';
import type { Fit } from 'shard-format';
import { decodeDicom } from './decode/dicom.js';
import { decodeMedical, detectMedical } from './decode/medical.js';
import { decodeNifti } from './decode/nifti.js';
import type { MedicalSlice } from './decode/types.js';
import type { MedicalMeta } from './decode/types.js';
import { InputError } from './errors.js';
import type { Kernel } from './options.js';
import { resampleTo, toGrey } from './resample.js';
import { mapIntegers, mapValues, type SampleValues, type ValueOptions } from './values.js';

export interface MedicalJob {
  size: number;
  fit: Fit;
  kernel: Kernel;
  values: ValueOptions;
  /** `--window dicom`: each image's own first WindowCenter/Width. */
  dicomWindow: boolean;
}

export interface MappedSample {
  /** Appended to the file's key: '' (single-frame DICOM), '/f000', '/z000', '/t000/z000'. */
  suffix: string;
  bytes: Uint8Array;
  meta: MedicalMeta;
  stats: SampleValues;
}

/** All samples of one file, in suffix order; throws an InputError naming the file. */
export async function mapMedicalFile(file: string, job: MedicalJob): Promise<MappedSample[]> {
  const out: MappedSample[] = [];
  for await (const slice of decodeFile(file)) {
    let options = job.values;
    if (job.dicomWindow) {
      const { windowCenter: center, windowWidth: width } = slice.meta;
      if (center === undefined || width === undefined || !(width >= 1)) {
        throw new InputError(file, `has no usable WindowCenter/WindowWidth${slice.suffix ? ` (image ${slice.suffix.slice(1)})` : ''}, which --window dicom needs; give --window <center>,<width> or a preset`);
      }
      options = { ...options, windows: [{ center, width }] };
    }
    // 8-bit stored values are display values already: auto/stored keep them as they are.
    const narrow = (slice.meta.bitsStored ?? 16) <= 8 && slice.meta.rescaleSlope === 1 && slice.meta.rescaleIntercept === 0;
    const { bytes, stats } = mapStored(slice, narrow, options, job) ?? mapValues(resampleTo(toGrey(slice.modality, slice.channels), slice.width, slice.height, job.size, job.fit, job.kernel), narrow, options);
    out.push({ suffix: slice.suffix, bytes, meta: slice.meta, stats });
  }
  return out;
}

/**
 * The common CT/MR case straight from the stored values: one channel at the output size, modality values
 * `stored + integer intercept`, uint8 by intensity (mapIntegers). Undefined otherwise; the slice's
 * float modality values are then computed (they are lazy) and mapped the general way.
 */
function mapStored(slice: MedicalSlice, narrow: boolean, options: ValueOptions, job: MedicalJob): ReturnType<typeof mapIntegers> {
  const { stored, meta } = slice;
  if (slice.channels !== 1 || slice.width !== job.size || slice.height !== job.size || meta.modalityLut || meta.rescaleSlope !== 1) return undefined;
  if (!(stored instanceof Uint8Array || stored instanceof Uint16Array || stored instanceof Int8Array || stored instanceof Int16Array)) return undefined;
  return mapIntegers(stored, narrow, options, meta.rescaleIntercept);
}

/**
 * decodeMedical, with the file read synchronously: this runs in a decoder thread that has nothing else to
 * do meanwhile, and the promise read's FileHandle open and close cost about a third of a small file's
 * decode in the profile.
 */
async function* decodeFile(file: string): AsyncGenerator<MedicalSlice> {
  const format = await detectMedical(file);
  if (!format) return yield* decodeMedical(file); // which says why the file is neither
  const bytes = readFileSync(file);
  yield* format === 'dicom' ? decodeDicom(file, bytes) : decodeNifti(file, bytes);
}
