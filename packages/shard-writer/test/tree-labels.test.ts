// One label CSV for a whole tree: wide and long (RSNA) layouts, label selection, and every mismatch named.
import { describe, expect, it } from 'vitest';
import type { SliceFile } from '../src/discover.js';
import { joinTreeLabels, parseLabelColumns, parseTreeLabels, splitLongId } from '../src/tree-labels/index.js';

const slice = (rel: string): SliceFile => {
  const slash = rel.lastIndexOf('/');
  const name = rel.slice(slash + 1);
  return { rel, key: rel.replace(/\.[^./]+$/, ''), dir: slash < 0 ? '' : rel.slice(0, slash), name };
};
const SLICES = ['p1/s1.png', 'p1/s2.png', 'p2/s1.png'].map(slice);

describe('wide form', () => {
  it('names samples by key, path or file, keeping label order, and joins them to the slices', () => {
    for (const [col, ids] of [
      ['key', ['p1/s1', 'p1/s2', 'p2/s1']],
      ['path', ['p1/s1.png', 'p1/s2', './p2/s1.png']],
      ['file', ['p1\\s1.png', 'p1/s2.png', 'p2/s1']],
    ] as const) {
      const t = parseTreeLabels(`\uFEFF${col},b,a\r\n${ids.map((id, i) => `"${id}",${i},${i % 2}`).join('\r\n')}\r\n`, 'all.csv');
      expect(t).toMatchObject({ format: 'wide', labelNames: ['b', 'a'] });
      const j = joinTreeLabels('/in', SLICES, t);
      expect(j.slices.map((s) => s.labels), col).toEqual([[0, 0], [1, 1], [2, 0]]);
      expect(j.orphanRows).toEqual([]);
    }
  });

  it('matches a bare file name only when it is unique in the tree', () => {
    const t = parseTreeLabels('filename,a\ns2.png,1\ns1.png,0\n', 'all.csv');
    const j = joinTreeLabels('/in', SLICES, t);
    expect(j.slices[1].labels).toEqual([1]);
    expect(j.slices[0].error?.message).toBe('all.csv: row 3: s1.png matches 2 images (p1/s1.png, p2/s1.png); name them by their path below the input root');
    expect(j.slices[2].error?.message).toBe(j.slices[0].error?.message);
  });

  it('reports a missing row, a row with no image, duplicates and non-numeric values, naming file and row', () => {
    const t = parseTreeLabels('key,a,b\np1/s1,1,0\np1/s1,0,0\np1/s2,x,0\np9/s1,1,1\n', 'all.csv');
    const j = joinTreeLabels('/in', SLICES, t);
    expect(j.slices.map((s) => s.error?.message)).toEqual([
      'all.csv: row 3: duplicate row for p1/s1 (first at row 2)',
      'all.csv: row 4: label a is not a number ("x")',
      '/in/p2/s1.png: no row for p2/s1.png in all.csv',
    ]);
    expect(j.orphanRows.map((e) => e.message)).toEqual(['all.csv: row 5: names p9/s1, which is not an image under /in']);
  });

  it('reports two rows naming one slice in different ways as a duplicate', () => {
    const j = joinTreeLabels('/in', SLICES, parseTreeLabels('file,a\np1/s2.png,1\np1/s2,0\np1/s1,0\np2/s1,0\n', 'all.csv'));
    expect(j.slices[1].error?.message).toBe('all.csv: row 3: duplicate row for p1/s2.png (p1/s2; first at row 2 as p1/s2.png)');
  });

  it('selects and orders labels with --label-columns, refusing unknown ones', () => {
    const t = parseTreeLabels('key,a,b,c\np1/s1,1,2,3\n', 'all.csv', { labelColumns: parseLabelColumns('c,a') });
    expect(t.labelNames).toEqual(['c', 'a']);
    expect(t.rows.get('p1/s1')?.labels).toEqual([3, 1]);
    expect(() => parseTreeLabels('key,a\n', 'all.csv', { labelColumns: ['a', 'z'] })).toThrow('all.csv: has no label "z" (labels in the file: a)');
    expect(() => parseLabelColumns('a,,b')).toThrow(/empty name/);
  });

  it('refuses a header without a sample column, or with two', () => {
    expect(() => parseTreeLabels('image,a\nx,1\n', 'all.csv')).toThrow(/all.csv: header has no column naming the sample/);
    expect(() => parseTreeLabels('key,path,a\n', 'all.csv')).toThrow(/all.csv: header has 2 columns naming the sample \(key, path\)/);
  });

  it('matches DICOM rows by SOPInstanceUID from the slice metadata', () => {
    const meta = (key: string) => ({ sopInstanceUid: `1.2.${key.length}.${key.at(-1)}` });
    const t = parseTreeLabels('SOPInstanceUID,a\n1.2.5.1,1\n1.2.5.2,0\n', 'all.csv');
    const j = joinTreeLabels('/in', SLICES.slice(0, 2), t, meta);
    expect(j.slices.map((s) => s.labels)).toEqual([[1], [0]]);
  });
});

describe('long form (RSNA)', () => {
  const RSNA = ['ID,Label', 'ID_000012eaf_epidural,0', 'ID_000012eaf_any,1', 'ID_0000aee4b_epidural,1', 'ID_0000aee4b_any,1', ''].join('\n');
  const rsnaSlices = ['a/ID_000012eaf.dcm', 'b/ID_0000aee4b.dcm'].map(slice);

  it('is detected from the ID,Label header and pivoted to one vector per id, matched by file stem', () => {
    const t = parseTreeLabels(RSNA, 'stage_2_train.csv');
    expect(t).toMatchObject({ format: 'long', labelNames: ['epidural', 'any'] });
    expect(t.rows.get('000012eaf')).toEqual({ line: 2, labels: [0, 1] });
    const j = joinTreeLabels('/in', rsnaSlices, t);
    expect(j.slices.map((s) => s.labels)).toEqual([[0, 1], [1, 1]]);
  });

  it('matches ids against the SOPInstanceUID too, with or without its ID_ prefix', () => {
    const t = parseTreeLabels(RSNA, 'l.csv');
    const j = joinTreeLabels('/in', ['x/1.dcm', 'x/2.dcm'].map(slice), t, (k) => ({ sopInstanceUid: k === 'x/1' ? 'ID_000012eaf' : '0000aee4b' }));
    expect(j.slices.map((s) => s.labels)).toEqual([[0, 1], [1, 1]]);
  });

  it('reports an id whose label set differs, duplicates and non-numeric values, naming the row', () => {
    const text = ['ID,Label', 'ID_a_x,0', 'ID_a_y,1', 'ID_b_x,1', 'ID_c_x,1', 'ID_c_x,0', 'ID_c_y,0', 'ID_d_x,maybe', 'ID_d_y,0'].join('\n');
    const t = parseTreeLabels(text, 'l.csv');
    expect(t.labelNames).toEqual(['x', 'y']);
    expect(t.badRows.get('b')?.error.message).toBe('l.csv: row 4: b has labels [x], the label set is [x, y] (missing y)');
    expect(t.badRows.get('c')?.error.message).toBe('l.csv: row 6: duplicate row for ID_c_x');
    expect(t.badRows.get('d')?.error.message).toBe('l.csv: row 8: label x of d is not a number ("maybe")');
    expect([...t.rows.keys()]).toEqual(['a']);
  });

  it('takes labels with underscores from --label-columns, and ignores unselected labels', () => {
    expect(splitLongId('ID_ab_c_d')).toEqual({ id: 'ab_c', label: 'd' });
    expect(splitLongId('ID_ab_c_d', ['c_d'])).toEqual({ id: 'ab', label: 'c_d' });
    expect(splitLongId('nounderscore')).toBeUndefined();
    const t = parseTreeLabels('ID,Label\nID_q_sub_dural,1\nID_q_any,0\nID_q_junk,?\n', 'l.csv', { labelColumns: ['sub_dural', 'any'] });
    expect(t.rows.get('q')?.labels).toEqual([1, 0]);
  });

  it('can be forced with format long, and refuses a file without the header', () => {
    expect(() => parseTreeLabels('key,a\n', 'l.csv', { format: 'long' })).toThrow('l.csv: long label form needs the header ID,Label (found key,a)');
    expect(() => parseTreeLabels('ID,Label\nbad,1\n', 'l.csv')).toThrow('l.csv: row 2: "bad" is not ID_<id>_<label>');
  });
});
