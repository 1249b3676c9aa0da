// Pixel dtypes as the viewers see them: a typed view of a sample's image bytes and its default display range.

/** Typed arrays a sample's values come in; every viewer path reads values through this. */
export type PixelValues = Uint8Array | Uint16Array | Int16Array | Float32Array;

interface DtypeInfo {
  bytesPerValue: number;
  view(buffer: ArrayBuffer, byteOffset: number, length: number): PixelValues;
  /**
   * The dataset's own range, when the dtype has one a default window should span (uint8: every value
   * is a display level already). Null: use the min..max of the pixels shown (uint16 holds 12-bit MR as
   * well as full-range data; int16 and float32 hold modality values with no fixed range).
   */
  fullRange: readonly [number, number] | null;
}

// Keyed by name, not by the format's Dtype union, so dtypes the format adds later need one line here.
const DTYPES: Record<string, DtypeInfo> = {
  uint8: { bytesPerValue: 1, view: (b, o, n) => new Uint8Array(b, o, n), fullRange: [0, 255] },
  uint16: { bytesPerValue: 2, view: (b, o, n) => new Uint16Array(b, o, n), fullRange: null },
  int16: { bytesPerValue: 2, view: (b, o, n) => new Int16Array(b, o, n), fullRange: null },
  float32: { bytesPerValue: 4, view: (b, o, n) => new Float32Array(b, o, n), fullRange: null },
};

function info(dtype: string): DtypeInfo {
  const d = DTYPES[dtype];
  if (!d) throw new RangeError(`the viewer does not know dtype ${JSON.stringify(dtype)}`);
  return d;
}

export function bytesPerValue(dtype: string): number {
  return info(dtype).bytesPerValue;
}

/** The dataset's fixed display range for `dtype`, or null when the default window follows the pixels. */
export function fullRange(dtype: string): readonly [number, number] | null {
  return info(dtype).fullRange;
}

/** Values of `dtype` over image bytes (copied when unaligned, as typed arrays require). */
export function pixelValues(bytes: Uint8Array, dtype: string): PixelValues {
  const d = info(dtype);
  if (bytes.length % d.bytesPerValue !== 0) throw new RangeError(`${bytes.length} bytes is not a whole number of ${dtype} values`);
  const aligned = bytes.byteOffset % d.bytesPerValue === 0 ? bytes : bytes.slice();
  return d.view(aligned.buffer as ArrayBuffer, aligned.byteOffset, aligned.length / d.bytesPerValue);
}

/** Little-endian bytes of `values`, as the raw endpoint serves them (typed arrays are host order). */
export function valueBytes(values: PixelValues): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** Smallest and largest finite value (NaN and infinities of float data are left out); [0, 0] when none. */
export function valueRange(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return finiteRange(values);
  return [lo, hi];
}

function finiteRange(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return Number.isFinite(lo) ? [lo, hi] : [0, 0];
}
