// The value pipeline after decoding: modality values -> window or intensity mode -> the stored dtype.
import type { Dtype, ValueStats } from 'shard-format';
import { applyWindow, type CtWindow } from './window.js';

/**
 * How uint8 output is reached when no window is given. `dataset`: one range for every image, the min..max
 * of the modality values over the whole build (a first pass finds it, see dataset-range.ts) or as given;
 * unresolved (no lo/hi) until that pass has run.
 */
export type IntensityMode = { mode: 'auto' } | { mode: 'stored' } | { mode: 'minmax' } | { mode: 'percentile'; lo: number; hi: number } | { mode: 'dataset'; lo?: number; hi?: number };

export const DEFAULT_PERCENTILES = { lo: 0.5, hi: 99.5 } as const;

const NUMBER = String.raw`-?\d+(?:\.\d+)?(?:e[-+]?\d+)?`;
const DATASET_RE = new RegExp(`^dataset(?::(${NUMBER}),(${NUMBER}))?$`);

/** Parses `--intensity auto|stored|minmax|percentile[:lo,hi]|dataset[:lo,hi]`. */
export function parseIntensity(text: string): IntensityMode {
  const t = text.trim().toLowerCase();
  if (t === 'auto' || t === 'stored' || t === 'minmax') return { mode: t };
  const d = DATASET_RE.exec(t);
  if (d) {
    if (d[1] === undefined) return { mode: 'dataset' };
    const lo = Number(d[1]);
    const hi = Number(d[2]);
    if (Number.isFinite(lo) && Number.isFinite(hi) && lo < hi) return { mode: 'dataset', lo, hi };
  }
  const m = /^percentile(?::(\d+(?:\.\d+)?),(\d+(?:\.\d+)?))?$/.exec(t);
  if (m) {
    const lo = m[1] === undefined ? DEFAULT_PERCENTILES.lo : Number(m[1]);
    const hi = m[2] === undefined ? DEFAULT_PERCENTILES.hi : Number(m[2]);
    if (lo < hi && hi <= 100) return { mode: 'percentile', lo, hi };
  }
  throw new RangeError(`--intensity must be auto, stored, minmax, percentile[:lo,hi] with 0 <= lo < hi <= 100, or dataset[:lo,hi] with lo < hi (got ${JSON.stringify(text)})`);
}

/** The canonical text of a mode, as the schema records it (`dataset:<lo>,<hi>` once the range is known). */
export function intensityText(m: IntensityMode): string {
  if (m.mode === 'percentile' || (m.mode === 'dataset' && m.lo !== undefined && m.hi !== undefined)) return `${m.mode}:${m.lo},${m.hi}`;
  return m.mode;
}

export interface ValueOptions {
  dtype: Dtype;
  /** One window (uint8, C = 1), several (`--windows`, one uint8 channel each), or none. */
  windows: CtWindow[] | null;
  intensity: IntensityMode;
}

/** What one mapped sample tells the build about its values (for the manifest and the warnings). */
export interface SampleValues {
  min: number;
  max: number;
  /** Pixels outside the dtype's range (int16/uint16), clipped. */
  clipped: number;
  /** Distinct uint8 output levels when an intensity mode (not a window) made them; -1 otherwise. */
  levels: number;
  /** Fine histogram of the values (see fineBin). */
  bins: FineBins;
}

/**
 * Pixel counts of consecutive fine bins, `counts[i]` in bin `first + i`: one typed array that a decoder
 * thread posts as a block (a Map of the ~1,000 bins of a CT image cost more to build, clone and add up
 * than the image's value mapping).
 */
export interface FineBins {
  first: number;
  counts: Int32Array;
}

/** The bins in use, ascending: [bin, count] with count > 0. */
export function binEntries(b: FineBins): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < b.counts.length; i++) if (b.counts[i] !== 0) out.push([b.first + i, b.counts[i]]);
  return out;
}

const NO_BINS = (): FineBins => ({ first: 0, counts: new Int32Array(0) });

/** Fewer distinct grey levels than this in an image counts as a collapse worth a warning. */
export const FEW_LEVELS = 32;

/**
 * Maps one image's modality values (`size*size`, one channel) to the record's pixel bytes.
 * `narrow` is true when the input's stored values were 8-bit (so `auto`/`stored` keep them as they are).
 */
export function mapValues(values: Float32Array, narrow: boolean, o: ValueOptions): { bytes: Uint8Array; stats: SampleValues } {
  const fast = mapIntegerValues(values, narrow, o);
  if (fast) return fast;
  const stats = scan(values);
  const n = values.length;
  if (o.windows) {
    const c = o.windows.length;
    const out = new Uint8Array(n * c);
    o.windows.forEach((w, i) => applyWindow(values, out, w, i, c));
    return { bytes: out, stats };
  }
  if (o.dtype === 'float32') return { bytes: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)), stats };
  if (o.dtype === 'int16' || o.dtype === 'uint16') {
    const out = o.dtype === 'int16' ? new Int16Array(n) : new Uint16Array(n);
    const [lo, hi] = o.dtype === 'int16' ? [-32768, 32767] : [0, 65535];
    for (let i = 0; i < n; i++) {
      const v = Math.round(values[i]);
      if (v < lo) {
        out[i] = lo;
        stats.clipped++;
      } else if (v > hi) {
        out[i] = hi;
        stats.clipped++;
      } else out[i] = v;
    }
    return { bytes: new Uint8Array(out.buffer), stats };
  }
  const out = new Uint8Array(n);
  const mode = intensityMode(o, narrow);
  if (mode === 'stored') {
    // 8-bit input as it is; wider input by round(v / 257), the exact inverse of the 8-to-16 bit scale.
    if (narrow) for (let i = 0; i < n; i++) out[i] = roundByte(values[i]);
    else for (let i = 0; i < n; i++) out[i] = roundByte(values[i] / 257);
  } else {
    const [lo, hi] = mode === 'minmax' ? [stats.min, stats.max] : mode === 'dataset' ? datasetRange(o.intensity) : percentiles(values, (o.intensity as { lo: number }).lo, (o.intensity as { hi: number }).hi);
    const scale = hi > lo ? 255 / (hi - lo) : 0;
    for (let i = 0; i < n; i++) out[i] = roundByte((values[i] - lo) * scale);
  }
  stats.levels = distinct(out);
  return { bytes: out, stats };
}

function datasetRange(m: IntensityMode): [number, number] {
  if (m.mode !== 'dataset' || m.lo === undefined || m.hi === undefined) throw new Error('internal: --intensity dataset before its range was found');
  return [m.lo, m.hi];
}

/** `auto` resolved: 8-bit stored values are display values already (`stored`), anything wider `minmax`. */
function intensityMode(o: ValueOptions, narrow: boolean): IntensityMode['mode'] {
  return o.intensity.mode === 'auto' ? (narrow ? 'stored' : 'minmax') : o.intensity.mode;
}

/** The mode when a per-value table can map the image (uint8, no window, `stored` or `minmax`), else undefined. */
function tableMode(o: ValueOptions, narrow: boolean): 'stored' | 'minmax' | undefined {
  const mode = intensityMode(o, narrow);
  return !o.windows && o.dtype === 'uint8' && (mode === 'stored' || mode === 'minmax') ? mode : undefined;
}

/**
 * The per-value byte table of an integer image whose values min..max were counted in `counts[at + v]`
 * (and are cleared here as they are read): `lut[v - min]` is v's byte by the same expressions mapValues
 * evaluates per pixel, with the image's fine histogram and its number of grey levels.
 */
function valueTable(counts: Int32Array, at: number, min: number, max: number, mode: 'stored' | 'minmax', narrow: boolean): { lut: Uint8Array; levels: number; bins: FineBins } {
  const scale = max > min ? 255 / (max - min) : 0;
  const lut = new Uint8Array(max - min + 1);
  const table = integerBins();
  // fineBin never decreases as v grows, so the bins in use lie between those of min and max.
  const first = table[min - INT_LO];
  const binCounts = new Int32Array(table[max - INT_LO] - first + 1);
  const seen = new Uint8Array(256);
  let levels = 0;
  for (let v = min; v <= max; v++) {
    const c = counts[at + v];
    if (c === 0) continue;
    counts[at + v] = 0;
    binCounts[table[v - INT_LO] - first] += c;
    const out = mode === 'stored' ? roundByte(narrow ? v : v / 257) : roundByte((v - min) * scale);
    lut[v - min] = out;
    if (seen[out] === 0) {
      seen[out] = 1;
      levels++;
    }
  }
  return { lut, levels, bins: { first, counts: binCounts } };
}

/** Per-value pixel counts for mapIntegers (one per thread, cleared over the range used after each image), at value + the array's offset. */
const valueCounts = new Int32Array(65536);

/** 8/16-bit stored values, as PNG and most DICOM decode to. */
export type SmallIntegers = Uint8Array | Uint16Array | Int8Array | Int16Array;

/**
 * mapValues for 8/16-bit stored values whose modality values are `stored + intercept` (a PNG slice, or a
 * CT/MR image with slope 1 and an integer intercept) to uint8 without a window, through a histogram of the
 * stored values and a per-value table: no float array of modality values and no arithmetic per pixel.
 * Undefined for anything else (the caller then uses mapValues on the modality values). Same bytes and
 * statistics as mapValues on `stored + intercept`.
 */
export function mapIntegers(stored: SmallIntegers, narrow: boolean, o: ValueOptions, intercept = 0): { bytes: Uint8Array; stats: SampleValues } | undefined {
  const mode = tableMode(o, narrow);
  if (!mode || stored.length === 0 || !Number.isInteger(intercept)) return undefined;
  const n = stored.length;
  // Signed values are counted at value + 32768, so one table serves every type.
  const offset = stored instanceof Int16Array || stored instanceof Int8Array ? 32768 : 0;
  let least: number;
  let most: number;
  if (stored instanceof Uint8Array || stored instanceof Int8Array) [least, most] = countBytes(stored, offset);
  else {
    // The range in the same pass: finding it by walking the 65,536 counts cost more than counting a 64x64 image.
    least = stored[0];
    most = least;
    for (let i = 0; i < n; i++) {
      const v = stored[i];
      valueCounts[v + offset]++;
      if (v < least) least = v;
      if (v > most) most = v;
    }
  }
  const lo = least + offset;
  const hi = most + offset;
  const min = lo - offset + intercept;
  const max = hi - offset + intercept;
  if (min < INT_LO || max > INT_HI) {
    valueCounts.fill(0, lo, hi + 1);
    return undefined;
  }
  // valueCounts[k] counts modality value k - offset + intercept.
  const { lut, levels, bins } = valueTable(valueCounts, offset - intercept, min, max, mode, narrow);
  const bytes = new Uint8Array(n);
  if (mode === 'stored' && narrow && stored instanceof Uint8Array && intercept === 0) bytes.set(stored);
  else {
    const at = offset - lo;
    for (let i = 0; i < n; i++) bytes[i] = lut[stored[i] + at];
  }
  return { bytes, stats: { min, max, clipped: 0, levels, bins } };
}

/** Four banks of 256 counts for 8-bit values (see countBytes). */
const byteBanks = new Int32Array(1024);

/**
 * Counts 8-bit values into valueCounts (at value + offset) and returns their min and max. Neighbouring
 * pixels mostly share a value, and one counter incremented again and again waits on its own last store:
 * four banks taken in turn, added up at the end, count a smooth 8-bit 256x256 slice in about 0.7x the time here (scripts/bench/writer-micro.ts).
 */
function countBytes(stored: Uint8Array | Int8Array, offset: number): [number, number] {
  const shift = stored instanceof Int8Array ? 128 : 0;
  const n = stored.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    byteBanks[stored[i] + shift]++;
    byteBanks[256 + stored[i + 1] + shift]++;
    byteBanks[512 + stored[i + 2] + shift]++;
    byteBanks[768 + stored[i + 3] + shift]++;
  }
  for (; i < n; i++) byteBanks[stored[i] + shift]++;
  let least = 256;
  let most = -1;
  for (let k = 0; k < 256; k++) {
    const c = byteBanks[k] + byteBanks[k + 256] + byteBanks[k + 512] + byteBanks[k + 768];
    if (c === 0) continue;
    valueCounts[k - shift + offset] = c;
    if (least === 256) least = k;
    most = k;
  }
  byteBanks.fill(0);
  return [least - shift, most - shift];
}

/** Per-value pixel counts for mapIntegerValues, indexed by value - INT_LO (cleared over the values used after each image). */
let modalityCounts: Int32Array | undefined;

/**
 * mapValues for modality values that are all integers in [INT_LO, INT_HI] (most CT and MR: stored values
 * times slope 1 plus an integer intercept) to uint8 without a window, `stored` or `minmax`: one pass
 * counts each value, then a table made once per value present gives the statistics, the grey levels
 * and every pixel's byte (the three passes of scan, map and distinct did float work per pixel).
 * Undefined when it does not apply (any other option, or a value that is not such an integer), and then
 * the counts are clean again. Same bytes and statistics as the general path.
 */
export function mapIntegerValues(values: Float32Array, narrow: boolean, o: ValueOptions): { bytes: Uint8Array; stats: SampleValues } | undefined {
  const mode = tableMode(o, narrow);
  const n = values.length;
  if (!mode || n === 0) return undefined;
  const counts = (modalityCounts ??= new Int32Array(INT_HI - INT_LO + 1));
  let min = INT_HI;
  let max = INT_LO;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    const k = v | 0;
    // -0 passes k === v, but the general path may report it as the minimum: leave such images to it.
    if (k !== v || k < INT_LO || k > INT_HI || (k === 0 && 1 / v < 0)) {
      for (let j = 0; j < i; j++) counts[(values[j] | 0) - INT_LO] = 0;
      return undefined;
    }
    counts[k - INT_LO]++;
    if (k < min) min = k;
    if (k > max) max = k;
  }
  const { lut, levels, bins } = valueTable(counts, -INT_LO, min, max, mode, narrow);
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = lut[(values[i] | 0) - min]; // an integer index (see scan)
  return { bytes, stats: { min, max, clipped: 0, levels, bins } };
}

/**
 * Math.round(y) clamped to 0..255 (NaN to 0), bit for bit, but as floor(y + 0.5) on small integers:
 * Math.round into a Uint8Array cost more per pixel than decoding. The correction step covers the one
 * double below 0.5 whose y + 0.5 rounds up to 1.
 */
export function roundByte(y: number): number {
  const x = y + 0.5;
  if (!(x >= 1)) return 0;
  if (x >= 255) return 255;
  const r = x | 0;
  return r - 0.5 > y ? r - 1 : r;
}

function distinct(bytes: Uint8Array): number {
  // A flag per level, not a count: a Uint8Array count wraps at 256 and counted a level again every 256 pixels.
  const seen = new Uint8Array(256);
  let count = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (seen[b] === 0) {
      seen[b] = 1;
      count++;
    }
  }
  return count;
}

/** The lo-th and hi-th percentiles (nearest rank) of the values. */
export function percentiles(values: Float32Array, lo: number, hi: number): [number, number] {
  const sorted = Float32Array.from(values).sort();
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  return [at(lo), at(hi)];
}

/**
 * A fixed, data-independent bin for a value: 64 bins per doubling of 1 + |v|, signed. Histograms of
 * images (and of shards, in the resume journal) add up exactly; the manifest's coarse histogram is
 * drawn from them once the whole range is known.
 */
export function fineBin(v: number): number {
  const b = Math.floor(Math.log2(1 + Math.abs(v)) * 64);
  return v < 0 ? -b - 1 : b;
}

/** A value inside fine bin `b` (its middle), the inverse of fineBin up to the bin's width. */
function binValue(b: number): number {
  const neg = b < 0;
  const k = neg ? -b - 1 : b;
  const v = 2 ** ((k + 0.5) / 64) - 1;
  return neg ? -v : v;
}

/** fineBin of every integer in [INT_LO, INT_HI]: CT and MR values are mostly integers there, and Math.log2 per pixel cost more than decoding. */
const INT_LO = -32768;
const INT_HI = 65535;
let intBins: Int16Array | undefined;
function integerBins(): Int16Array {
  if (!intBins) {
    intBins = new Int16Array(INT_HI - INT_LO + 1);
    for (let v = INT_LO; v <= INT_HI; v++) intBins[v - INT_LO] = fineBin(v);
  }
  return intBins;
}

/** Fine bins of finite float32 values lie within +-MAX_BIN (log2 of 2^128 times 64): counted densely, then kept sparse. */
const MAX_BIN = 128 * 64 + 1;
const counts = new Int32Array(2 * MAX_BIN + 1);

function scan(values: Float32Array): SampleValues {
  let min = Infinity;
  let max = -Infinity;
  const table = integerBins();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    // Integers in the table's range first (no log2); anything else that is finite takes fineBin; NaN/Inf voxels of a float NIfTI count nowhere.
    const k = v | 0; // an integer index: a float one made the table lookup 3x slower
    let at: number;
    if (k === v && k >= INT_LO && k <= INT_HI) at = table[k - INT_LO];
    else if (Number.isFinite(v)) at = fineBin(v);
    else continue;
    if (v < min) min = v;
    if (v > max) max = v;
    counts[at + MAX_BIN]++;
  }
  if (min > max) return { min, max, clipped: 0, levels: -1, bins: NO_BINS() };
  // fineBin never decreases as v grows, so the bins in use lie between those of min and max.
  const lo = fineBin(min) + MAX_BIN;
  const bins = { first: lo - MAX_BIN, counts: counts.slice(lo, fineBin(max) + MAX_BIN + 1) };
  counts.fill(0, lo, lo + bins.counts.length); // the counts array is shared by every scan in this thread
  return { min, max, clipped: 0, levels: -1, bins };
}

export interface TotalsJson {
  min: number | null;
  max: number | null;
  clipped: number;
  fewLevels: number;
  bins: [number, number][];
}

/** Fine bins of any finite double (fineBin of Number.MAX_VALUE is 65536): a journal's totals fit too. */
const TOTAL_MAX_BIN = 1024 * 64 + 1;

/** Running totals over samples; serialisable so a resumed build continues them. */
export class ValueTotals {
  min = Infinity;
  max = -Infinity;
  clipped = 0;
  fewLevels = 0;
  /** Counts by fine bin + TOTAL_MAX_BIN, dense (a sample's bins add up in one loop); doubles, as a dataset's pixels pass 2^31. */
  private readonly dense = new Float64Array(2 * TOTAL_MAX_BIN + 1);
  /** The range of dense in use (lo > hi while empty). */
  private lo = this.dense.length;
  private hi = -1;

  add(s: SampleValues): void {
    if (s.min < this.min) this.min = s.min;
    if (s.max > this.max) this.max = s.max;
    this.clipped += s.clipped;
    if (s.levels >= 0 && s.levels < FEW_LEVELS) this.fewLevels++;
    const { first, counts } = s.bins;
    if (counts.length === 0) return;
    const at = this.index(first);
    this.index(first + counts.length - 1);
    for (let i = 0; i < counts.length; i++) this.dense[at + i] += counts[i];
  }

  merge(o: ValueTotals): void {
    if (o.min < this.min) this.min = o.min;
    if (o.max > this.max) this.max = o.max;
    this.clipped += o.clipped;
    this.fewLevels += o.fewLevels;
    if (o.lo > o.hi) return;
    this.index(o.lo - TOTAL_MAX_BIN);
    this.index(o.hi - TOTAL_MAX_BIN);
    for (let i = o.lo; i <= o.hi; i++) this.dense[i] += o.dense[i];
  }

  /** The bins in use, bin -> count, ascending. */
  get bins(): Map<number, number> {
    const out = new Map<number, number>();
    for (let i = this.lo; i <= this.hi; i++) if (this.dense[i] !== 0) out.set(i - TOTAL_MAX_BIN, this.dense[i]);
    return out;
  }

  /** dense's index of fine bin `b`, widening the range in use to it. */
  private index(b: number): number {
    const i = b + TOTAL_MAX_BIN;
    if (!(Number.isInteger(b) && i >= 0 && i < this.dense.length)) throw new RangeError(`fine bin ${b} is not one fineBin gives`);
    if (i < this.lo) this.lo = i;
    if (i > this.hi) this.hi = i;
    return i;
  }

  toJSON(): TotalsJson {
    return { min: Number.isFinite(this.min) ? this.min : null, max: Number.isFinite(this.max) ? this.max : null, clipped: this.clipped, fewLevels: this.fewLevels, bins: [...this.bins] };
  }

  static fromJSON(j: TotalsJson): ValueTotals {
    const t = new ValueTotals();
    // JSON has no Infinity: an empty total is written with null bounds.
    t.min = j.min ?? Infinity;
    t.max = j.max ?? -Infinity;
    t.clipped = j.clipped;
    t.fewLevels = j.fewLevels;
    for (const [b, c] of j.bins) t.dense[t.index(b)] += c;
    return t;
  }

  /** Undefined when no sample was written. */
  stats(): ValueStats | undefined {
    if (!(this.min <= this.max)) return undefined;
    const histogram = new Array<number>(64).fill(0);
    const span = this.max - this.min;
    for (const [b, c] of this.bins) {
      const v = Math.min(this.max, Math.max(this.min, binValue(b)));
      histogram[span > 0 ? Math.min(63, Math.floor(((v - this.min) / span) * 64)) : 0] += c;
    }
    return { min: this.min, max: this.max, histogram, clipped: this.clipped, fewLevels: this.fewLevels };
  }
}
