// The 2k+1 slices around each sample within its series, for context channels (2.5D input).
//
// Series: by default a sample's folder (its key without the last `/` part): one patient folder of a
// PNG tree, or one DICOM series folder; a caller with better knowledge (DICOM Series Instance UID,
// slice position) passes `seriesOf` / `compare`. Order within a series: natural order of the slice
// names (slice_2 before slice_10), ties in manifest order. At the ends of a series the edge slice
// is repeated, so every sample has exactly 2k+1 channels and is itself the middle one.
import { naturalCompare } from './natural-order.js';

export interface ContextOptions {
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

export function contextTable(keys: readonly string[], k: number, o: ContextOptions = {}): ContextTable {
  if (!Number.isSafeInteger(k) || k < 0 || k > 64) throw new RangeError(`context must be an integer from 0 to 64 (got ${k})`);
  const width = 2 * k + 1;
  const n = keys.length;
  const neighbours = new Uint32Array(n * width);
  const seriesOf = o.seriesOf ?? ((_: number, key: string) => folderOf(key));
  const compare = o.compare ?? byName;
  const series = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const s = seriesOf(i, keys[i]);
    const list = series.get(s);
    if (list) list.push(i);
    else series.set(s, [i]);
  }
  for (const members of series.values()) {
    const sorted = members.map((index) => ({ index, key: keys[index] })).sort((a, b) => compare(a, b) || a.index - b.index);
    const last = sorted.length - 1;
    sorted.forEach(({ index }, pos) => {
      for (let d = -k; d <= k; d++) neighbours[index * width + d + k] = sorted[Math.min(last, Math.max(0, pos + d))].index;
    });
  }
  return { k, width, neighbours, of: (index) => neighbours.subarray(index * width, (index + 1) * width) };
}
