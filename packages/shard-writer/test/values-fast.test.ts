// The value pipeline's fast paths (integer bin table, dense bin counts, floor-based rounding) give exactly
// what the plain per-pixel definitions give: same bytes, same min/max, same fine histogram.
import { describe, expect, it } from 'vitest';
import { binEntries, fineBin, mapIntegers, mapIntegerValues, mapValues, roundByte, ValueTotals, type FineBins, type ValueOptions } from '../src/values.js';

/** The definitions the fast paths must reproduce: Math.round, clamp, one fineBin per finite value. */
function reference(values: Float32Array, narrow: boolean, o: ValueOptions) {
  let min = Infinity;
  let max = -Infinity;
  const bins = new Map<number, number>();
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    min = Math.min(min, v);
    max = Math.max(max, v);
    bins.set(fineBin(v), (bins.get(fineBin(v)) ?? 0) + 1);
  }
  const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);
  const out = new Uint8Array(values.length);
  const mode = o.intensity.mode === 'auto' ? (narrow ? 'stored' : 'minmax') : o.intensity.mode;
  if (mode === 'stored') values.forEach((v, i) => (out[i] = clamp(Math.round(v / (narrow ? 1 : 257)))));
  else {
    const scale = max > min ? 255 / (max - min) : 0;
    values.forEach((v, i) => (out[i] = clamp(Math.round((v - min) * scale))));
  }
  return { out, min, max, bins };
}

function random(seed: number) {
  return () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const sorted = (m: Map<number, number> | FineBins) => (m instanceof Map ? [...m].sort((a, b) => a[0] - b[0]) : binEntries(m));

describe('value mapping fast paths', () => {
  it('roundByte is Math.round clamped to 0..255, including halves, NaN, infinities and the double just below 0.5', () => {
    const cases = [0.49999999999999994, 0.5, -0.5, -0.49999999999999994, 1.5, 2.5, 254.5, 254.49999999999997, 255.5, -1e9, 1e9, NaN, Infinity, -Infinity, 0, -0, 127.5, 0.9999999999999999];
    const rnd = random(7);
    for (let i = 0; i < 20000; i++) cases.push((rnd() - 0.1) * 300, Math.floor(rnd() * 600) / 2 - 20);
    for (const y of cases) {
      const want = Math.round(y);
      // A Uint8Array stores -0 as 0.
      const expected = Number.isNaN(want) ? 0 : want < 0 ? 0 : want > 255 ? 255 : want + 0;
      expect(roundByte(y), `roundByte(${y})`).toBe(expected);
    }
  });

  it('gives the reference bytes and statistics for integer CT values, floats, NaN/Inf and values beyond the integer table', () => {
    const rnd = random(11);
    const images: Float32Array[] = [
      Float32Array.from({ length: 4096 }, () => Math.round(rnd() * 4000) - 2048), // HU
      Float32Array.from({ length: 4096 }, () => (rnd() - 0.5) * 3000), // resampled: non-integer
      Float32Array.from({ length: 4096 }, (_, i) => (i % 7 === 0 ? NaN : i % 11 === 0 ? Infinity : i % 13 === 0 ? -Infinity : rnd() * 1e6 - 5e5)),
      Float32Array.from({ length: 4096 }, () => Math.round(rnd() * 2e5) - 1e5), // integers outside [-32768, 65535]
      Float32Array.from({ length: 1024 }, () => 3e38 * (rnd() - 0.5)),
      new Float32Array(1024).fill(-1024), // one value: no contrast
      Float32Array.from({ length: 4096 }, () => Math.round(rnd() * 65535)), // 16-bit stored
      Float32Array.from({ length: 4096 }, () => Math.round(rnd() * 255)),
    ];
    for (const [n, values] of images.entries()) {
      for (const [narrow, intensity] of [
        [false, { mode: 'auto' }],
        [true, { mode: 'auto' }],
        [false, { mode: 'stored' }],
      ] as const) {
        const o: ValueOptions = { dtype: 'uint8', windows: null, intensity };
        const got = mapValues(values, narrow, o);
        const want = reference(values, narrow, o);
        expect(Buffer.from(got.bytes).equals(Buffer.from(want.out)), `image ${n} ${intensity.mode} narrow=${narrow}`).toBe(true);
        expect([got.stats.min, got.stats.max]).toEqual([want.min, want.max]);
        expect(sorted(got.stats.bins)).toEqual(sorted(want.bins));
      }
    }
    // An image with no finite value: no range, no bins, and the next scan starts from clean counts.
    const none = mapValues(new Float32Array([NaN, Infinity]), false, { dtype: 'float32', windows: null, intensity: { mode: 'auto' } });
    expect(binEntries(none.stats.bins)).toEqual([]);
    expect(sorted(mapValues(Float32Array.of(5, 5), false, { dtype: 'float32', windows: null, intensity: { mode: 'auto' } }).stats.bins)).toEqual([[fineBin(5), 2]]);
  });

  it('counts the grey levels of a large image once each (a level met 256 times was counted again)', () => {
    // 256x256 pixels in 6 stored levels: a collapsed image the build must warn about (fewer than FEW_LEVELS).
    const values = Float32Array.from({ length: 256 * 256 }, (_, i) => (i % 6) * 40);
    expect(mapValues(values, true, { dtype: 'uint8', windows: null, intensity: { mode: 'auto' } }).stats.levels).toBe(6);
  });

  it('mapIntegers (8/16-bit stored values through a histogram) gives what mapValues gives on the same values', () => {
    const rnd = random(5);
    const arrays: (Uint8Array | Uint16Array)[] = [
      Uint8Array.from({ length: 5000 }, () => Math.floor(rnd() * 256)),
      Uint8Array.from({ length: 5000 }, () => 100 + Math.floor(rnd() * 7)),
      new Uint8Array(300).fill(42),
      Uint16Array.from({ length: 5000 }, () => Math.floor(rnd() * 4096)),
      Uint16Array.from({ length: 5000 }, () => Math.floor(rnd() * 65536)),
      Uint16Array.of(0, 65535, 65535, 1),
    ];
    for (const [k, stored] of arrays.entries()) {
      for (const narrow of [true, false]) {
        if (narrow && stored instanceof Uint16Array) continue; // narrow means 8-bit stored values
        for (const intensity of [{ mode: 'auto' }, { mode: 'stored' }, { mode: 'minmax' }] as const) {
          const o: ValueOptions = { dtype: 'uint8', windows: null, intensity };
          const got = mapIntegers(stored, narrow, o)!;
          const want = mapValues(Float32Array.from(stored), narrow, o);
          const what = `array ${k} narrow=${narrow} ${intensity.mode}`;
          expect(Buffer.from(got.bytes).equals(Buffer.from(want.bytes)), what).toBe(true);
          expect({ ...got.stats, bins: sorted(got.stats.bins) }, what).toEqual({ ...want.stats, bins: sorted(want.stats.bins) });
        }
      }
    }
    // Windows, other dtypes and percentiles stay with mapValues.
    expect(mapIntegers(Uint8Array.of(1), true, { dtype: 'uint8', windows: [{ center: 40, width: 80 }], intensity: { mode: 'auto' } })).toBeUndefined();
    expect(mapIntegers(Uint8Array.of(1), true, { dtype: 'float32', windows: null, intensity: { mode: 'auto' } })).toBeUndefined();
    expect(mapIntegers(Uint8Array.of(1), true, { dtype: 'uint8', windows: null, intensity: { mode: 'percentile', lo: 1, hi: 99 } })).toBeUndefined();
  });

  it('mapIntegers on signed stored values plus an integer intercept (CT: stored + RescaleIntercept) gives what mapValues gives on the modality values', () => {
    const rnd = random(41);
    const cases: [Int16Array | Int8Array | Uint16Array | Uint8Array, number][] = [
      [Int16Array.from({ length: 4096 }, () => Math.round(rnd() * 3000) - 1000), -1024], // signed CT
      [Uint16Array.from({ length: 4096 }, () => Math.round(rnd() * 4095)), -1024], // unsigned CT, 12-bit
      [Int16Array.from({ length: 4096 }, () => Math.round(rnd() * 65535) - 32768), 0], // the whole int16 range
      [Int8Array.from({ length: 1000 }, () => Math.round(rnd() * 255) - 128), 0], // signed 8-bit
      [Int8Array.from({ length: 1000 }, () => Math.round(rnd() * 255) - 128), 100],
      [new Int16Array(500).fill(-5), 3], // one value
      [Uint16Array.of(0, 1, 2, 65535), 0],
    ];
    for (const [k, [stored, intercept]] of cases.entries()) {
      const modality = Float32Array.from(stored, (v) => v + intercept);
      for (const [narrow, intensity] of [
        [false, { mode: 'auto' }],
        [false, { mode: 'stored' }],
        [false, { mode: 'minmax' }],
        [true, { mode: 'auto' }],
      ] as const) {
        const o: ValueOptions = { dtype: 'uint8', windows: null, intensity };
        const got = mapIntegers(stored, narrow, o, intercept)!;
        const want = mapValues(modality, narrow, o);
        const what = `case ${k} narrow=${narrow} ${intensity.mode}`;
        expect(got, what).toBeDefined();
        expect(Buffer.from(got.bytes).equals(Buffer.from(want.bytes)), what).toBe(true);
        expect({ ...got.stats, bins: sorted(got.stats.bins) }, what).toEqual({ ...want.stats, bins: sorted(want.stats.bins) });
      }
    }
    // Modality values beyond the integer table, or a fractional intercept: undefined, and the counts are clean for the next image.
    const o: ValueOptions = { dtype: 'uint8', windows: null, intensity: { mode: 'auto' } };
    expect(mapIntegers(Int16Array.of(-32768, 5), false, o, -1)).toBeUndefined();
    expect(mapIntegers(Uint16Array.of(65535, 5), false, o, 1)).toBeUndefined();
    expect(mapIntegers(Int16Array.of(1, 2), false, o, 0.5)).toBeUndefined();
    const next = mapIntegers(Int16Array.of(7, 8), false, o, 0)!;
    expect(sorted(next.stats.bins)).toEqual([
      [fineBin(7), 1],
      [fineBin(8), 1],
    ]);
  });

  it('mapIntegerValues (integer modality values through a histogram) gives the reference, and leaves other images clean to the general path', () => {
    const rnd = random(23);
    const hu = () => Float32Array.from({ length: 4096 }, () => Math.round(rnd() * 3000) - 1024);
    const applies: Float32Array[] = [
      hu(),
      Float32Array.from({ length: 4096 }, () => Math.round(rnd() * 65535)),
      Float32Array.from({ length: 4096 }, () => -32768 + Math.round(rnd() * 5)), // the table's low end
      Float32Array.of(65535, 0, 65535), // and its high end
      Float32Array.from({ length: 256 * 256 }, (_, i) => (i % 6) * 40 - 1000), // few levels, many pixels each
      new Float32Array(500).fill(-1024),
    ];
    for (const [k, values] of applies.entries()) {
      for (const [narrow, intensity] of [
        [false, { mode: 'auto' }],
        [true, { mode: 'auto' }],
        [false, { mode: 'stored' }],
        [false, { mode: 'minmax' }],
      ] as const) {
        const o: ValueOptions = { dtype: 'uint8', windows: null, intensity };
        const got = mapIntegerValues(values, narrow, o);
        const want = reference(values, narrow, o);
        const what = `image ${k} ${intensity.mode} narrow=${narrow}`;
        expect(got, what).toBeDefined();
        expect(Buffer.from(got!.bytes).equals(Buffer.from(want.out)), what).toBe(true);
        expect([got!.stats.min, got!.stats.max], what).toEqual([want.min, want.max]);
        expect(sorted(got!.stats.bins), what).toEqual(sorted(want.bins));
        expect(got!.stats.levels, what).toBe(new Set(want.out).size);
      }
    }
    // Not such an integer somewhere (late in the image, after many were counted): undefined, and the next image counts from zero.
    const o: ValueOptions = { dtype: 'uint8', windows: null, intensity: { mode: 'auto' } };
    const late = (bad: number) => Float32Array.from({ length: 4096 }, (_, i) => (i === 4000 ? bad : 7));
    for (const bad of [0.5, NaN, Infinity, -32769, 65536, -0]) expect(mapIntegerValues(late(bad), false, o), String(bad)).toBeUndefined();
    const next = mapIntegerValues(Float32Array.of(7, 8), false, o)!;
    expect(sorted(next.stats.bins)).toEqual([
      [fineBin(7), 1],
      [fineBin(8), 1],
    ]);
    expect([next.stats.min, next.stats.max, next.bytes[0], next.bytes[1]]).toEqual([7, 8, 0, 255]);
    // Windows, other dtypes and percentiles stay with the general path.
    expect(mapIntegerValues(Float32Array.of(1), false, { dtype: 'uint8', windows: [{ center: 40, width: 80 }], intensity: { mode: 'auto' } })).toBeUndefined();
    expect(mapIntegerValues(Float32Array.of(1), false, { dtype: 'int16', windows: null, intensity: { mode: 'auto' } })).toBeUndefined();
    expect(mapIntegerValues(Float32Array.of(1), false, { dtype: 'uint8', windows: null, intensity: { mode: 'percentile', lo: 1, hi: 99 } })).toBeUndefined();
  });
});

describe('ValueTotals over dense fine bins', () => {
  it('adds, merges and round-trips through JSON what a Map of bin counts gives, even bins beyond float32 (a journal of float64 values)', () => {
    const rnd = random(31);
    const shards = [new ValueTotals(), new ValueTotals()];
    const want = new Map<number, number>();
    for (let k = 0; k < 12; k++) {
      const values = Float32Array.from({ length: 2000 }, () => (k % 3 === 0 ? (rnd() - 0.5) * 1e6 : Math.round(rnd() * 3000) - 1024));
      const { stats } = mapValues(values, false, { dtype: 'uint8', windows: null, intensity: { mode: 'auto' } });
      for (const v of values) want.set(fineBin(v), (want.get(fineBin(v)) ?? 0) + 1);
      shards[k % 2].add(stats);
    }
    const total = new ValueTotals();
    for (const s of shards) total.merge(ValueTotals.fromJSON(JSON.parse(JSON.stringify(s.toJSON()))));
    expect(total.toJSON().bins).toEqual(sorted(want));
    const json = { min: -1e300, max: 1e300, clipped: 0, fewLevels: 0, bins: [[-fineBin(1e300) - 1, 3], [fineBin(1e300), 4]] as [number, number][] };
    expect(ValueTotals.fromJSON(json).toJSON()).toEqual(json);
    expect(ValueTotals.fromJSON(json).stats()!.histogram.reduce((a, b) => a + b)).toBe(7);
  });
});
