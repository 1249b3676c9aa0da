// Iterative multi-label stratification (Sechidis, Tsoumakas & Vlahavas 2011), adapted to groups:
// the rarest label still to be placed goes first, so rare labels are spread before common ones use
// up the room; each group carrying it goes to the split that most lacks that label.
import type { GroupStats } from './groups.js';
import { seededOrder } from './seeded-order.js';

/**
 * Calls `place(group, label)` once per group, in stratification order: `label` is the label the
 * group is being placed for, undefined for groups with no positive label (placed by size alone).
 * Within a label, groups come in seeded order; the caller's split choice decides the rest.
 */
export function stratifiedOrder(groups: GroupStats[], seed: number, place: (g: GroupStats, label: number | undefined) => void): void {
  let remaining = seededOrder(groups, seed);
  const labelCount = groups[0]?.positives.length ?? 0;
  while (remaining.length > 0) {
    // Positives (samples) of each label among the groups not yet placed.
    const left = new Array<number>(labelCount).fill(0);
    for (const g of remaining) for (let j = 0; j < labelCount; j++) left[j] += g.positives[j];
    let label = -1;
    for (let j = 0; j < labelCount; j++) if (left[j] > 0 && (label < 0 || left[j] < left[label])) label = j;
    if (label < 0) {
      for (const g of remaining) place(g, undefined);
      return;
    }
    const next: GroupStats[] = [];
    for (const g of remaining) {
      if (g.positives[label] > 0) place(g, label);
      else next.push(g);
    }
    remaining = next;
  }
}
