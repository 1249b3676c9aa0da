// Decodes one PNG/JPEG/TIFF slice (sharp, or png-direct.ts for plain greyscale PNGs) and maps it through the value pipeline: one channel, size x size.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import sharp from 'sharp';
import type { DecodePool } from './decode-pool.js';
import { InputError } from './errors.js';
import { decodePngSlice, mapStored, type Preprocessed, type PreprocessOptions } from './png-slice.js';

export type { Preprocessed, PreprocessOptions };

/**
 * How the builder runs sharp: one libvips thread per image (parallelism comes from decoding several
 * images at once) and no cache (every file is read once; a cache would only grow memory).
 */
export function configureDecoder(): void {
  sharp.concurrency(1);
  sharp.cache(false);
}

/**
 * Returns the slice's raw little-endian pixel bytes (size*size*C*bytesPerValue) and what its values were.
 * 16-bit greyscale input is decoded without any 8-bit/sRGB step, so it stays bit-exact when no resize is needed.
 */
export async function preprocessSlice(file: string, opts: PreprocessOptions): Promise<Preprocessed> {
  try {
    return await decode(file, opts);
  } catch (err) {
    throw await explain(err, file);
  }
}

/** preprocessSlice, with plain greyscale PNGs decoded in `pool`'s threads when given one (sharp still runs here). */
export async function decodeImage(file: string, pool: DecodePool | undefined, opts: PreprocessOptions): Promise<Preprocessed> {
  return (await pool?.runPng(file, opts)) ?? preprocessSlice(file, opts);
}

/** libvips' own words for a short or corrupt file: a truncated image, a damaged one, or the failOn warning. */
const DAMAGED_RE = /read error|premature end|corrupt|truncated|bogus|failOn|invalid (chunk|IHDR|IDAT)|incorrect header check|CRC error/i;

/**
 * libvips says "unsupported image format" for an empty or unreadable file and "Warning treated as error
 * due to failOn setting" for a damaged one; say what is really wrong.
 */
async function explain(err: unknown, file: string): Promise<unknown> {
  if ((await stat(file).catch(() => undefined))?.size === 0) return new Error('file is empty (0 bytes)');
  const denied = await access(file, constants.R_OK).then(
    () => undefined,
    (e: NodeJS.ErrnoException) => e.code,
  );
  if (denied === 'EACCES' || denied === 'EPERM') return new InputError(file, `cannot be read: permission denied (${denied})`);
  const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
  if (DAMAGED_RE.test(message)) {
    const said = /failOn/.test(message) ? '' : `; the decoder says: ${message}`;
    return new Error(`the image is truncated or damaged${said}`);
  }
  return err;
}

async function decode(file: string, opts: PreprocessOptions): Promise<Preprocessed> {
  // Plain greyscale PNGs at the output size skip sharp (its per-image overhead was most of a build's time).
  const direct = await decodePngSlice(file, opts);
  if (direct) return direct;
  let img = sharp(file, { sequentialRead: true });
  const meta = await img.metadata();
  // 16-bit input is read as 16-bit, so no step narrows it through 8-bit sRGB. 8-bit input stays 8-bit
  // (windows and modality values see the stored values, not v*257), except for --dtype uint16, which
  // keeps today's 8-to-16 bit scale.
  const wide = meta.depth === 'ushort' || (opts.dtype === 'uint16' && !opts.rescale);
  // Colour and alpha become one grey channel; transparent pixels count as black.
  if (meta.hasAlpha) img = img.flatten({ background: '#000000' });
  if (meta.width !== opts.size || meta.height !== opts.size) {
    img = img.resize(opts.size, opts.size, { fit: opts.fit, kernel: opts.kernel, position: 'centre', background: '#000000' });
  }
  img = img.toColourspace(wide ? 'grey16' : 'b-w');
  const { data, info } = await img.raw(wide ? { depth: 'ushort' } : {}).toBuffer({ resolveWithObject: true });
  const bytes = info.channels * info.width * info.height * (wide ? 2 : 1);
  if (info.width !== opts.size || info.height !== opts.size || info.channels !== 1 || data.length !== bytes) {
    throw new Error(`decoded to ${info.width}x${info.height}x${info.channels}, expected ${opts.size}x${opts.size}x1`);
  }
  const stored = wide ? new Uint16Array(data.buffer, data.byteOffset, data.length / 2) : new Uint8Array(data.buffer, data.byteOffset, data.length);
  return mapStored(stored, wide, opts);
}

/** 16-bit to 8-bit by round(v / 257): 0 -> 0, 65535 -> 255, exact inverse of the 8-to-16 bit scale (v * 257). */
export function narrowTo8Bit(src: Uint16Array, dst: Uint8Array): void {
  for (let i = 0; i < src.length; i++) dst[i] = Math.round(src[i] / 257);
}
