// Label balancing: weights that draw each label (and 'no label') about equally often.
import { describe, expect, it } from 'vitest';
import { drawWeighted } from '../../src/sampler/weighted.js';
import { getBalance } from '../../src/sampler/index.js';

describe("balance: 'labels'", () => {
  it('draws a rare label about as often as a common one and as the all-negative samples', () => {
    // 1000 samples, 2 labels: a in 1%, b in 20%, the rest negative.
    const n = 1000;
    const labels = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) {
      if (i < 10) labels[i * 2] = 1;
      else if (i < 210) labels[i * 2 + 1] = 1;
    }
    const weights = getBalance('labels')(labels, 2);
    const draws = drawWeighted({ weights, count: 300_000, seed: 5, epoch: 0 });
    let a = 0;
    let b = 0;
    for (const d of draws) (d < 10 ? a++ : d < 210 ? b++ : 0);
    expect(a / draws.length).toBeGreaterThan(0.3);
    expect(a / draws.length).toBeLessThan(0.37);
    expect(b / draws.length).toBeGreaterThan(0.3);
    expect(b / draws.length).toBeLessThan(0.37);
    expect(() => getBalance('patients')).toThrow(/unknown balance mode "patients" \(expected labels\)/);
  });
});
