// The addon's helpers must give exactly what their JavaScript fallbacks give: CRC-32 as zlib, float conversion as JS.
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { fastCrc32, floatConverter, loadMmapAddon } from '../src/index.js';
import { jsFloatConverter } from '../src/io/native.js';

const zcrc = (zlib as unknown as { crc32(d: Uint8Array, v?: number): number }).crc32;

describe('fastCrc32', () => {
  it.skipIf(!loadMmapAddon())('matches zlib.crc32 on every length, alignment and start value', () => {
    const crc = fastCrc32();
    expect(crc(Buffer.from('123456789')) >>> 0).toBe(0xcbf43926);
    const data = randomBytes(70_000);
    for (let t = 0; t < 2000; t++) {
      const start = t % 17;
      const len = t < 300 ? t : (t * 7919) % (data.length - 17);
      const view = data.subarray(start, start + len);
      const value = t % 3 === 0 ? 0 : (t * 2654435761) >>> 0;
      expect(crc(view, value) >>> 0, `len ${len} start ${start}`).toBe(zcrc(view, value) >>> 0);
    }
  });

  it('continues a CRC across pieces like zlib', () => {
    const crc = fastCrc32();
    const data = randomBytes(65_600);
    expect(crc(data.subarray(40_000), crc(data.subarray(0, 40_000))) >>> 0).toBe(zcrc(data) >>> 0);
  });
});

describe('floatConverter', () => {
  it('gives exactly the JavaScript results, with or without the addon', () => {
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
    const neg = new Float32Array(3);
    convert(Int16Array.from([-32768, -1, 32767]), neg, 1, 0);
    expect([...neg]).toEqual([-32768, -1, 32767]); // signed, not read as uint16
  });

  it('converts only dst.length elements and refuses a short source', () => {
    const convert = floatConverter();
    const dst = new Float32Array(4).fill(-1);
    convert(Uint8Array.from([255, 0, 51, 102, 9, 9]), dst, 1 / 255, 0);
    expect([...dst]).toEqual([1, 0, 0.2, 0.4].map(Math.fround));
    if (loadMmapAddon()) expect(() => convert(new Uint8Array(2), dst, 1, 0)).toThrow(/shorter/);
  });
});
