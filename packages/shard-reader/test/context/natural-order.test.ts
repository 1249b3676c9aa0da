// Natural slice order: digit runs compare by value, then text.
import { describe, expect, it } from 'vitest';
import { naturalCompare } from '../../src/context/natural-order.js';

describe('natural order', () => {
  it('compares digit runs by value, then text', () => {
    const names = ['slice_10', 'slice_2', 'slice_1', 'slice_02b', 'a', 'slice_100000000000000000001', 'slice_99999999999999999999'];
    expect([...names].sort(naturalCompare)).toEqual(['a', 'slice_1', 'slice_2', 'slice_02b', 'slice_10', 'slice_99999999999999999999', 'slice_100000000000000000001']);
    expect(naturalCompare('s007', 's7')).toBe(0);
  });
});
