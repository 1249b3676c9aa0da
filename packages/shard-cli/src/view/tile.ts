// One sample as a grey picture: every channel windowed to 0..255 and laid side by side (multi-window, context).
import type { Shape } from 'shard-format';
import { encode } from 'fast-png';
import sharp from 'sharp';
import type { DisplayWindow } from './window.js';

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
  // displayLevel, inlined with its constants hoisted: this loop runs for every pixel of every thumbnail.
  const { lo, hi } = win;
  const base = win.center - 0.5;
  const span = win.width - 1;
  for (let y = 0; y < h; y++) {
    for (let k = 0; k < c; k++) {
      const out = y * width + k * (w + CHANNEL_GAP);
      const src = y * w * c + k;
      for (let x = 0; x < w; x++) {
        const v = values[src + x * c];
        data[out + x] = !(v > lo) ? 0 : v > hi ? 255 : Math.round(((v - base) / span + 0.5) * 255);
      }
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
  // One pass over the source in memory order, summing into a row of output cells (a thumbnail page
  // does this 48 times; nested per-cell loops were five times slower).
  const acc = new Float64Array(ow * c);
  const cellX = new Uint32Array(w);
  for (let x = 0; x < w; x++) cellX[x] = Math.floor(x / f) * c;
  for (let oy = 0; oy < oh; oy++) {
    acc.fill(0);
    const y0 = oy * f;
    const y1 = Math.min(h, y0 + f);
    for (let y = y0; y < y1; y++) {
      let src = y * w * c;
      for (let x = 0; x < w; x++) {
        const cell = cellX[x];
        for (let k = 0; k < c; k++) acc[cell + k] += values[src++];
      }
    }
    const rows = y1 - y0;
    for (let ox = 0; ox < ow; ox++) {
      const n = rows * (Math.min(w, (ox + 1) * f) - ox * f);
      for (let k = 0; k < c; k++) out[(oy * ow + ox) * c + k] = acc[ox * c + k] / n;
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
