// One rank's batches of an epoch (planEpoch), for every shuffle mode: the same batch count on every rank,
// every sample covered, repeats only to pad the last step; dropLast keeps only full, distinct batches.
import { describe, expect, it } from 'vitest';
import { planEpoch } from '../../src/batch/plan.js';
import { SHUFFLE_MODES } from '../../src/shuffle/index.js';

describe('planEpoch rank partitions', () => {
  const sizes = [9, 9, 9, 9, 9, 6];
  const N = 51;
  for (const shuffle of SHUFFLE_MODES) {
    describe(shuffle, () => {
      for (const worldSize of [1, 2, 3]) {
        for (const batchSize of [4, 5, 8]) {
          it(`world ${worldSize}, batch ${batchSize}: same batch count per rank, every sample covered, repeats only to pad`, () => {
            const plans = Array.from({ length: worldSize }, (_, rank) => planEpoch(sizes, { batchSize, seed: 3, epoch: 2, rank, worldSize, dropLast: false, blockShards: 2, shuffle }));
            const counts = new Map<number, number>();
            for (const p of plans) {
              expect(p.batches).toBe(plans[0].batches);
              for (let b = 0; b < p.batches; b++) {
                const batch = p.batch(b);
                expect(batch.length).toBeGreaterThan(0);
                expect(batch.length).toBeLessThanOrEqual(batchSize);
                for (const i of batch) counts.set(i, (counts.get(i) ?? 0) + 1);
              }
            }
            expect(counts.size).toBe(N);
            const rest = N % (worldSize * batchSize);
            const repeats = [...counts.values()].reduce((a, c) => a + c - 1, 0);
            expect(repeats).toBe(rest > 0 && rest < worldSize ? worldSize - rest : 0);
            // dropLast: only full batches, none repeated, the same count everywhere.
            const dropped = Array.from({ length: worldSize }, (_, rank) => planEpoch(sizes, { batchSize, seed: 3, epoch: 2, rank, worldSize, dropLast: true, blockShards: 2, shuffle }));
            const seen = new Set<number>();
            for (const p of dropped) {
              expect(p.batches).toBe(Math.floor(N / (worldSize * batchSize)));
              for (let b = 0; b < p.batches; b++) for (const i of p.batch(b)) {
                expect(seen.has(i)).toBe(false);
                seen.add(i);
              }
            }
          });
        }
      }
    });
  }

  it('the epoch order is the shuffle mode\'s, whatever the rank', () => {
    const base = { batchSize: 4, seed: 7, epoch: 0, worldSize: 2, dropLast: false, blockShards: 2, shuffle: 'global' as const };
    expect(planEpoch(sizes, { ...base, rank: 0 }).order).toEqual(planEpoch(sizes, { ...base, rank: 1 }).order);
  });
});
