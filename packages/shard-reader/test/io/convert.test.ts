// uint8/uint16 -> float32: the addon's loop (native/convert.cc) must give exactly JavaScript's results.
import { describe, expect, it } from 'vitest';
import { mmapUnavailableReason } from '../../src/io/addon.js';
import { floatConverter } from '../../src/io/convert.js';

const skipReason = mmapUnavailableReason();
// Without the addon floatConverter is the JavaScript loop: comparing it with JavaScript would prove nothing.
if (skipReason) console.warn(`shard-reader convert tests (addon against JavaScript) skipped: ${skipReason}`);

describe.skipIf(skipReason !== undefined)('floatConverter (native addon)', () => {
  it('gives exactly the JavaScript results', () => {
    const convert = floatConverter();
    for (const [src, max] of [[Uint8Array.from({ length: 70_001 }, (_, i) => (i * 7919) % 256), 255], [Uint16Array.from({ length: 70_001 }, (_, i) => (i * 7919) % 65536), 65535]] as const) {
      for (const [scale, offset] of [[1 / max, 0], [1 / max / 0.229, -0.485 / 0.229], [1, 0]]) {
        const got = new Float32Array(src.length);
        convert(src, got, scale, offset);
        const want = Float32Array.from(src, (v) => v * scale + offset);
        expect(got).toEqual(want);
      }
    }
  });

  it('refuses a source shorter than the destination', () => {
    expect(() => floatConverter()(new Uint8Array(2), new Float32Array(4), 1, 0)).toThrow(/shorter/);
  });
});

describe('floatConverter (whichever is in use)', () => {
  it('converts only dst.length elements, to known values', () => {
    const convert = floatConverter();
    const dst = new Float32Array(4).fill(-1);
    convert(Uint8Array.from([255, 0, 51, 102, 9, 9]), dst, 1 / 255, 0);
    expect([...dst]).toEqual([1, 0, 0.2, 0.4].map(Math.fround));
    const wide = new Float32Array(3);
    convert(Uint16Array.from([65535, 0, 32768]), wide, 1 / 65535, 0);
    expect([...wide]).toEqual([1, 0, 32768 / 65535].map(Math.fround));
  });
});
