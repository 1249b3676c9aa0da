// Turns a codec's raw integers into stored values: BitsStored masking and PixelRepresentation sign.
import type { RawSamples } from './codecs/raw-samples.js';
import type { StoredArray } from './types.js';

export interface SampleFormat {
  bitsAllocated: number;
  /** The bits that hold the value; the rest (overlays, garbage) are dropped. */
  bitsStored: number;
  signed: boolean;
}

function outputArray(format: SampleFormat, length: number): StoredArray {
  const { bitsAllocated, signed } = format;
  if (bitsAllocated === 8) return signed ? new Int8Array(length) : new Uint8Array(length);
  if (bitsAllocated === 16) return signed ? new Int16Array(length) : new Uint16Array(length);
  return signed ? new Int32Array(length) : new Uint32Array(length);
}

/**
 * Stored values in the array type the header implies (8/16/32 bits, signed or not). Each value is
 * the low `bitsStored` bits of the raw sample, sign-extended when signed, so a codec's unsigned
 * output of a signed image and stray high bits both come out as the header says.
 */
export function toStored(raw: RawSamples, format: SampleFormat): StoredArray {
  const out = outputArray(format, raw.length);
  const bits = format.bitsStored;
  if (bits === format.bitsAllocated && raw.BYTES_PER_ELEMENT === out.BYTES_PER_ELEMENT) {
    // Every bit is value: the raw bytes already are the stored values, read in the output's type.
    const Same = out.constructor as new (buffer: ArrayBufferLike, offset: number, length: number) => StoredArray;
    out.set(new Same(raw.buffer, raw.byteOffset, raw.length));
    return out;
  }
  if (bits >= 32) {
    out.set(raw);
    return out;
  }
  const mask = 2 ** bits - 1;
  const half = 2 ** (bits - 1);
  const full = 2 ** bits;
  for (let i = 0; i < raw.length; i++) {
    // >>> 0 first so a negative raw sample keeps its two's-complement low bits.
    const v = (raw[i] >>> 0) & mask;
    out[i] = format.signed && v >= half ? v - full : v;
  }
  return out;
}

/** stored * slope + intercept, rounded once to float32 (computed in double, as pydicom and nibabel do). */
export function toModality(stored: StoredArray, slope: number, intercept: number): Float32Array {
  const out = new Float32Array(stored.length);
  if (slope === 1 && intercept === 0) {
    out.set(stored);
    return out;
  }
  for (let i = 0; i < stored.length; i++) out[i] = stored[i] * slope + intercept;
  return out;
}
