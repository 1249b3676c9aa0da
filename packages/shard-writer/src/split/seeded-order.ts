// A seeded, input-order-independent rank for each group: the same (seed, group) always sorts the same,
// so adding groups never reorders the old ones (which is what lets --split-from place only new ones).
import { createHash } from 'node:crypto';

export function seededRank(seed: number, name: string): string {
  return createHash('sha256').update(`${seed}\u0000${name}`).digest('hex');
}

/** `items` sorted by their seeded rank (ties, which need a SHA-256 collision, by name). */
export function seededOrder<T extends { name: string }>(items: T[], seed: number): T[] {
  const ranked = items.map((item) => ({ item, rank: seededRank(seed, item.name) }));
  ranked.sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : a.item.name < b.item.name ? -1 : 1));
  return ranked.map((r) => r.item);
}
