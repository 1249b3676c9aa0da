// Per-group sample and positive-label counts: what assignment and the split report work on.
import type { SliceMeta } from '../slice-meta.js';
import { groupOf, type GroupBy } from './group-by.js';

export interface GroupStats {
  name: string;
  samples: number;
  /** Samples of the group with label j > 0, for each label j. */
  positives: number[];
  /** Sample keys, in input order. */
  keys: string[];
}

export interface LabelledSample {
  key: string;
  labels: readonly number[];
  meta?: SliceMeta;
}

/** Groups samples by `groupBy`, in order of each group's first sample. */
export function collectGroups(samples: LabelledSample[], groupBy: GroupBy, labelCount: number): GroupStats[] {
  const groups = new Map<string, GroupStats>();
  for (const s of samples) {
    const name = groupOf(s.key, groupBy, s.meta);
    let g = groups.get(name);
    if (!g) groups.set(name, (g = { name, samples: 0, positives: new Array<number>(labelCount).fill(0), keys: [] }));
    g.samples++;
    g.keys.push(s.key);
    for (let j = 0; j < labelCount; j++) if (s.labels[j] > 0) g.positives[j]++;
  }
  return [...groups.values()];
}
