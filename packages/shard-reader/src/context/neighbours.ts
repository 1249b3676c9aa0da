// The 2k+1 slices around each sample within its series, for context channels (2.5D input).
//
// Series: a DICOM sample's series as its build recorded it (`order`: SeriesInstanceUID, ranked along
// the slice normal, else by InstanceNumber); any other sample's folder (its key without the last `/`
// part): one patient folder of a PNG tree, one NIfTI volume (z000, z001, ...). Order within a folder:
// natural order of the slice names (slice_2 before slice_10), ties in manifest order. A caller with
// other knowledge passes `seriesOf` / `compare`. At the ends of a series the edge slice is repeated,
// so every sample has exactly 2k+1 channels and is itself the middle one.
import { naturalCompare } from './natural-order.js';
import type { SeriesOrder } from './series-order.js';

export interface ContextOptions {
  /** The series order recorded at build (DICOM); samples without one (-1) fall back to their folder. */
  order?: SeriesOrder;
  /** Series of sample i; default: the folder part of its key. */
  seriesOf?: (index: number, key: string) => string;
  /** Order of two samples of one series; default: natural order of the last key part. */
  compare?: (a: { index: number; key: string }, b: { index: number; key: string }) => number;
}

/** The series a key belongs to by default: everything before its last `/` ('' at the root). */
export function folderOf(key: string): string {
  const slash = key.lastIndexOf('/');
  return slash < 0 ? '' : key.slice(0, slash);
}

const byName = (a: { key: string }, b: { key: string }) => naturalCompare(a.key.slice(a.key.lastIndexOf('/') + 1), b.key.slice(b.key.lastIndexOf('/') + 1));

export interface ContextTable {
  k: number;
  /** Channels per sample: 2k + 1. */
  width: number;
  /** n x (2k+1) global indices: row i is sample i's series neighbours from -k to +k. */
  neighbours: Uint32Array;
  /** Neighbours of sample i (a view into `neighbours`). */
  of(index: number): Uint32Array;
}

/** One series: its name (`series:<n>` for a recorded DICOM series, else the folder) and its samples in order. */
export interface Series {
  id: string;
  indices: number[];
}

/**
 * Every series of the dataset with its samples in series order, series by their first sample. DICOM
 * series names start with a control character internally, which no key holds, so a recorded series
 * never merges with a folder of the same name.
 */
export function seriesList(keys: readonly string[], o: ContextOptions = {}): Series[] {
  const order = o.order;
  const recorded = (i: number) => order !== undefined && order.series[i] >= 0;
  const seriesOf = o.seriesOf ?? ((i: number, key: string) => (recorded(i) ? `\u0000${order!.series[i]}` : folderOf(key)));
  const compare = o.compare ?? (order ? (a: { index: number; key: string }, b: { index: number; key: string }) => (recorded(a.index) && recorded(b.index) ? order.position[a.index] - order.position[b.index] : byName(a, b)) : byName);
  const series = new Map<string, number[]>();
  for (let i = 0; i < keys.length; i++) {
    const s = seriesOf(i, keys[i]);
    const list = series.get(s);
    if (list) list.push(i);
    else series.set(s, [i]);
  }
  return [...series].map(([id, members]) => ({
    id: id.startsWith('\u0000') ? `series:${id.slice(1)}` : id,
    indices: members
      .map((index) => ({ index, key: keys[index] }))
      .sort((a, b) => compare(a, b) || a.index - b.index)
      .map((m) => m.index),
  }));
}

export function contextTable(keys: readonly string[], k: number, o: ContextOptions = {}): ContextTable {
  if (!Number.isSafeInteger(k) || k < 0 || k > 64) throw new RangeError(`context must be an integer from 0 to 64 (got ${k})`);
  const width = 2 * k + 1;
  const neighbours = new Uint32Array(keys.length * width);
  for (const { indices: sorted } of seriesList(keys, o)) {
    const last = sorted.length - 1;
    sorted.forEach((index, pos) => {
      for (let d = -k; d <= k; d++) neighbours[index * width + d + k] = sorted[Math.min(last, Math.max(0, pos + d))];
    });
  }
  return { k, width, neighbours, of: (index) => neighbours.subarray(index * width, (index + 1) * width) };
}
