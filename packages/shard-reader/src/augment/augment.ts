// On-the-fly augmentation of one image, seeded per (seed, epoch, sample) so every run sees the same variants.
import type { Pixels } from '../batch/pixels.js';
import { createRng, hashSeed, type Rng } from '../shuffle/prng.js';

export interface AugmentOptions {
  /** Mirror left-right with probability 0.5. */
  flipH?: boolean;
  /** Mirror top-bottom with probability 0.5. */
  flipV?: boolean;
  /** Rotate by 0/90/180/270 degrees, uniformly (square images only). */
  rot90?: boolean;
  /**
   * Pad by this many pixels on each side, then crop back to H x W at a random offset. The padding is 0
   * for uint8/uint16; for int16/float32 (modality values, where 0 is water in HU) it is the image's
   * own minimum in each channel, i.e. its background (air), never a value brighter than the image.
   */
  cropPad?: number;
  /** Multiply intensities by a factor drawn uniformly from [lo, hi] (about 0: in HU, about water). */
  scale?: [number, number];
  /**
   * Add a shift drawn uniformly from [lo, hi]: a fraction of full scale (255 or 65535) for uint8/uint16;
   * in stored units (HU for CT) for int16/float32, whose values have no full scale.
   */
  shift?: [number, number];
  /** Add Gaussian noise with this standard deviation, in the same units as `shift`. */
  noise?: number;
}

const SALT = 0x61756720; // 'aug '

/**
 * Augments `img` (H x W x C) in place; `tmp` is scratch of the same length and type. Every channel gets
 * the same geometry and the same scale and shift (noise is drawn per value). Results are clamped and
 * rounded to the element type (uint8, uint16, int16); float32 is neither clamped nor rounded.
 */
export function augmentImage(img: Pixels, tmp: Pixels, shape: readonly [number, number, number], o: AugmentOptions, seed: number, epoch: number, sample: number): void {
  const rng = createRng(hashSeed(seed, epoch, sample, SALT));
  const [h, w, c] = shape;
  // Every draw happens whether or not the op is enabled, so turning one op off never changes the others.
  const flipH = rng.next() < 0.5;
  const flipV = rng.next() < 0.5;
  const turns = rng.int(4);
  const dy = rng.next();
  const dx = rng.next();
  const scale = rng.next();
  const shift = rng.next();
  if (o.flipH || o.flipV || (o.rot90 && h === w) || o.cropPad) {
    geometric(img, tmp, h, w, c, {
      flipH: !!o.flipH && flipH,
      flipV: !!o.flipV && flipV,
      turns: o.rot90 && h === w ? turns : 0,
      pad: o.cropPad ?? 0,
      fill: padFill(img, c, o.cropPad ?? 0),
      dy,
      dx,
    });
  }
  if (o.scale || o.shift || o.noise) intensity(img, o, scale, shift, rng);
}

interface Geometry {
  flipH: boolean;
  flipV: boolean;
  turns: number;
  pad: number;
  dy: number;
  dx: number;
  /** Per channel value of pixels that come from the padding. */
  fill: number[];
}

/** 0 per channel for unsigned display values; the channel's minimum for signed and float modality values. */
function padFill(img: Pixels, c: number, pad: number): number[] {
  const fill = new Array<number>(c).fill(0);
  if (pad === 0 || img instanceof Uint8Array || img instanceof Uint16Array) return fill;
  fill.fill(Infinity);
  for (let i = 0; i < img.length; i += c) for (let k = 0; k < c; k++) if (img[i + k] < fill[k]) fill[k] = img[i + k];
  return fill.map((v) => (v === Infinity ? 0 : v)); // all NaN: nothing to compare, pad with 0
}

/** One pass: for every output pixel, find the source pixel through crop offset, rotation and flips. */
function geometric(img: Pixels, tmp: Pixels, h: number, w: number, c: number, g: Geometry): void {
  tmp.set(img);
  const oy = Math.floor(g.dy * (2 * g.pad + 1)) - g.pad;
  const ox = Math.floor(g.dx * (2 * g.pad + 1)) - g.pad;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sy = y + oy;
      let sx = x + ox;
      const out = (y * w + x) * c;
      if (sy < 0 || sy >= h || sx < 0 || sx >= w) {
        for (let k = 0; k < c; k++) img[out + k] = g.fill[k];
        continue;
      }
      for (let t = 0; t < g.turns; t++) [sy, sx] = [sx, h - 1 - sy]; // square when turns > 0
      if (g.flipV) sy = h - 1 - sy;
      if (g.flipH) sx = w - 1 - sx;
      const src = (sy * w + sx) * c;
      for (let k = 0; k < c; k++) img[out + k] = tmp[src + k];
    }
  }
}

/** Value bounds of each integer element type, and the unit `shift` and `noise` are given in. */
function valueRange(img: Pixels): { lo: number; hi: number; unit: number } {
  if (img instanceof Uint8Array) return { lo: 0, hi: 255, unit: 255 };
  if (img instanceof Uint16Array) return { lo: 0, hi: 65535, unit: 65535 };
  if (img instanceof Int16Array) return { lo: -32768, hi: 32767, unit: 1 };
  return { lo: -Infinity, hi: Infinity, unit: 1 };
}

function intensity(img: Pixels, o: AugmentOptions, u1: number, u2: number, rng: Rng): void {
  const { lo, hi, unit } = valueRange(img);
  const factor = o.scale ? o.scale[0] + u1 * (o.scale[1] - o.scale[0]) : 1;
  const add = o.shift ? (o.shift[0] + u2 * (o.shift[1] - o.shift[0])) * unit : 0;
  const sigma = (o.noise ?? 0) * unit;
  if (img instanceof Float32Array) {
    for (let i = 0; i < img.length; i++) img[i] = img[i] * factor + add + (sigma > 0 ? sigma * rng.normal() : 0);
    return;
  }
  for (let i = 0; i < img.length; i++) {
    const v = img[i] * factor + add + (sigma > 0 ? sigma * rng.normal() : 0);
    img[i] = v <= lo ? lo : v >= hi ? hi : Math.round(v);
  }
}

export function checkAugment(o: AugmentOptions): void {
  const range = (name: string, r: [number, number] | undefined) => {
    if (r && !(Array.isArray(r) && r.length === 2 && r.every(Number.isFinite) && r[0] <= r[1])) throw new RangeError(`augment.${name} must be [lo, hi] with lo <= hi`);
  };
  range('scale', o.scale);
  range('shift', o.shift);
  if (o.cropPad !== undefined && !(Number.isInteger(o.cropPad) && o.cropPad >= 0)) throw new RangeError('augment.cropPad must be a non-negative integer');
  if (o.noise !== undefined && !(o.noise >= 0)) throw new RangeError('augment.noise must be >= 0');
}
