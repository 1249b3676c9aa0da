// Keys are unique and sorted across the whole dataset: compares each shard's first key with the last of the one before.
import type { Manifest } from 'shard-format';
import type { Problem } from './problem.js';

/** The first and last key of one shard's index. */
export interface KeyBounds {
  first: string;
  last: string;
}

/**
 * Problems at shard boundaries (each index checks its own order when decoded). `bounds[s]` is undefined
 * for a shard whose index could not be used: it is reported elsewhere, and must not make its intact
 * neighbour look wrong, so the comparison restarts after it.
 */
export function keyBoundaryProblems(manifest: Manifest, bounds: readonly (KeyBounds | undefined)[]): Problem[] {
  const out: Problem[] = [];
  let prev: { key: string; shard: string } | undefined;
  manifest.shards.forEach((entry, s) => {
    const b = bounds[s];
    if (b && prev && !(prev.key < b.first)) {
      const what = prev.key === b.first ? `appears in both ${prev.shard} and ${entry.file}` : `comes after ${JSON.stringify(prev.key.slice(0, 80))} of ${prev.shard}: out of order`;
      out.push({ shard: entry.file, file: entry.index.file, record: 0, key: b.first, message: `key ${what} (keys are unique and sorted across shards)` });
    }
    prev = b ? { key: b.last, shard: entry.file } : undefined;
  });
  return out;
}
