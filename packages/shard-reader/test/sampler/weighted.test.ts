// Weighted epochs: draws proportional to weight (alias tables), deterministic per (seed, epoch).
import { describe, expect, it } from 'vitest';
import { aliasTable } from '../../src/sampler/alias-table.js';
import { drawWeighted } from '../../src/sampler/weighted.js';

const freq = (draws: Uint32Array, n: number) => {
  const c = new Array<number>(n).fill(0);
  for (const d of draws) c[d]++;
  return c.map((x) => x / draws.length);
};

describe('drawWeighted', () => {
  it('draws each sample with probability proportional to its weight, never one of weight 0', () => {
    const weights = [1, 2, 3, 4, 0, 10];
    const f = freq(drawWeighted({ weights, count: 400_000, seed: 3, epoch: 0 }), weights.length);
    weights.forEach((w, i) => expect(Math.abs(f[i] - w / 20), `sample ${i}`).toBeLessThan(0.004));
    expect(f[4]).toBe(0);
  });

  it('is the same for the same (seed, epoch), different for another epoch or seed, N draws by default', () => {
    const weights = Array.from({ length: 1000 }, (_, i) => 1 + (i % 7));
    const a = drawWeighted({ weights, seed: 1, epoch: 2 });
    expect(a.length).toBe(1000);
    expect(drawWeighted({ weights, seed: 1, epoch: 2 })).toEqual(a);
    expect(drawWeighted({ weights, seed: 1, epoch: 3 })).not.toEqual(a);
    expect(drawWeighted({ weights, seed: 2, epoch: 2 })).not.toEqual(a);
  });

  it('refuses bad weights, naming the sample', () => {
    expect(() => aliasTable([1, NaN])).toThrow('weight of sample 1 must be a finite number >= 0 (got NaN)');
    expect(() => aliasTable([1, -1])).toThrow(/sample 1/);
    expect(() => aliasTable([0, 0])).toThrow(/must not all be zero/);
    expect(() => drawWeighted({ weights: [1], count: 0, seed: 0, epoch: 0 })).toThrow(/draws per epoch/);
  });
});
