// What discovery learns from a DICOM header, read once and only up to the pixel data: frame count,
// identity tags (PatientID, Study/Series/SOP Instance UID, for splits and label joins) and where each
// frame lies (for series order), so no later step opens the file again just for its tags.
import { readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import dicomParser, { type DataSet } from 'dicom-parser';
import { parseDicomBytes } from './decode/dicom-header.js';
import { quickHeadDataSet } from './dicom-quick-head.js';
import { frameAttributes, text } from './decode/dicom-meta.js';
import type { SliceMeta, SliceMetaLookup } from './slice-meta.js';

/** Where one frame lies in its series. */
export interface SlicePlace {
  /** ImagePositionPatient projected on the slice normal (ImageOrientationPatient row x column), in mm. */
  position?: number;
  instanceNumber?: number;
}

export interface DicomHead {
  /** NumberOfFrames (1 for a single-frame object). */
  frames: number;
  ids: SliceMeta;
  /** One per frame. */
  places: SlicePlace[];
}

const TAGS = { patientId: 'x00100020', studyInstanceUid: 'x0020000d', seriesInstanceUid: 'x0020000e', sopInstanceUid: 'x00080018' } as const;
const PIXEL_DATA = 'x7fe00010';
/** Prefix sizes tried before the whole file: most headers (even enhanced multi-frame ones) fit in the first. */
const HEAD_BYTES = [64 * 1024, 1024 * 1024];
/** Equal UID strings share one copy: a series of 500 slices holds its UIDs once, not 500 times. */
const interned = new Map<string, string>();

/**
 * Reads the header of a DICOM file: the bytes before the pixel data, in growing prefixes, and the
 * whole file only when no prefix holds the header (a huge header, or a deflated data set, which
 * cannot be inflated in part). Throws when the file is not readable DICOM: decoding then reports it.
 */
export async function readDicomHead(file: string): Promise<DicomHead> {
  const handle = await open(file, 'r');
  try {
    const size = (await handle.stat()).size;
    for (const n of HEAD_BYTES) {
      if (n >= size) break;
      const bytes = new Uint8Array(n);
      const { bytesRead } = await handle.read(bytes, 0, n, 0);
      const head = headFromPrefix(bytes.subarray(0, bytesRead));
      if (head) return head;
    }
    const bytes = new Uint8Array(size);
    const { bytesRead } = await handle.read(bytes, 0, size, 0);
    return headFromWhole(file, bytes.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

/**
 * readDicomHead on an open descriptor, synchronously (a decoder thread scanning inputs does nothing else
 * meanwhile). `whole` is the file's bytes when the caller read them all already (to hash them).
 */
export function readDicomHeadSync(file: string, fd: number, size: number, whole?: Uint8Array): DicomHead {
  if (whole) return headFromWhole(file, whole);
  for (const n of HEAD_BYTES) {
    if (n >= size) break;
    const bytes = new Uint8Array(n);
    const head = headFromPrefix(bytes.subarray(0, readSync(fd, bytes, 0, n, 0)));
    if (head) return head;
  }
  const bytes = new Uint8Array(size);
  return headFromWhole(file, bytes.subarray(0, readSync(fd, bytes, 0, size, 0)));
}

/** The head from a file's first bytes, or undefined when they end inside the header. */
function headFromPrefix(bytes: Uint8Array): DicomHead | undefined {
  const ds = parseHead(bytes);
  // A prefix that ends between two elements parses without error: only the pixel data element proves the header is whole.
  return ds?.elements[PIXEL_DATA] ? headOf(ds) : undefined;
}

/** The head from all of a file's bytes: the quick walk when it is sure, else a whole parse (dicom-parser's untilTag parse is the slower of its two here). */
function headFromWhole(file: string, bytes: Uint8Array): DicomHead {
  return headOf(quickHeadDataSet(bytes) ?? parseDicomBytes(file, bytes));
}

function parseHead(bytes: Uint8Array): DataSet | undefined {
  try {
    return dicomParser.parseDicom(bytes, { TransferSyntaxUID: '1.2.840.10008.1.2', untilTag: PIXEL_DATA });
  } catch {
    return undefined; // cut inside an element (or deflated): a longer prefix decides
  }
}

function headOf(ds: DataSet): DicomHead {
  const frames = Math.max(1, ds.intString('x00280008') ?? 1);
  const ids: SliceMeta = {};
  for (const [field, tag] of Object.entries(TAGS) as [keyof SliceMeta, string][]) {
    const value = text(ds, tag);
    if (value) ids[field] = field === 'sopInstanceUid' ? value : intern(value);
  }
  const instance = ds.intString('x00200013');
  const instanceNumber = instance !== undefined && Number.isFinite(instance) ? instance : undefined;
  const places = Array.from({ length: frames }, (_, f): SlicePlace => {
    const a = frameAttributes(ds, f);
    const position = along(a.imagePositionPatient, a.imageOrientationPatient);
    return { ...(position !== undefined ? { position } : {}), ...(instanceNumber !== undefined ? { instanceNumber } : {}) };
  });
  return { frames, ids, places };
}

/** The position's projection on the slice normal, or undefined when position or orientation is missing or degenerate. */
export function along(ipp: number[] | undefined, iop: number[] | undefined): number | undefined {
  if (ipp?.length !== 3 || iop?.length !== 6) return undefined;
  const [rx, ry, rz, cx, cy, cz] = iop;
  const n = [ry * cz - rz * cy, rz * cx - rx * cz, rx * cy - ry * cx];
  const norm = Math.hypot(n[0], n[1], n[2]);
  if (!(norm > 1e-6)) return undefined;
  return (ipp[0] * n[0] + ipp[1] * n[1] + ipp[2] * n[2]) / norm;
}

function intern(s: string): string {
  const found = interned.get(s);
  if (found !== undefined) return found;
  if (interned.size > 1 << 16) interned.clear(); // a bound, for trees of very many series
  interned.set(s, s);
  return s;
}

/** The same head with its repeated UIDs shared again: a head that came from a decoder thread is a fresh copy of every string. */
export function internHead(head: DicomHead): DicomHead {
  const ids: SliceMeta = {};
  for (const [field, value] of Object.entries(head.ids) as [keyof SliceMeta, string][]) ids[field] = field === 'sopInstanceUid' ? value : intern(value);
  return { ...head, ids };
}

/** Identity tags by slice key, from what discovery read (no file is opened again). */
export function dicomMetaLookup(slices: readonly { key: string; dicom?: DicomHead }[]): SliceMetaLookup {
  const byKey = new Map<string, SliceMeta>();
  for (const s of slices) if (s.dicom) byKey.set(s.key, s.dicom.ids);
  return (key) => byKey.get(key);
}
