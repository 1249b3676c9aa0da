// Series order of DICOM samples, decided at build from their headers: keys stay sorted in shards (a
// format rule), so each sample's series and its place in it are written into the index metadata, and
// the reader's context slices follow anatomy rather than file names.
import type { SliceFile } from './discover.js';
import { indexSuffix } from './decode/sample-suffix.js';

/** `series`: the dataset's series number (by first key); `position`: the sample's rank in it, from 0. */
export interface SeriesPlace {
  series: number;
  position: number;
}

interface Member {
  key: string;
  position?: number;
  instanceNumber?: number;
}

const byKey = (a: Member, b: Member) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * Where every DICOM sample of `slices` (sorted by key, as discovery returns them) sits in its series.
 * A series is one SeriesInstanceUID (without one: the file's folder, or the file itself when it holds
 * several frames). Within a series samples are ordered by position along the slice normal when every
 * member has one, else by InstanceNumber when every member has one, else by key; ties by key (the
 * frames of one file stay in frame order).
 */
export function seriesPlaces(slices: readonly Pick<SliceFile, 'key' | 'rel' | 'dir' | 'many' | 'dicom'>[]): Map<string, SeriesPlace> {
  const series = new Map<string, Member[]>();
  for (const s of slices) {
    const head = s.dicom;
    if (!head) continue;
    const id = head.ids.seriesInstanceUid !== undefined ? `uid:${head.ids.seriesInstanceUid}` : s.many ? `file:${s.rel}` : `dir:${s.dir}`;
    let members = series.get(id);
    if (!members) series.set(id, (members = []));
    head.places.forEach((p, f) => members!.push({ key: s.many ? s.key + indexSuffix('f', f, head.places.length) : s.key, ...p }));
  }
  const out = new Map<string, SeriesPlace>();
  [...series.values()].forEach((members, number) => {
    const all = (field: 'position' | 'instanceNumber') => members.every((m) => m[field] !== undefined);
    const field = all('position') ? 'position' : all('instanceNumber') ? 'instanceNumber' : undefined;
    const sorted = field ? members.sort((a, b) => a[field]! - b[field]! || byKey(a, b)) : members.sort(byKey);
    sorted.forEach((m, position) => out.set(m.key, { series: number, position }));
  });
  return out;
}
