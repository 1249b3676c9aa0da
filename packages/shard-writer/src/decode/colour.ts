// Colour layout fixes for native/RLE/JPEG-LS data: planar -> interleaved, YBR_FULL_422 expansion, YBR_FULL -> RGB.
import type { RawSamples } from './codecs/raw-samples.js';

/** RRR..GGG..BBB (PlanarConfiguration 1) to RGBRGB.. */
export function interleavePlanes<T extends RawSamples>(planar: T, pixels: number): T {
  const out = new (planar.constructor as new (n: number) => T)(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    out[3 * p] = planar[p];
    out[3 * p + 1] = planar[pixels + p];
    out[3 * p + 2] = planar[2 * pixels + p];
  }
  return out;
}

/**
 * Native YBR_FULL_422 holds Y1 Y2 Cb Cr for each horizontal pair of pixels (PS3.3 C.7.6.3.1.2);
 * each pair shares its chroma, as pydicom and GDCM expand it.
 */
export function expandYbr422(packed: Uint8Array, rows: number, columns: number): Uint8Array {
  const out = new Uint8Array(rows * columns * 3);
  let i = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c += 2) {
      const y1 = packed[i++];
      const y2 = packed[i++];
      const cb = packed[i++];
      const cr = packed[i++];
      const o = 3 * (r * columns + c);
      out[o] = y1;
      out[o + 1] = cb;
      out[o + 2] = cr;
      if (c + 1 < columns) {
        out[o + 3] = y2;
        out[o + 4] = cb;
        out[o + 5] = cr;
      }
    }
  }
  return out;
}

const f = Math.fround;
// PS3.3 C.7.6.3.1.2 / ISO 10918-5 coefficients, in float32 as pydicom computes them, so results agree bit for bit.
const CB_G = f((-0.114 * 1.772) / 0.587);
const CB_B = f(1.772);
const CR_R = f(1.402);
const CR_G = f((-0.299 * 1.402) / 0.587);

const toByte = (v: number) => Math.min(255, Math.max(0, Math.floor(f(v + 0.5))));

/** 8-bit YBR_FULL (interleaved) to RGB in place: R = Y + 1.402 Cr', G = Y - 0.344 Cb' - 0.714 Cr', B = Y + 1.772 Cb'. */
export function ybrFullToRgb(ybr: Uint8Array): Uint8Array {
  for (let i = 0; i < ybr.length; i += 3) {
    const y = ybr[i];
    const cb = ybr[i + 1] - 128;
    const cr = ybr[i + 2] - 128;
    ybr[i] = toByte(f(y + f(cr * CR_R)));
    ybr[i + 1] = toByte(f(f(y + f(cb * CB_G)) + f(cr * CR_G)));
    ybr[i + 2] = toByte(f(y + f(cb * CB_B)));
  }
  return ybr;
}
