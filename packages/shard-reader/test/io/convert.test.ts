// uint8/uint16 -> float32: the addon's loop (native/convert.cc) must give exactly JavaScript's results.
import { describe, expect, it } from 'vitest';
import { mmapUnavailableReason } from '../../src/io/addon.js';
import { floatConverter, jsFloatConverter } from '../../src/io/convert.js';

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

  it('int16 and float32 sources: the addon gives exactly the JavaScript fallback (and -0 and NaN survive a plain copy)', () => {
    const convert = floatConverter();
    expect(convert).not.toBe(jsFloatConverter);
    const i16 = Int16Array.from({ length: 70_001 }, (_, i) => ((i * 7919) % 65536) - 32768);
    const f32 = Float32Array.from({ length: 70_001 }, (_, i) => (i % 1000 === 0 ? -0 : i % 1001 === 0 ? NaN : Math.fround((((i * 7919) % 8192) - 4096) * 0.37)));
    for (const src of [i16, f32]) {
      for (const [scale, offset] of [[1 / 4095, 1024 / 4095], [1 / 80, -0.5], [1, 0], [-2.5, 3]]) {
        const got = new Float32Array(src.length);
        const want = new Float32Array(src.length);
        convert(src, got, scale, offset);
        jsFloatConverter(src, want, scale, offset);
        expect(got, `${src.constructor.name} ${scale} ${offset}`).toEqual(want);
        if (!(scale === 1 && offset === 0)) expect(want[5]).toBe(Math.fround(src[5] * scale + offset));
      }
    }
    const copy = new Float32Array(f32.length);
    convert(f32, copy, 1, 0);
    expect(Object.is(copy[0], -0) && Number.isNaN(copy[1001])).toBe(true);
    expect(copy).toEqual(f32);
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
    const neg = new Float32Array(3);
    convert(Int16Array.from([-32768, -1, 32767]), neg, 1, 0);
    expect([...neg]).toEqual([-32768, -1, 32767]); // signed, not read as uint16
  });
});
