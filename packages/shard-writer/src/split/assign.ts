// Seeded assignment of whole groups to splits. Sizes end within one group of the ratios: a group goes
// only to a split it fits into (deficit >= its size) or to the split furthest below its target, so no
// split overshoots by more than one group, and, the deficits summing to zero, none undershoots by more.
import type { GroupStats } from './groups.js';
import type { SplitRatio } from './ratios.js';
import { seededOrder } from './seeded-order.js';
import { stratifiedOrder } from './stratify.js';

export interface AssignOptions {
  seed: number;
  /** Iterative multi-label stratification over groups (Sechidis et al. 2011) instead of size only. */
  stratify?: boolean;
  /** Groups already placed (from --split-from): kept where they are; only the others are placed. */
  fixed?: ReadonlyMap<string, string>;
}

/** Running totals per split while groups are placed. */
export class SplitState {
  /** Target samples minus samples placed, per split. */
  readonly deficit: number[];
  /** Target positives minus positives placed, per split and label. */
  readonly labelDeficit: number[][];

  constructor(
    readonly splits: readonly SplitRatio[],
    total: number,
    totalPositives: readonly number[],
  ) {
    this.deficit = splits.map((s) => s.ratio * total);
    this.labelDeficit = splits.map((s) => totalPositives.map((p) => s.ratio * p));
  }

  place(g: GroupStats, split: number): void {
    this.deficit[split] -= g.samples;
    g.positives.forEach((p, j) => (this.labelDeficit[split][j] -= p));
  }

  /** Splits `g` may go to: those it fits into, and the one furthest below its target. */
  candidates(g: GroupStats): number[] {
    let most = 0;
    for (let s = 1; s < this.deficit.length; s++) if (this.deficit[s] > this.deficit[most]) most = s;
    return this.deficit.map((_, s) => s).filter((s) => s === most || this.deficit[s] >= g.samples);
  }

  /** The candidate with the largest deficit for `label` (when given), then the largest sample deficit, then the first. */
  choose(g: GroupStats, label?: number): number {
    const by = (s: number): [number, number] => [label === undefined ? 0 : this.labelDeficit[s][label], this.deficit[s]];
    return this.candidates(g).reduce((best, s) => {
      const [a1, a2] = by(s);
      const [b1, b2] = by(best);
      return a1 > b1 || (a1 === b1 && a2 > b2) ? s : best;
    });
  }
}

/** Group name -> split name, for every group in `groups` (and every fixed one). */
export function assignGroups(groups: GroupStats[], splits: readonly SplitRatio[], o: AssignOptions): Map<string, string> {
  const labelCount = groups[0]?.positives.length ?? 0;
  const total = groups.reduce((n, g) => n + g.samples, 0);
  const totalPositives = Array.from({ length: labelCount }, (_, j) => groups.reduce((n, g) => n + g.positives[j], 0));
  const state = new SplitState(splits, total, totalPositives);
  const out = new Map<string, string>();
  const index = new Map(splits.map((s, i) => [s.name, i]));
  const free: GroupStats[] = [];
  for (const g of groups) {
    const split = o.fixed?.get(g.name);
    if (split === undefined) {
      free.push(g);
      continue;
    }
    const s = index.get(split);
    if (s === undefined) throw new RangeError(`group ${g.name} is in split ${split}, which is not one of ${splits.map((x) => x.name).join(', ')}`);
    state.place(g, s);
    out.set(g.name, split);
  }
  for (const [name, split] of o.fixed ?? []) if (!out.has(name)) out.set(name, split);

  if (o.stratify) {
    stratifiedOrder(free, o.seed, (g, label) => {
      const s = state.choose(g, label);
      state.place(g, s);
      out.set(g.name, splits[s].name);
    });
  } else {
    for (const g of seededOrder(free, o.seed)) {
      const s = state.choose(g);
      state.place(g, s);
      out.set(g.name, splits[s].name);
    }
  }
  return out;
}
