// Which medical format a file is: DICOM by extension or by the DICM preamble, NIfTI by extension.
import { open } from 'node:fs/promises';
import path from 'node:path';

export type MedicalFormat = 'dicom' | 'nifti';

/** The part of a file name that the key drops: '.dcm', '.nii', '.nii.gz', or '' for a bare DICOM. */
export function medicalExtension(file: string): string {
  const lower = path.basename(file).toLowerCase();
  if (lower.endsWith('.nii.gz')) return file.slice(-'.nii.gz'.length);
  const ext = path.extname(file);
  return ['.dcm', '.nii'].includes(ext.toLowerCase()) ? ext : '';
}

/** True when bytes 128..131 of a file's first bytes read `DICM` (the DICOM Part 10 preamble). */
export function hasDicmPreamble(head: Uint8Array): boolean {
  return head.length >= 132 && head[128] === 0x44 && head[129] === 0x49 && head[130] === 0x43 && head[131] === 0x4d;
}

/**
 * The format of `file`, or undefined when it is neither. Only files without an extension (or with
 * an all-digit one, as UID-named files have) are opened
 * (to look for `DICM` at byte 128), so a tree of PNGs costs no extra reads.
 */
export async function detectMedical(file: string): Promise<MedicalFormat | undefined> {
  const lower = path.basename(file).toLowerCase();
  if (lower.endsWith('.dcm')) return 'dicom';
  if (lower.endsWith('.nii') || lower.endsWith('.nii.gz')) return 'nifti';
  // Files named by their SOP Instance UID (`1.2.840.113619.2.55.3.123`) have no real extension.
  const ext = path.extname(lower);
  if (ext !== '' && !/^\.\d+$/.test(ext)) return undefined;
  const handle = await open(file, 'r');
  try {
    const head = new Uint8Array(132);
    const { bytesRead } = await handle.read(head, 0, 132, 0);
    return hasDicmPreamble(head.subarray(0, bytesRead)) ? 'dicom' : undefined;
  } finally {
    await handle.close();
  }
}
