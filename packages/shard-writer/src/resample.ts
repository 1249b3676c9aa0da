// Resizes one channel of float modality values to size x size (fit contain/cover/fill), without any integer or sRGB step.
// sharp/libvips would treat raw float input as 8-bit sRGB, so medical images are resampled here.
import type { Fit } from 'shard-format';
import type { Kernel } from './options.js';

const sinc = (x: number) => (x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x));

/** Kernel function and support radius, as libvips defines them. */
const KERNEL_FNS: Record<Kernel, { radius: number; f: (x: number) => number }> = {
  nearest: { radius: 0.5, f: (x) => (x >= -0.5 && x < 0.5 ? 1 : 0) },
  linear: { radius: 1, f: (x) => Math.max(0, 1 - Math.abs(x)) },
  cubic: { radius: 2, f: (x) => bc(x, 0, 0.5) },
  mitchell: { radius: 2, f: (x) => bc(x, 1 / 3, 1 / 3) },
  lanczos2: { radius: 2, f: (x) => (Math.abs(x) < 2 ? sinc(x) * sinc(x / 2) : 0) },
  lanczos3: { radius: 3, f: (x) => (Math.abs(x) < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

/** Mitchell-Netravali family (B, C). */
function bc(t: number, B: number, C: number): number {
  const x = Math.abs(t);
  if (x < 1) return ((12 - 9 * B - 6 * C) * x ** 3 + (-18 + 12 * B + 6 * C) * x ** 2 + (6 - 2 * B)) / 6;
  if (x < 2) return ((-B - 6 * C) * x ** 3 + (6 * B + 30 * C) * x ** 2 + (-12 * B - 48 * C) * x + (8 * B + 24 * C)) / 6;
  return 0;
}

/** For each output index: the first input index and the normalised weights (edges clamped). */
function weights(inLen: number, outLen: number, kernel: Kernel): { start: Int32Array; taps: number; w: Float64Array } {
  const { radius, f } = KERNEL_FNS[kernel];
  const scale = inLen / outLen;
  // Downsampling widens the kernel so every input pixel contributes (an anti-aliasing filter).
  const stretch = kernel === 'nearest' ? 1 : Math.max(1, scale);
  const support = radius * stretch;
  const taps = kernel === 'nearest' ? 1 : Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outLen);
  const w = new Float64Array(outLen * taps);
  for (let o = 0; o < outLen; o++) {
    const centre = (o + 0.5) * scale - 0.5;
    if (kernel === 'nearest') {
      start[o] = Math.min(inLen - 1, Math.max(0, Math.floor((o + 0.5) * scale)));
      w[o] = 1;
      continue;
    }
    const first = Math.floor(centre - support) + 1;
    start[o] = first;
    let sum = 0;
    for (let t = 0; t < taps; t++) {
      const v = f((first + t - centre) / stretch);
      w[o * taps + t] = v;
      sum += v;
    }
    for (let t = 0; t < taps; t++) w[o * taps + t] /= sum;
  }
  return { start, taps, w };
}

function resize(src: Float32Array, width: number, height: number, outW: number, outH: number, kernel: Kernel): Float32Array {
  if (width === outW && height === outH) return src;
  const h = weights(width, outW, kernel);
  const tmp = new Float32Array(outW * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < outW; x++) {
      let acc = 0;
      for (let t = 0; t < h.taps; t++) {
        const sx = Math.min(width - 1, Math.max(0, h.start[x] + t));
        acc += src[y * width + sx] * h.w[x * h.taps + t];
      }
      tmp[y * outW + x] = acc;
    }
  }
  const v = weights(height, outH, kernel);
  const out = new Float32Array(outW * outH);
  for (let y = 0; y < outH; y++) {
    for (let t = 0; t < v.taps; t++) {
      const sy = Math.min(height - 1, Math.max(0, v.start[y] + t));
      const wt = v.w[y * v.taps + t];
      if (wt === 0) continue;
      for (let x = 0; x < outW; x++) out[y * outW + x] += tmp[sy * outW + x] * wt;
    }
  }
  return out;
}

/**
 * `values` (width x height, one channel) to size x size. `contain` pads with the image's lowest value
 * (air in CT, background in MR), not 0, which would be water in HU; `cover` crops the centre.
 * Same size in, same values out: float32 output of an unresized image is exact.
 */
export function resampleTo(values: Float32Array, width: number, height: number, size: number, fit: Fit, kernel: Kernel): Float32Array {
  if (width === size && height === size) return values;
  if (fit === 'fill') return resize(values, width, height, size, size, kernel);
  const scale = fit === 'contain' ? Math.min(size / width, size / height) : Math.max(size / width, size / height);
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  const scaled = resize(values, width, height, w, h, kernel);
  const out = new Float32Array(size * size);
  if (fit === 'contain') {
    let min = Infinity;
    for (let i = 0; i < values.length; i++) if (values[i] < min) min = values[i];
    out.fill(min);
  }
  // Centred: offsets are where the scaled image's (0, 0) lands in the output (negative when cropped).
  const ox = Math.floor((size - w) / 2);
  const oy = Math.floor((size - h) / 2);
  for (let y = 0; y < size; y++) {
    const sy = y - oy;
    if (sy < 0 || sy >= h) continue;
    for (let x = 0; x < size; x++) {
      const sx = x - ox;
      if (sx >= 0 && sx < w) out[y * size + x] = scaled[sy * w + sx];
    }
  }
  return out;
}

/** Colour to one grey channel (Rec. 601 luma), the way a greyscale model sees an RGB secondary capture. */
export function toGrey(values: Float32Array, channels: number): Float32Array {
  if (channels === 1) return values;
  const n = values.length / channels;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = 0.299 * values[i * channels] + 0.587 * values[i * channels + 1] + 0.114 * values[i * channels + 2];
  return out;
}
