// Per-label positive counts and pairwise co-occurrence (both labels > 0) over a dataset's index labels.

export interface LabelStats {
  /** Label name -> samples with that label > 0. */
  positives: Record<string, number>;
  /** cooccurrence[a][b]: samples with both a > 0 and b > 0 (the diagonal is `positives`). */
  cooccurrence: Record<string, Record<string, number>>;
}

/** `labels` is samples x labelNames.length, row-major (as `Dataset.labels`). */
export function labelStats(labels: Float32Array, labelNames: readonly string[]): LabelStats {
  const L = labelNames.length;
  const n = L === 0 ? 0 : labels.length / L;
  const counts = new Float64Array(L * L);
  const on: number[] = [];
  for (let i = 0; i < n; i++) {
    on.length = 0;
    for (let j = 0; j < L; j++) if (labels[i * L + j] > 0) on.push(j);
    for (const a of on) for (const b of on) counts[a * L + b]++;
  }
  const positives = Object.fromEntries(labelNames.map((name, j) => [name, counts[j * L + j]]));
  const cooccurrence = Object.fromEntries(labelNames.map((a, i) => [a, Object.fromEntries(labelNames.map((b, j) => [b, counts[i * L + j]]))]));
  return { positives, cooccurrence };
}

/** The pairs of distinct labels that are both positive in at least one sample, most frequent first. */
export function topPairs(stats: LabelStats, limit = 10): { a: string; b: string; samples: number }[] {
  const names = Object.keys(stats.positives);
  const pairs: { a: string; b: string; samples: number }[] = [];
  for (let i = 0; i < names.length; i++) for (let j = i + 1; j < names.length; j++) {
    const samples = stats.cooccurrence[names[i]][names[j]];
    if (samples > 0) pairs.push({ a: names[i], b: names[j], samples });
  }
  return pairs.sort((x, y) => y.samples - x.samples).slice(0, limit);
}
