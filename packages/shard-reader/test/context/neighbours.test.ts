// Context slices: k neighbours on each side within a series (a recorded DICOM series, else its folder in natural slice order), edges repeated.
import { describe, expect, it } from 'vitest';
import { contextTable, seriesList } from '../../src/context/neighbours.js';

describe('contextTable', () => {
  // Manifest order is code-unit order: s10 before s2, and two series.
  const keys = ['p1/s1', 'p1/s10', 'p1/s2', 'p1/s3', 'p2/s1', 'p2/s2', 'root'];

  it('gives k neighbours on each side in natural order within the folder, repeating the edge slice', () => {
    const t = contextTable(keys, 1);
    expect(t.width).toBe(3);
    const of = (key: string) => [...t.of(keys.indexOf(key))].map((i) => keys[i]);
    expect(of('p1/s1')).toEqual(['p1/s1', 'p1/s1', 'p1/s2']);
    expect(of('p1/s2')).toEqual(['p1/s1', 'p1/s2', 'p1/s3']);
    expect(of('p1/s3')).toEqual(['p1/s2', 'p1/s3', 'p1/s10']);
    expect(of('p1/s10')).toEqual(['p1/s3', 'p1/s10', 'p1/s10']);
    expect(of('p2/s2')).toEqual(['p2/s1', 'p2/s2', 'p2/s2']);
    expect(of('root')).toEqual(['root', 'root', 'root']);
  });

  it('repeats the edge as often as needed when k exceeds the series, and k = 0 is the sample alone', () => {
    const t = contextTable(keys, 2);
    expect([...t.of(keys.indexOf('p2/s1'))].map((i) => keys[i])).toEqual(['p2/s1', 'p2/s1', 'p2/s1', 'p2/s2', 'p2/s2']);
    expect([...contextTable(keys, 0).neighbours]).toEqual(keys.map((_, i) => i));
    expect(() => contextTable(keys, -1)).toThrow(/context must be an integer/);
    expect(() => contextTable(keys, 1.5)).toThrow(/context must be an integer/);
  });

  it('takes a series and an order from the caller (DICOM Series Instance UID, slice position)', () => {
    const position = [3, 1, 2, 0];
    const t = contextTable(['a/x', 'a/y', 'b/z', 'b/w'], 1, { seriesOf: () => 'one', compare: (a, b) => position[a.index] - position[b.index] });
    // Order by position: 3 (b/w), 1 (a/y), 2 (b/z), 0 (a/x).
    expect([...t.of(1)]).toEqual([3, 1, 2]);
    expect([...t.of(0)]).toEqual([2, 0, 0]);
  });

  it('follows a recorded series order (DICOM) where there is one, folders and natural names elsewhere', () => {
    // Two DICOM series sharing folder d (ranks recorded), and a PNG folder p without any.
    const k = ['d/a', 'd/b', 'd/c', 'd/e', 'p/s10', 'p/s2'];
    const order = { series: Int32Array.of(0, 1, 0, 0, -1, -1), position: Int32Array.of(2, 0, 0, 1, -1, -1) };
    expect(seriesList(k, { order }).map((s) => [s.id, s.indices])).toEqual([['series:0', [2, 3, 0]], ['series:1', [1]], ['p', [5, 4]]]);
    const t = contextTable(k, 1, { order });
    expect([...t.of(3)]).toEqual([2, 3, 0]); // d/e sits between d/c and d/a in its series, whatever the names
    expect([...t.of(1)]).toEqual([1, 1, 1]); // a series of one: itself on both sides, never d's other series
    expect([...t.of(5)]).toEqual([5, 5, 4]); // p/s2 before p/s10
  });
});
