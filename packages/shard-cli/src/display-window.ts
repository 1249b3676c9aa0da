// Display window for PNG export of modality values (int16/float32): the DICOM linear VOI function to 8 bits.
import type { CtWindow } from 'shard-writer';

/** dst[i] = VOI(src[i]) in 0..255 (PS3.3 C.11.2.1.2.1); NaN maps to 0. Works per value, so any channel count. */
export function windowToUint8(src: ArrayLike<number>, dst: Uint8Array, { center, width }: CtWindow): void {
  if (!(width >= 1)) throw new RangeError(`window width must be >= 1 (got ${width})`);
  const lo = center - 0.5 - (width - 1) / 2;
  const hi = center - 0.5 + (width - 1) / 2;
  const base = center - 0.5;
  for (let i = 0; i < dst.length; i++) {
    const x = src[i];
    dst[i] = x <= lo ? 0 : x > hi ? 255 : Math.round(((x - base) / (width - 1) + 0.5) * 255);
  }
}
