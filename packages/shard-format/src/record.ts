// One record's bytes: write image + labels + key CRC + record CRC; read them back; check the CRC.
import { crc32 } from './checksum.js';
import { buildIdBytes } from './header.js';
import type { RecordLayout } from './layout.js';

/**
 * Writes one record into `out` (stride bytes, zero-filled by the caller).
 * `image` holds the raw little-endian pixel bytes, exactly layout.imageBytes long.
 */
export function encodeRecord(out: Uint8Array, layout: RecordLayout, image: Uint8Array, labels: ArrayLike<number>, key: string, seed: number): void {
  if (image.length !== layout.imageBytes) throw new RangeError(`image has ${image.length} bytes, the schema needs ${layout.imageBytes}`);
  if (labels.length !== layout.labelCount) throw new RangeError(`got ${labels.length} labels, the schema has ${layout.labelCount}`);
  out.set(image, 0);
  const v = new DataView(out.buffer, out.byteOffset, layout.stride);
  for (let i = 0; i < labels.length; i++) v.setFloat32(layout.labelsOffset + 4 * i, labels[i], true);
  v.setUint32(layout.keyCrcOffset, keyCrc(key, seed), true);
  v.setUint32(layout.crcOffset, crc32(out.subarray(0, layout.crcOffset)), true);
}

/**
 * The key CRC stored in a record: CRC-32 of the 16 build-id bytes followed by the key's UTF-8 bytes,
 * computed as crc32(key, seed) with seed = buildSeed(buildId). It ties a record to its index entry and
 * to its build: a record of another build (same key, same schema) fails this check. zlib encodes a
 * string as UTF-8 itself, so the read path allocates nothing per record.
 */
export function keyCrc(key: string, seed: number): number {
  return crc32(key, seed);
}

/** CRC-32 of a build id's 16 raw bytes: the seed every key CRC of that build continues from. */
export function buildSeed(buildId: string): number {
  return crc32(buildIdBytes(buildId));
}

/** A CRC-32 implementation (zlib's by default; a reader may pass a faster one with the same results). */
export type Crc32Fn = (data: Uint8Array, value?: number) => number;

/** True when the stored record CRC matches the bytes before it. */
export function recordCrcOk(record: Uint8Array, layout: RecordLayout, crc: Crc32Fn = crc32): boolean {
  return storedCrc(record, layout) === crc(record.subarray(0, layout.crcOffset)) >>> 0;
}

export function storedCrc(record: Uint8Array, layout: RecordLayout): number {
  return new DataView(record.buffer, record.byteOffset + layout.crcOffset, 4).getUint32(0, true);
}

export function storedKeyCrc(record: Uint8Array, layout: RecordLayout): number {
  return new DataView(record.buffer, record.byteOffset + layout.keyCrcOffset, 4).getUint32(0, true);
}

/** Copies the label vector out of a record as float32 (platform order is little-endian on every Node target we support). */
export function decodeLabels(record: Uint8Array, layout: RecordLayout, out = new Float32Array(layout.labelCount), outOffset = 0): Float32Array {
  const v = new DataView(record.buffer, record.byteOffset + layout.labelsOffset, 4 * layout.labelCount);
  for (let i = 0; i < layout.labelCount; i++) out[outOffset + i] = v.getFloat32(4 * i, true);
  return out;
}

/** The image bytes of a record (a view, no copy). */
export function imageBytes(record: Uint8Array, layout: RecordLayout): Uint8Array {
  return record.subarray(0, layout.imageBytes);
}

/** True when every padding byte (between image and labels, and after the CRC) is zero. */
export function paddingIsZero(record: Uint8Array, layout: RecordLayout): boolean {
  for (let i = layout.imageBytes; i < layout.labelsOffset; i++) if (record[i] !== 0) return false;
  for (let i = layout.crcOffset + 4; i < layout.stride; i++) if (record[i] !== 0) return false;
  return true;
}
