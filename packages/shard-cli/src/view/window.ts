// Display windows: parsing `c,w` or a preset, the dataset's default, and values -> 0..255 display levels.
import { fullRange, valueRange } from './dtype.js';

/** Named CT windows (center, width) on modality values (HU): the usual reading presets. */
export const WINDOW_PRESETS: Readonly<Record<string, readonly [number, number]>> = {
  brain: [40, 80],
  subdural: [80, 200],
  bone: [600, 2800],
  'soft-tissue': [40, 400],
  lung: [-600, 1500],
};

/**
 * A DICOM linear VOI window (PS3.3 C.11.2.1.2.1): values <= lo show black, values > hi white, between
 * them ((v - (c - 0.5)) / (w - 1) + 0.5) x 255 rounded, where lo/hi = c - 0.5 -/+ (w - 1) / 2; the same
 * arithmetic as the build's --window, so a sheet shows what a windowed build stores. A min..max range is
 * the window c = (min + max) / 2 + 0.5, w = max - min + 1. web/window.js does the same for the canvas;
 * the browser test holds the two together.
 */
export interface DisplayWindow {
  center: number;
  width: number;
  lo: number;
  hi: number;
  /** How the user would name it: `40,80 (brain)`, `range 0..255 (uint8 range)`. */
  label: string;
}

export function centerWidthWindow(center: number, width: number, name?: string): DisplayWindow {
  const half = (width - 1) / 2;
  return { center, width, lo: center - 0.5 - half, hi: center - 0.5 + half, label: `${center},${width}${name ? ` (${name})` : ''}` };
}

export function rangeWindow(lo: number, hi: number, why: string): DisplayWindow {
  return { ...centerWidthWindow((lo + hi) / 2 + 0.5, hi - lo + 1), label: `range ${lo}..${hi} (${why})` };
}

/** `40,80` or a preset name; the message names `what` (the option or query parameter) on error. */
export function parseWindowSpec(text: string, what: string): DisplayWindow {
  const name = text.trim().toLowerCase();
  if (Object.hasOwn(WINDOW_PRESETS, name)) return centerWidthWindow(WINDOW_PRESETS[name][0], WINDOW_PRESETS[name][1], name);
  const parts = text.split(',');
  const nums = parts.map((s) => (s.trim() === '' ? NaN : Number(s)));
  if (parts.length !== 2 || !nums.every(Number.isFinite) || nums[1] < 1) {
    throw new RangeError(`${what} must be <center>,<width> with width >= 1, or one of ${Object.keys(WINDOW_PRESETS).join(', ')} (got ${JSON.stringify(text)})`);
  }
  return centerWidthWindow(nums[0], nums[1]);
}

/** The default window for pixels of `dtype`: its fixed range (uint8), else the min..max of `shown`. */
export function defaultWindow(dtype: string, shown: readonly ArrayLike<number>[]): DisplayWindow {
  const fixed = fullRange(dtype);
  if (fixed) return rangeWindow(fixed[0], fixed[1], `${dtype} range`);
  let lo = Infinity;
  let hi = -Infinity;
  for (const values of shown) {
    const [a, b] = valueRange(values);
    if (values.length === 0) continue;
    lo = Math.min(lo, a);
    hi = Math.max(hi, b);
  }
  if (!Number.isFinite(lo)) [lo, hi] = [0, 0];
  return rangeWindow(lo, hi, 'min..max of the pixels shown');
}

/** One value's display level (0..255) through `win`. NaN shows black. */
export function displayLevel(v: number, win: DisplayWindow): number {
  if (!(v > win.lo)) return 0;
  if (v > win.hi) return 255;
  // width 1: lo and hi meet, so every value took a branch above and there is no division by zero.
  return Math.round(((v - (win.center - 0.5)) / (win.width - 1) + 0.5) * 255);
}
