// DICOM identity tags (PatientID, Study/Series/SOP Instance UID) of each DICOM input, read from its header
// before any decoding, so patient-level splits group by PatientID where the files carry one.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDicomBytes } from './decode/dicom-header.js';
import type { SliceFile } from './discover.js';
import type { SliceMeta, SliceMetaLookup } from './slice-meta.js';

const TAGS = { patientId: 'x00100020', studyInstanceUid: 'x0020000d', seriesInstanceUid: 'x0020000e', sopInstanceUid: 'x00080018' } as const;

/** Metadata by slice key for the DICOM files among `slices`; unreadable files give none (decoding reports them). */
export async function dicomMetaLookup(root: string, slices: SliceFile[]): Promise<SliceMetaLookup> {
  const byKey = new Map<string, SliceMeta>();
  const dicom = slices.filter((s) => s.format === 'dicom');
  const CHUNK = 32; // a few files at a time: memory stays flat however many inputs
  for (let i = 0; i < dicom.length; i += CHUNK) {
    await Promise.all(
      dicom.slice(i, i + CHUNK).map(async (s) => {
        try {
          const bytes = await readFile(path.join(root, s.rel));
          const ds = parseDicomBytes(s.rel, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
          const meta: SliceMeta = {};
          for (const [field, tag] of Object.entries(TAGS) as [keyof SliceMeta, string][]) {
            const value = ds.string(tag)?.trim();
            if (value) meta[field] = value;
          }
          byKey.set(s.key, meta);
        } catch {
          // not readable as DICOM here: the build reports the file when it decodes it
        }
      }),
    );
  }
  return (key) => byKey.get(key);
}
