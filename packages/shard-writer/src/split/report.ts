// Per-split sample counts and label prevalence, and the largest prevalence gap to the whole set.
import type { GroupStats } from './groups.js';

export interface SplitCounts {
  groups: number;
  samples: number;
  /** Label name -> samples with that label > 0. */
  positives: Record<string, number>;
  /** Label name -> positives / samples (0 for an empty split). */
  prevalence: Record<string, number>;
}

export interface PrevalenceDeviation {
  split: string;
  label: string;
  /** |prevalence in the split - prevalence in the whole set|. */
  deviation: number;
}

export interface SplitReport {
  total: SplitCounts;
  splits: Record<string, SplitCounts>;
  /** Null when there are no labels or no samples. */
  largestDeviation: PrevalenceDeviation | null;
}

function counts(groups: GroupStats[], labelNames: string[]): SplitCounts {
  const samples = groups.reduce((n, g) => n + g.samples, 0);
  const positives = labelNames.map((_, j) => groups.reduce((n, g) => n + g.positives[j], 0));
  return {
    groups: groups.length,
    samples,
    positives: Object.fromEntries(labelNames.map((n, j) => [n, positives[j]])),
    prevalence: Object.fromEntries(labelNames.map((n, j) => [n, samples === 0 ? 0 : positives[j] / samples])),
  };
}

/** `assignment`: group name -> split name; groups it does not place are an error (a bug upstream). */
export function splitReport(groups: GroupStats[], assignment: ReadonlyMap<string, string>, splitNames: string[], labelNames: string[]): SplitReport {
  const bySplit = new Map(splitNames.map((s) => [s, [] as GroupStats[]]));
  for (const g of groups) {
    const s = assignment.get(g.name);
    const list = s === undefined ? undefined : bySplit.get(s);
    if (!list) throw new Error(`group ${g.name} has no split`);
    list.push(g);
  }
  const total = counts(groups, labelNames);
  const splits = Object.fromEntries(splitNames.map((s) => [s, counts(bySplit.get(s)!, labelNames)]));
  let largestDeviation: PrevalenceDeviation | null = null;
  for (const s of splitNames) {
    if (splits[s].samples === 0) continue;
    for (const l of labelNames) {
      const deviation = Math.abs(splits[s].prevalence[l] - total.prevalence[l]);
      if (!largestDeviation || deviation > largestDeviation.deviation) largestDeviation = { split: s, label: l, deviation };
    }
  }
  return { total, splits, largestDeviation };
}
