// `--intensity dataset`, first of two passes: every image the build will write is decoded and resampled
// exactly as the second pass will do it, and only the min..max of its modality values is kept. The second
// pass then maps that one range to 0..255 for every image, so equal values get equal grey levels across
// the dataset (per-image min-max and percentiles do not), and no pixel is clipped.
import os from 'node:os';
import { DecodePool } from './decode-pool.js';
import type { PlannedSlice } from './join-labels.js';
import { mapOrdered } from './map-ordered.js';
import type { MedicalJob } from './medical-slices.js';
import type { ResolvedOptions } from './options.js';
import { configureDecoder, preprocessSlice } from './preprocess.js';
import type { IntensityMode, ValueOptions } from './values.js';

/** True when the build maps to uint8 by `--intensity dataset` and the range is still to be found. */
export function needsDatasetRange(o: Pick<ResolvedOptions, 'dtype' | 'window' | 'windows' | 'intensity'>): boolean {
  return o.dtype === 'uint8' && !o.window && !o.windows && o.intensity.mode === 'dataset' && (o.intensity.lo === undefined || o.intensity.hi === undefined);
}

/**
 * The resolved mode: `dataset` with lo..hi the range of the modality values of `slices` after
 * resampling (the values the second pass maps). Files that fail to decode are left out here; the second
 * pass reports them as it always does. A range of one value maps every image to 0, as minmax does.
 */
export async function findDatasetRange(o: ResolvedOptions, slices: readonly PlannedSlice[]): Promise<IntensityMode> {
  // float32 output keeps the values as they are: their statistics are the range, their bytes are dropped.
  const values: ValueOptions = { dtype: 'float32', windows: null, intensity: { mode: 'stored' } };
  const job: MedicalJob = { size: o.size, fit: o.fit, kernel: o.kernel, values, dicomWindow: false };
  configureDecoder();
  const pool = new DecodePool(Math.min(o.workers, os.availableParallelism()));
  let lo = Infinity;
  let hi = -Infinity;
  const todo = slices.filter((s) => !s.error);
  try {
    let done = 0;
    o.onProgress?.({ phase: 'range', total: todo.length, done, written: 0, skipped: 0 });
    const results = mapOrdered(todo, pool.inFlight(todo, o.workers, false), (s) => (s.format ? pool.run(s.file, job) : preprocessSlice(s.file, { ...o, ...values, windows: null }).then((p) => [p])));
    for await (const r of results) {
      o.onProgress?.({ phase: 'range', total: todo.length, done: ++done, written: 0, skipped: 0 });
      if (!r.ok) continue;
      for (const { stats } of r.value) {
        if (stats.min < lo) lo = stats.min;
        if (stats.max > hi) hi = stats.max;
      }
    }
  } finally {
    await pool.close();
  }
  if (!(lo <= hi)) return { mode: 'dataset', lo: 0, hi: 1 }; // nothing decodable: the second pass fails or skips every file
  return { mode: 'dataset', lo, hi: hi > lo ? hi : lo + 1 };
}
