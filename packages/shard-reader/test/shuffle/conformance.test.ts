// One conformance suite over every shuffle mode in the registry: each epoch a permutation of every
// sample, deterministic in (seed, epoch); block mode mixes at most blockShards shards at a time.
import { describe, expect, it } from 'vitest';
import { SHUFFLE_MODES, getShuffle } from '../../src/shuffle/index.js';

describe('shuffle conformance', () => {
  const sizes = [9, 9, 9, 9, 9, 6];
  const N = 51;
  for (const shuffle of SHUFFLE_MODES) {
    it(`${shuffle}: each epoch is a permutation of every sample, deterministic in (seed, epoch)`, () => {
      const order = (seed: number, epoch: number) => getShuffle(shuffle)({ shardSizes: sizes, seed, epoch, blockShards: 2 });
      const a = order(7, 0);
      expect([...a].sort((x, y) => x - y)).toEqual([...Array(N).keys()]);
      expect(order(7, 0)).toEqual(a);
      if (shuffle !== 'none') {
        expect(order(7, 1)).not.toEqual(a);
        expect(order(8, 0)).not.toEqual(a);
      }
    });
  }

  it('refuses an unknown mode, naming the ones there are', () => {
    expect(() => getShuffle('random')).toThrow(`unknown shuffle mode "random" (expected ${SHUFFLE_MODES.join(', ')})`);
  });

  it('block mode mixes at most blockShards shards per window of the epoch', () => {
    const order = getShuffle('block')({ shardSizes: sizes, seed: 1, epoch: 0, blockShards: 2 });
    const shardOf = (i: number) => Math.floor(i / 9);
    // Walk the order: a window holds whole shards, at most two, and the next starts only when they are used up.
    let window = new Map<number, number>();
    let windows = 0;
    for (const i of order) {
      const s = shardOf(i);
      window.set(s, (window.get(s) ?? 0) + 1);
      expect(window.size).toBeLessThanOrEqual(2);
      if (window.size === 2 && [...window].every(([sh, n]) => n === sizes[sh])) {
        window = new Map();
        windows++;
      }
    }
    expect(windows).toBe(3);
  });
});
