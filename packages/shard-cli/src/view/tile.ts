// One sample as a grey picture: every channel windowed to 0..255 and laid side by side (multi-window, context).
import type { Shape } from 'shard-format';
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

export function tilePng(tile: GreyImage): Promise<Buffer> {
  // b-w: without it libvips takes one raw band for sRGB and writes three.
  return sharp(tile.data, { raw: { width: tile.width, height: tile.height, channels: 1 } }).toColourspace('b-w').png({ compressionLevel: 6 }).toBuffer();
}
