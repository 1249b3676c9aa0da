// Display window for the canvas: the same linear ramp as src/view/window.ts (the browser test holds them equal).

/** lo/hi of a DICOM linear VOI window of centre `c` and width `w`. */
export function centerWidth(c, w) {
  const half = (w - 1) / 2;
  return { lo: c - 0.5 - half, hi: c - 0.5 + half };
}

/** One value's display level, 0..255, through the window c, w; values <= lo (and NaN) are black, > hi white. */
export function displayLevel(v, c, w, lo, hi) {
  if (!(v > lo)) return 0;
  if (v > hi) return 255;
  return Math.round(((v - (c - 0.5)) / (w - 1) + 0.5) * 255);
}

/**
 * RGBA pixels of an H x W x C sample: each channel windowed and drawn side by side, `gap` columns of
 * level `gapLevel` between channels (the layout of src/view/tile.ts).
 */
export function renderRgba(values, [h, w, c], wc, ww, gap, gapLevel) {
  const { lo, hi } = centerWidth(wc, ww);
  const width = c * w + (c - 1) * gap;
  const out = new Uint8ClampedArray(width * h * 4);
  for (let p = 0; p < width * h; p++) {
    out[p * 4] = out[p * 4 + 1] = out[p * 4 + 2] = gapLevel;
    out[p * 4 + 3] = 255;
  }
  for (let y = 0; y < h; y++) {
    for (let k = 0; k < c; k++) {
      const row = y * width + k * (w + gap);
      const src = y * w * c + k;
      for (let x = 0; x < w; x++) {
        const v = displayLevel(values[src + x * c], wc, ww, lo, hi);
        const o = (row + x) * 4;
        out[o] = out[o + 1] = out[o + 2] = v;
      }
    }
  }
  return { data: out, width, height: h };
}

/** Typed view of the raw endpoint's little-endian bytes. */
export function valuesOf(buffer, dtype) {
  switch (dtype) {
    case 'uint8': return new Uint8Array(buffer);
    case 'uint16': return new Uint16Array(buffer);
    case 'int16': return new Int16Array(buffer);
    case 'float32': return new Float32Array(buffer);
    default: throw new Error(`unknown dtype ${dtype}`);
  }
}
