// Decodes the common slice PNG (greyscale, 8 or 16 bits, not interlaced) with Node's zlib and PNG's filter
// reversal; anything else returns undefined and goes to sharp. sharp's per-image overhead was most of a build.
import { inflateSync } from 'node:zlib';
import { crc32 } from 'shard-format';

export interface DirectPng {
  width: number;
  height: number;
  /** 8 or 16. */
  depth: number;
  /** Stored values, row-major: Uint8Array for 8-bit, Uint16Array (native order) for 16-bit. */
  stored: Uint8Array | Uint16Array;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Ancillary chunks that change what sharp outputs (transparency, colour profile): such files go to sharp. */
const SHARP_ONLY = new Set(['tRNS', 'iCCP', 'sRGB', 'cHRM', 'gAMA']);
const MAX_PIXELS = 1 << 28;
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * The stored values of a greyscale 8/16-bit non-interlaced PNG, or undefined when the file is anything
 * else or is damaged in any way (a bad CRC, a short or corrupt stream, trailing junk in IDAT): sharp then
 * decodes it or words the error, so the direct path never changes what a build accepts or says.
 * With `size`, an image of another size is refused from its header, before any inflating.
 */
export function decodeGreyPng(file: Uint8Array, size?: number): DirectPng | undefined {
  if (file.length < 8 + 25 + 12 || SIGNATURE.some((b, i) => file[i] !== b)) return undefined;
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  let at = 8;
  let header: { width: number; height: number; depth: number } | undefined;
  const idat: Uint8Array[] = [];
  let ended = false;
  while (at + 12 <= file.length) {
    const length = view.getUint32(at);
    const end = at + 12 + length;
    if (length > 0x7fffffff || end > file.length) return undefined;
    const type = String.fromCharCode(file[at + 4], file[at + 5], file[at + 6], file[at + 7]);
    const body = file.subarray(at + 8, at + 8 + length);
    if (crc32(file.subarray(at + 4, at + 8 + length)) !== view.getUint32(at + 8 + length)) return undefined;
    if (!header) {
      if (type !== 'IHDR' || length !== 13) return undefined;
      const [depth, colour, compression, filter, interlace] = body.subarray(8, 13);
      const width = view.getUint32(at + 8);
      const height = view.getUint32(at + 12);
      if (colour !== 0 || (depth !== 8 && depth !== 16) || compression !== 0 || filter !== 0 || interlace !== 0) return undefined;
      if (width === 0 || height === 0 || width * height > MAX_PIXELS) return undefined;
      if (size !== undefined && (width !== size || height !== size)) return undefined;
      header = { width, height, depth };
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') {
      ended = true;
      break;
    } else if (SHARP_ONLY.has(type) || (file[at + 4] & 0x20) === 0) return undefined; // unknown critical chunk
    at = end;
  }
  if (!header || !ended || idat.length === 0) return undefined;
  const { width, height, depth } = header;
  const bpp = depth / 8;
  const stride = width * bpp;
  const stream = idat.length === 1 ? idat[0] : Buffer.concat(idat);
  let raw: Buffer;
  try {
    const { buffer, engine } = inflateSync(stream, { info: true }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    // Bytes after the end of the zlib stream: libpng warns, and sharp's failOn turns that into an error.
    if (engine.bytesWritten !== stream.length) return undefined;
    raw = buffer;
  } catch {
    return undefined;
  }
  if (raw.length !== (stride + 1) * height) return undefined;
  const pixels = unfilter(raw, stride, height, bpp);
  if (!pixels) return undefined;
  if (depth === 8) return { width, height, depth, stored: pixels };
  // PNG samples are big-endian; swapped in place (native code) on a little-endian machine.
  if (LITTLE_ENDIAN) Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength).swap16();
  return { width, height, depth, stored: new Uint16Array(pixels.buffer, pixels.byteOffset, width * height) };
}

/** Reverses PNG's per-row filters (None, Sub, Up, Average, Paeth) into `height` rows of `stride` bytes; undefined for an unknown filter type. */
export function unfilter(raw: Uint8Array, stride: number, height: number, bpp: number): Uint8Array | undefined {
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const type = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    const prev = row - stride; // only read when y > 0
    switch (type) {
      case 0:
        out.set(raw.subarray(src, src + stride), row);
        break;
      case 1:
        for (let x = 0; x < stride; x++) out[row + x] = raw[src + x] + (x >= bpp ? out[row + x - bpp] : 0);
        break;
      case 2:
        if (y === 0) out.set(raw.subarray(src, src + stride), row);
        else for (let x = 0; x < stride; x++) out[row + x] = raw[src + x] + out[prev + x];
        break;
      case 3:
        for (let x = 0; x < stride; x++) {
          const left = x >= bpp ? out[row + x - bpp] : 0;
          const up = y > 0 ? out[prev + x] : 0;
          out[row + x] = raw[src + x] + ((left + up) >> 1);
        }
        break;
      case 4:
        for (let x = 0; x < stride; x++) {
          const a = x >= bpp ? out[row + x - bpp] : 0;
          const b = y > 0 ? out[prev + x] : 0;
          const c = x >= bpp && y > 0 ? out[prev + x - bpp] : 0;
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          out[row + x] = raw[src + x] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
        }
        break;
      default:
        return undefined;
    }
  }
  return out;
}
