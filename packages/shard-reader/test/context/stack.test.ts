// Stacking context slices as channels, the sample itself in the middle.
import { describe, expect, it } from 'vitest';
import { stackSlices } from '../../src/context/stack.js';

describe('stackSlices', () => {
  it('interleaves slices as channels, per pixel, for one and several channels', () => {
    const out = new Uint8Array(6);
    stackSlices([Uint8Array.of(1, 2), Uint8Array.of(3, 4), Uint8Array.of(5, 6)], out, 1);
    expect([...out]).toEqual([1, 3, 5, 2, 4, 6]);
    const rgb = new Uint16Array(8);
    stackSlices([Uint16Array.of(1, 2, 3, 4), Uint16Array.of(5, 6, 7, 8)], rgb, 2);
    expect([...rgb]).toEqual([1, 2, 5, 6, 3, 4, 7, 8]);
    expect(() => stackSlices([Uint8Array.of(1)], new Uint8Array(2), 1)).toThrow(/needs 1/);
  });

  it('gives the same bytes on the word-at-a-time path for three uint8 slices, any length', () => {
    for (const n of [4, 7, 256, 1023]) {
      const slices = [0, 1, 2].map((j) => Uint8Array.from({ length: n }, (_, i) => (i * 37 + j * 101 + 5) & 255));
      const fast = new Uint8Array(3 * n);
      stackSlices(slices, fast, 1);
      const want = Array.from({ length: 3 * n }, (_, i) => slices[i % 3][Math.floor(i / 3)]);
      expect([...fast], `n ${n}`).toEqual(want);
    }
  });
});
