// `--group-by patient|study|series|folder[:depth]`: the unit that must never be in two splits.
import type { SliceMeta } from '../slice-meta.js';

export type GroupBy = { kind: 'patient' } | { kind: 'study' } | { kind: 'series' } | { kind: 'folder'; depth?: number };

export function parseGroupBy(text: string): GroupBy {
  const m = /^(patient|study|series|folder)(?::(\d+))?$/.exec(text.trim());
  if (!m || (m[2] !== undefined && m[1] !== 'folder')) throw new RangeError(`--group-by must be patient, study, series, folder or folder:<depth> (got ${JSON.stringify(text)})`);
  if (m[1] !== 'folder') return { kind: m[1] as 'patient' | 'study' | 'series' };
  if (m[2] === undefined) return { kind: 'folder' };
  const depth = Number(m[2]);
  if (!Number.isSafeInteger(depth) || depth < 1) throw new RangeError(`--group-by folder:<depth> needs a depth of at least 1 (got ${m[2]})`);
  return { kind: 'folder', depth };
}

export function formatGroupBy(g: GroupBy): string {
  return g.kind === 'folder' && g.depth !== undefined ? `folder:${g.depth}` : g.kind;
}

/** The folder holding slices at the root of the tree: they form one group, so none can leak. */
export const ROOT_GROUP = '.';

/**
 * The group of a sample with key `key` (its folder is everything before the last `/`).
 * - patient: DICOM PatientID where present, else the first folder level;
 * - study / series: the DICOM Study / Series Instance UID where present, else the slice's folder
 *   (a PNG tree has one folder per series);
 * - folder: the slice's folder, or its first `depth` levels.
 * DICOM ids are prefixed with their tag name so they never merge with a folder of the same name.
 */
export function groupOf(key: string, g: GroupBy, meta?: SliceMeta): string {
  const parts = key.split('/').slice(0, -1);
  const folder = (depth?: number) => (parts.length === 0 ? ROOT_GROUP : parts.slice(0, depth ?? parts.length).join('/'));
  switch (g.kind) {
    case 'patient':
      return meta?.patientId ? `PatientID:${meta.patientId}` : folder(1);
    case 'study':
      return meta?.studyInstanceUid ? `StudyInstanceUID:${meta.studyInstanceUid}` : folder();
    case 'series':
      return meta?.seriesInstanceUid ? `SeriesInstanceUID:${meta.seriesInstanceUid}` : folder();
    case 'folder':
      return folder(g.depth);
  }
}

/**
 * PatientIDs that occur under more than one first-level folder: the user should know those folders
 * are being kept together (or that two patients share an id).
 */
export function sharedPatientIds(samples: { key: string; meta?: SliceMeta }[]): string[] {
  const folders = new Map<string, Set<string>>();
  for (const s of samples) {
    const id = s.meta?.patientId;
    if (!id) continue;
    const top = s.key.includes('/') ? s.key.slice(0, s.key.indexOf('/')) : ROOT_GROUP;
    if (!folders.has(id)) folders.set(id, new Set());
    folders.get(id)!.add(top);
  }
  return [...folders]
    .filter(([, f]) => f.size > 1)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, f]) => `PatientID ${id} is shared by ${f.size} folders (${[...f].sort().slice(0, 5).join(', ')}${f.size > 5 ? ', ...' : ''}); they are kept in one split`);
}
