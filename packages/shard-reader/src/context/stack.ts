// Interleaves 2k+1 H x W x C slices into one H x W x ((2k+1) x C) image: channel j x C + c of each
// pixel is channel c of slice j, so the sample's own slice sits in the middle channels.
// This pass is the whole cost of context slices (the reads are memcpy), so the common case, three
// one-channel uint8 slices, moves four pixels per step as 32-bit words (about 4x the byte loop).

import { loadMmapAddon } from '../io/addon.js';
import type { Pixels } from '../store/pixels.js';

const addon = loadMmapAddon();

/** `slices[j]` are H x W x C; `out` is H x W x (slices.length x C), same element type. */
export function stackSlices(slices: readonly Pixels[], out: Pixels, channels: number): void {
  const m = slices.length;
  const pixels = slices[0].length / channels;
  if (out.length !== pixels * m * channels) throw new RangeError(`stacked output holds ${out.length} values, needs ${pixels * m * channels}`);
  for (const [j, src] of slices.entries()) if (src.length !== pixels * channels) throw new RangeError(`slice ${j} holds ${src.length} values, needs ${pixels * channels}`);
  if (m === 3 && channels === 1 && out instanceof Uint8Array && slices.every((s) => s instanceof Uint8Array && s.byteOffset % 4 === 0) && out.byteOffset % 4 === 0) {
    stack3Bytes(slices as Uint8Array[], out);
    return;
  }
  const stride = m * channels;
  for (let j = 0; j < m; j++) {
    const src = slices[j];
    const base = j * channels;
    if (channels === 1) {
      for (let p = 0; p < pixels; p++) out[p * stride + base] = src[p];
    } else {
      for (let p = 0; p < pixels; p++) for (let c = 0; c < channels; c++) out[p * stride + base + c] = src[p * channels + c];
    }
  }
}

/**
 * stackSlices for a whole batch: `rows` holds `samples` rows of `width` slices back to back (as a batch
 * gather leaves them), `out` the stacked samples back to back. One native call when the addon is loaded
 * (SIMD for three one-byte slices, the pass that was most of a context batch's time in JavaScript).
 */
export function stackRows(rows: Pixels, samples: number, width: number, out: Pixels, channels: number): void {
  if (rows.length !== out.length || rows.constructor !== out.constructor) throw new RangeError(`stacked output holds ${out.length} values of its type, the slices ${rows.length}`);
  const perRow = rows.length / Math.max(samples, 1);
  const pixels = perRow / width / channels;
  if (!Number.isInteger(pixels)) throw new RangeError(`${rows.length} values do not split into ${samples} x ${width} slices of ${channels} channels`);
  if (addon) {
    addon.interleave(rows, out, samples, width, pixels, channels * rows.BYTES_PER_ELEMENT);
    return;
  }
  const per = perRow / width;
  for (let s = 0; s < samples; s++) {
    const row = rows.subarray(s * perRow, (s + 1) * perRow);
    stackSlices(Array.from({ length: width }, (_, j) => row.subarray(j * per, (j + 1) * per)), out.subarray(s * perRow, (s + 1) * perRow), channels);
  }
}

/** Three byte planes a, b, c -> a0 b0 c0 a1 b1 c1 ...: 4 pixels (12 bytes) per step as three little-endian words. */
function stack3Bytes([s0, s1, s2]: Uint8Array[], out: Uint8Array): void {
  const n = s0.length;
  const n4 = n >>> 2;
  const A = new Uint32Array(s0.buffer, s0.byteOffset, n4);
  const B = new Uint32Array(s1.buffer, s1.byteOffset, n4);
  const C = new Uint32Array(s2.buffer, s2.byteOffset, n4);
  const O = new Uint32Array(out.buffer, out.byteOffset, n4 * 3);
  for (let q = 0, o = 0; q < n4; q++, o += 3) {
    const a = A[q];
    const b = B[q];
    const c = C[q];
    O[o] = (a & 0xff) | ((b & 0xff) << 8) | ((c & 0xff) << 16) | ((a & 0xff00) << 16);
    O[o + 1] = ((b >>> 8) & 0xff) | (c & 0xff00) | (a & 0xff0000) | ((b & 0xff0000) << 8);
    O[o + 2] = ((c >>> 16) & 0xff) | ((a >>> 24) << 8) | ((b >>> 24) << 16) | ((c >>> 24) << 24);
  }
  // The last n mod 4 pixels, if any.
  for (let p = n4 * 4; p < n; p++) {
    out[3 * p] = s0[p];
    out[3 * p + 1] = s1[p];
    out[3 * p + 2] = s2[p];
  }
}
