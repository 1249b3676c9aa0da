// One sample as a grey picture: every channel windowed to 0..255 and laid side by side (multi-window, context).
import type { Shape } from 'shard-format';
import { encode } from 'fast-png';
import sharp from 'sharp';
import { displayLevel, type DisplayWindow } from './window.js';

/** Pixels between channels of one sample; web/app.js draws the same layout. */
export const CHANNEL_GAP = 2;
/** Level of the gap between channels: visible against black backgrounds and bright tissue alike. */
export const GAP_LEVEL = 96;

export interface GreyImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** `values` is H x W x C interleaved (the record layout); the result is H x (C x W + gaps), one channel. */
export function renderTile(values: ArrayLike<number>, [h, w, c]: Shape, win: DisplayWindow): GreyImage {
  if (values.length !== h * w * c) throw new RangeError(`${values.length} values do not fill ${h} x ${w} x ${c}`);
  const width = c * w + (c - 1) * CHANNEL_GAP;
  const data = new Uint8Array(width * h).fill(GAP_LEVEL);
  for (let y = 0; y < h; y++) {
    for (let k = 0; k < c; k++) {
      const out = y * width + k * (w + CHANNEL_GAP);
      const src = y * w * c + k;
      for (let x = 0; x < w; x++) data[out + x] = displayLevel(values[src + x * c], win);
    }
  }
  return { data, width, height: h };
}

/** Display size of a sample of `shape` whose larger side (per channel) becomes `box` pixels. */
export function tileSize([h, w, c]: Shape, box: number): { width: number; height: number } {
  const scale = box / Math.max(h, w);
  const cw = Math.max(1, Math.round(w * scale));
  return { width: c * cw + (c - 1) * CHANNEL_GAP, height: Math.max(1, Math.round(h * scale)) };
}

/**
 * Scales a tile to `width` x `height`. Small slices are enlarged with nearest neighbour so their
 * pixels stay visible as pixels; larger ones are reduced with lanczos3.
 */
export async function scaleTile(tile: GreyImage, width: number, height: number): Promise<GreyImage> {
  if (width === tile.width && height === tile.height) return tile;
  const enlarge = width * height > tile.width * tile.height;
  const { data, info } = await sharp(tile.data, { raw: { width: tile.width, height: tile.height, channels: 1 } })
    .resize(width, height, { fit: 'fill', kernel: enlarge ? 'nearest' : 'lanczos3' })
    .toColourspace('b-w')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 1) throw new Error(`resize gave ${info.channels} channels, expected 1`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/**
 * A thumbnail's values: blocks of f x f pixels averaged, f the largest whole factor that keeps the larger
 * side at least `box` (256 -> 128 for box 128; 64 stays 64, the browser enlarges it). Averaging the
 * values before windowing is what resizing the slice would do, and costs a quarter of windowing it whole.
 */
export function shrinkValues(values: ArrayLike<number>, [h, w, c]: Shape, box: number): { values: ArrayLike<number>; shape: Shape } {
  const f = Math.floor(Math.max(h, w) / box);
  if (f < 2) return { values, shape: [h, w, c] };
  const oh = Math.ceil(h / f);
  const ow = Math.ceil(w / f);
  const out = new Float32Array(oh * ow * c);
  for (let y = 0; y < oh; y++) {
    const y1 = Math.min(h, (y + 1) * f);
    for (let x = 0; x < ow; x++) {
      const x1 = Math.min(w, (x + 1) * f);
      for (let k = 0; k < c; k++) {
        let sum = 0;
        for (let yy = y * f; yy < y1; yy++) for (let xx = x * f; xx < x1; xx++) sum += values[(yy * w + xx) * c + k];
        out[(y * ow + x) * c + k] = sum / ((y1 - y * f) * (x1 - x * f));
      }
    }
  }
  return { values: out, shape: [oh, ow, c] };
}

/** A small grey PNG encoded on this thread (fast-png): for thumbnails, cheaper than a round trip to libvips. */
export function smallPng(tile: GreyImage): Buffer {
  const png = encode({ width: tile.width, height: tile.height, data: tile.data, depth: 8, channels: 1 }, { zlib: { level: 3 } });
  return Buffer.from(png.buffer, png.byteOffset, png.byteLength);
}

/** A grey PNG encoded by libvips off the main thread; `fast` trades size for time (thumbnail sheets). */
export function tilePng(tile: GreyImage, fast = false): Promise<Buffer> {
  // b-w: without it libvips takes one raw band for sRGB and writes three.
  return sharp(tile.data, { raw: { width: tile.width, height: tile.height, channels: 1 } })
    .toColourspace('b-w')
    .png(fast ? { compressionLevel: 1, adaptiveFiltering: false } : { compressionLevel: 6 })
    .toBuffer();
}
