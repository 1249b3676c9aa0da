// Context stacking in native code (native/interleave.cc) and through stackRows: the same channels as stackSlices.
import { describe, expect, it } from 'vitest';
import { loadMmapAddon } from '../../src/io/addon.js';
import { stackRows, stackSlices } from '../../src/context/index.js';
import type { Pixels } from '../../src/store/pixels.js';

const addon = loadMmapAddon();

/** samples x width slices of `pixels` x channels values, each value distinct enough to catch any misplacement. */
function rows(make: (n: number) => Pixels, samples: number, width: number, pixels: number, channels: number): Pixels {
  const a = make(samples * width * pixels * channels);
  for (let i = 0; i < a.length; i++) a[i] = (i * 37 + (i >> 8)) % 251;
  return a;
}

function reference(src: Pixels, samples: number, width: number, channels: number, out: Pixels): void {
  const per = src.length / samples / width;
  for (let s = 0; s < samples; s++) {
    const slices = Array.from({ length: width }, (_, j) => src.subarray((s * width + j) * per, (s * width + j + 1) * per));
    stackSlices(slices, out.subarray(s * width * per, (s + 1) * width * per), channels);
  }
}

describe.skipIf(!addon)('interleave', () => {
  it('stacks every width, channel count and element size like stackSlices, SIMD paths and their tails included', () => {
    const types: ((n: number) => Pixels)[] = [(n) => new Uint8Array(n), (n) => new Uint16Array(n), (n) => new Float32Array(n)];
    // 37 pixels: two 16-pixel SIMD steps and a 5-pixel tail.
    for (const make of types)
      for (const width of [1, 2, 3, 5, 7, 9, 11])
        for (const channels of [1, 3]) {
          const src = rows(make, 3, width, 37, channels);
          const want = make(src.length);
          reference(src, 3, width, channels, want);
          const got = make(src.length);
          addon!.interleave(src, got, 3, width, 37, channels * src.BYTES_PER_ELEMENT);
          expect(got).toEqual(want);
          const viaRows = make(src.length);
          stackRows(src, 3, width, viaRows, channels);
          expect(viaRows).toEqual(want);
        }
  });

  it('refuses outputs that are too short, overlapping buffers and mismatched types', () => {
    const src = new Uint8Array(3 * 16);
    expect(() => addon!.interleave(src, new Uint8Array(47), 1, 3, 16, 1)).toThrow(/must each hold/);
    expect(() => addon!.interleave(src, src.subarray(1), 1, 3, 15, 1)).toThrow(/overlap/);
    expect(() => stackRows(src, 1, 3, new Uint16Array(48), 1)).toThrow(/stacked output/);
  });
});
