// The one entry point the build uses: detect a file's medical format and yield its decoded slices.
import { readFile } from 'node:fs/promises';
import { InputError } from '../errors.js';
import { detectMedical, medicalExtension } from './detect.js';
import { decodeDicom } from './dicom.js';
import { decodeNifti } from './nifti.js';
import type { MedicalSlice } from './types.js';

export { detectMedical, medicalExtension };

/**
 * Every 2-D image in a DICOM or NIfTI file, one at a time (frames and slices are decoded lazily).
 * The key of each is `<path without medicalExtension(file)>` + `suffix`. Bad input throws an
 * InputError naming the file and the reason.
 */
export async function* decodeMedical(file: string): AsyncGenerator<MedicalSlice> {
  const format = await detectMedical(file);
  if (!format) throw new InputError(file, 'not a DICOM (.dcm, or DICM at byte 128) or NIfTI (.nii, .nii.gz) file');
  const bytes = await readFile(file);
  yield* format === 'dicom' ? decodeDicom(file, bytes) : decodeNifti(file, bytes);
}
