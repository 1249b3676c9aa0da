// One greyscale PNG slice at the output size to record pixels without sharp (png-direct.ts), in any thread.
import { readFile } from 'node:fs/promises';
import type { Dtype } from 'shard-format';
import { decodeGreyPng } from './png-direct.js';
import { mapIntegers, mapValues, type IntensityMode, type SampleValues } from './values.js';
import type { CtWindow } from './window.js';
import type { Fit } from 'shard-format';
import type { Kernel } from './options.js';

export interface PreprocessOptions {
  size: number;
  dtype: Dtype;
  fit: Fit;
  kernel: Kernel;
  /** One window (C = 1) or several (`--windows`, C = n); null for none. */
  windows: CtWindow[] | null;
  rescale: { slope: number; intercept: number } | null;
  intensity: IntensityMode;
}

export interface Preprocessed {
  bytes: Uint8Array;
  stats: SampleValues;
}

/** Files decodePngSlice takes (by name; the rest go to sharp). */
export function isPngName(file: string): boolean {
  return /\.png$/i.test(file);
}

/**
 * A greyscale 8/16-bit PNG already at the output size, or undefined for sharp to decode: same stored
 * values as sharp's raw output; anything resized, colour, interlaced, with transparency or a colour
 * profile, unreadable or damaged goes to sharp, which also words every error. `bytes`: the file, when the
 * caller read it already (a decoder thread reads synchronously: a FileHandle's open, stat and close cost
 * about a third of a slice's decode there).
 */
export async function decodePngSlice(file: string, opts: PreprocessOptions, bytes?: Uint8Array): Promise<Preprocessed | undefined> {
  if (!isPngName(file)) return undefined;
  // 8-bit input for --dtype uint16 is widened by sharp's grey16 conversion: left to sharp.
  const png = decodeGreyPng(bytes ?? (await readFile(file).catch(() => undefined)) ?? new Uint8Array(0), opts.size);
  if (!png || (png.depth === 8 && opts.dtype === 'uint16' && !opts.rescale)) return undefined;
  return mapStored(png.stored, png.depth === 16, opts);
}

/** Stored values (uint8 or, `wide`, uint16) through --rescale into the value pipeline. */
export function mapStored(stored: Uint8Array | Uint16Array, wide: boolean, opts: PreprocessOptions): Preprocessed {
  const { slope, intercept } = opts.rescale ?? { slope: 1, intercept: 0 };
  const fast = slope === 1 && intercept === 0 ? mapIntegers(stored, !wide && !opts.rescale, opts) : undefined;
  if (fast) return fast;
  const values = new Float32Array(stored.length);
  if (slope === 1 && intercept === 0) values.set(stored); // 8/16-bit integers are exact in float32
  else for (let i = 0; i < stored.length; i++) values[i] = stored[i] * slope + intercept;
  return mapValues(values, !wide && !opts.rescale, { dtype: opts.dtype, windows: opts.windows, intensity: opts.intensity });
}
