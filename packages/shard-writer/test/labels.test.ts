// labels.csv parsing: tolerant of real-world CSV, strict about content, errors name file and row.
import { describe, expect, it } from 'vitest';
import { parseLabels } from '../src/labels.js';
import { parseBytes } from '../src/options.js';
import { applyWindow, parseWindow } from '../src/window.js';

describe('parseLabels', () => {
  it('reads header, file column and numeric labels, tolerating BOM, CRLF and quotes', () => {
    const t = parseLabels('\uFEFFslice,"a, b",c\r\n"slice_001.png",1,0\r\nslice_002.png,0,0.5\r\n\r\n', 'p/labels.csv');
    expect(t.labelNames).toEqual(['a, b', 'c']);
    expect(t.rows.get('slice_001.png')).toEqual({ line: 2, labels: [1, 0] });
    expect(t.rows.get('slice_002.png')).toEqual({ line: 3, labels: [0, 0.5] });
    expect(t.badRows.size).toBe(0);
  });

  it('finds the file column by name anywhere, else uses the first column', () => {
    expect(parseLabels('x,filename,y\n1,s.png,0\n', 'l.csv').rows.get('s.png')?.labels).toEqual([1, 0]);
    expect(parseLabels('image,x\ns.png,1\n', 'l.csv').labelNames).toEqual(['x']);
  });

  it('marks non-numeric values and duplicate rows, naming file and row', () => {
    const t = parseLabels('slice,a\ns1.png,1\ns2.png,yes\ns1.png,0\ns3.png,\n', 'p/labels.csv');
    expect(t.badRows.get('s2.png')?.message).toBe('p/labels.csv: row 3: label a is not a number ("yes")');
    expect(t.badRows.get('s1.png')?.message).toBe('p/labels.csv: row 4: duplicate row for s1.png (first at row 2)');
    expect(t.badRows.get('s3.png')?.message).toBe('p/labels.csv: row 5: label a is not a number ("")');
    expect(t.rows.has('s1.png')).toBe(false);
  });

  it('rejects empty files and headers without labels', () => {
    expect(() => parseLabels('', 'l.csv')).toThrow('l.csv: is empty (needs a header row)');
    expect(() => parseLabels('slice\na.png\n', 'l.csv')).toThrow('l.csv: header has no label columns');
    expect(() => parseLabels('slice,a,a\n', 'l.csv')).toThrow('l.csv: header has duplicate label names');
  });
});

describe('options', () => {
  it('parses byte sizes', () => {
    expect(parseBytes('256MiB')).toBe(256 * 2 ** 20);
    expect(parseBytes('64MB')).toBe(64e6);
    expect(parseBytes('4096')).toBe(4096);
    expect(() => parseBytes('lots')).toThrow(/not a byte size/);
  });
});

describe('CT window', () => {
  it('follows the DICOM linear VOI function', () => {
    const src = Uint16Array.from([0, 799, 800, 1000, 1199, 1200, 65535]);
    const dst = new Uint8Array(src.length);
    applyWindow(src, dst, parseWindow('1000,400'));
    expect([...dst]).toEqual([0, 0, 0, 128, 255, 255, 255]);
    expect(() => parseWindow('40')).toThrow(/--window must be <center>,<width>/);
  });
});
