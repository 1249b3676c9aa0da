// The Modality LUT Sequence (PS3.3 C.11.1): a table from stored values to modality values, used instead of a rescale.
import type { DataSet } from 'dicom-parser';
import type { StoredArray } from './types.js';

export interface ModalityLut {
  /** The stored value mapped by entry 0; lower values take entry 0, values past the end the last entry. */
  firstMapped: number;
  table: Uint16Array;
}

/** The first item's LUT, or undefined when the object has none (then rescale slope/intercept apply). */
export function readModalityLut(ds: DataSet, pixelRepresentation: number): ModalityLut | undefined {
  const item = ds.elements.x00283000?.items?.[0]?.dataSet;
  const descriptor = item?.elements.x00283002;
  const data = item?.elements.x00283006;
  if (!item || !descriptor || !data) return undefined;
  const entries = item.uint16('x00283002', 0) || 65536; // 0 means 2^16 entries
  // "US or SS": the first mapped value is signed when the pixels are (or the VR says SS).
  const signed = descriptor.vr === 'SS' || (descriptor.vr !== 'US' && pixelRepresentation === 1);
  const firstMapped = (signed ? item.int16('x00283002', 1) : item.uint16('x00283002', 1)) ?? 0;
  const words = data.length >> 1;
  const table = new Uint16Array(entries);
  if (words >= entries) {
    for (let i = 0; i < entries; i++) table[i] = item.uint16('x00283006', i) ?? 0;
  } else if (item.uint16('x00283002', 2) === 8 && data.length >= entries) {
    // 8-bit entries packed two to a 16-bit word.
    for (let i = 0; i < entries; i++) table[i] = item.byteArray[data.dataOffset + i];
  } else {
    throw new Error(`Modality LUT has ${words} entries of data for ${entries} in its descriptor`);
  }
  return { firstMapped, table };
}

export function applyModalityLut(stored: StoredArray, lut: ModalityLut): Float32Array {
  const out = new Float32Array(stored.length);
  const last = lut.table.length - 1;
  for (let i = 0; i < stored.length; i++) {
    const index = stored[i] - lut.firstMapped;
    out[i] = lut.table[index < 0 ? 0 : index > last ? last : index];
  }
  return out;
}
