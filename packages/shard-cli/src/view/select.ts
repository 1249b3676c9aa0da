// Which samples a contact sheet shows: given keys, or a seeded random / evenly spaced choice of a filtered set.
import { getShuffle } from 'shard-reader';
import type { Catalog } from './catalog.js';

export interface SelectOptions {
  keys?: string[];
  label?: string;
  patient?: string;
  count: number;
  /** Random choice when given (or when not choosing within one patient); evenly spaced through a patient otherwise. */
  seed?: number;
}

export interface SampleSet {
  keys: readonly string[];
  labels: Float32Array;
  labelNames: readonly string[];
}

/** Thrown for a choice that names nothing in the dataset (a key, label or patient it does not have). */
export class SelectionError extends Error {
  override name = 'SelectionError';
}

/** Sample indices in browse order (keys: in the order given). */
export function selectSamples(set: SampleSet, catalog: Catalog, opts: SelectOptions): number[] {
  if (opts.keys) {
    const byKey = new Map(set.keys.map((k, i) => [k, i]));
    return opts.keys.map((k) => {
      const i = byKey.get(k);
      if (i === undefined) throw new SelectionError(`no sample with key ${JSON.stringify(k)}`);
      return i;
    });
  }
  let pool: ArrayLike<number> = catalog.order;
  if (opts.patient !== undefined) {
    const of = catalog.samplesOf(opts.patient);
    if (!of) throw new SelectionError(`no patient ${JSON.stringify(opts.patient)} (patients are the first folder of a key, e.g. ${JSON.stringify(catalog.patients[0]?.id ?? '')})`);
    pool = of;
  }
  if (opts.label !== undefined) {
    const j = set.labelNames.indexOf(opts.label);
    if (j < 0) throw new SelectionError(`no label ${JSON.stringify(opts.label)} (labels: ${set.labelNames.join(', ')})`);
    const L = set.labelNames.length;
    pool = Array.from(pool).filter((i) => set.labels[i * L + j] > 0);
    if (pool.length === 0) throw new SelectionError(`no sample${opts.patient !== undefined ? ` of patient ${opts.patient}` : ''} is positive for ${opts.label}`);
  }
  const n = pool.length;
  if (n <= opts.count) return Array.from(pool);
  let picks: number[];
  if (opts.patient !== undefined && opts.seed === undefined) {
    // Evenly spaced through the patient's series, first and last slice included: the sheet reads as a scroll.
    picks = Array.from({ length: opts.count }, (_, k) => (opts.count === 1 ? 0 : Math.round((k * (n - 1)) / (opts.count - 1))));
  } else {
    // The reader's own global shuffle, so a seed means here what it means to `shard order`.
    picks = Array.from(getShuffle('global')({ shardSizes: [n], seed: opts.seed ?? 0, epoch: 0, blockShards: 1 }).subarray(0, opts.count)).sort((a, b) => a - b);
  }
  return picks.map((p) => pool[p]);
}
