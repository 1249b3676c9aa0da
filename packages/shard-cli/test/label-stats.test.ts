// shard inspect's label statistics: positives and how often two labels are positive together.
import { describe, expect, it } from 'vitest';
import { labelStats, topPairs } from '../src/label-stats.js';

describe('labelStats', () => {
  it('counts positives and pairwise co-occurrence, symmetric, with positives on the diagonal', () => {
    // Rows: [a, b, c]
    const labels = Float32Array.from([1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0.5, 0, 0, 0, 0]);
    const s = labelStats(labels, ['a', 'b', 'c']);
    expect(s.positives).toEqual({ a: 3, b: 3, c: 1 });
    expect(s.cooccurrence).toEqual({ a: { a: 3, b: 2, c: 1 }, b: { a: 2, b: 3, c: 1 }, c: { a: 1, b: 1, c: 1 } });
    expect(topPairs(s)).toEqual([{ a: 'a', b: 'b', samples: 2 }, { a: 'a', b: 'c', samples: 1 }, { a: 'b', b: 'c', samples: 1 }]);
    expect(labelStats(new Float32Array(0), [])).toEqual({ positives: {}, cooccurrence: {} });
  });
});
