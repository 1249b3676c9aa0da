// `--group-by patient` on DICOM inputs groups by PatientID, not by folder: two folders holding one
// patient's files never end up in two splits.
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { buildSplit } from 'shard-writer';
import { LABELS, tempDir, writeLabels } from './helpers/tree.js';

const DICOM = path.join(import.meta.dirname, 'fixtures/dicom');
const root = tempDir('split-dicom-test-');
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('puts every file of one PatientID in one split, whatever folders they sit in, and says the ID spans folders', async () => {
  const input = path.join(root, 'in');
  // PatientID 4MR1 in folders a and b, 1CT1 in folders c and d (pydicom's test files).
  const files: [string, string][] = [['a', 'MR_small.dcm'], ['b', 'MR_small_RLE.dcm'], ['c', 'CT_small.dcm'], ['d', 'CT_small_jpeg_lossless.dcm']];
  for (const [dir, f] of files) {
    mkdirSync(path.join(input, dir), { recursive: true });
    copyFileSync(path.join(DICOM, f), path.join(input, dir, f));
    writeLabels(path.join(input, dir), LABELS, [[f, 1, 0, 0, 0, 0]]);
  }
  const out = path.join(root, 'out');
  for (const seed of [1, 2, 3, 4]) {
    rmSync(out, { recursive: true, force: true });
    const summary = await buildSplit({ input, out, size: 32, dtype: 'float32' }, { splits: [{ name: 'train', ratio: 0.5 }, { name: 'val', ratio: 0.5 }], groupBy: { kind: 'patient' }, seed });
    const doc = JSON.parse(readFileSync(path.join(out, 'split.json'), 'utf8'));
    const groups = doc.groups as Record<string, { split: string; keys: string[] }>;
    expect(Object.keys(groups).sort()).toEqual(['PatientID:1CT1', 'PatientID:4MR1']); // patients, not folders
    expect(groups['PatientID:4MR1'].keys.sort()).toEqual(['a/MR_small', 'b/MR_small_RLE']);
    expect(groups['PatientID:1CT1'].keys.sort()).toEqual(['c/CT_small', 'd/CT_small_jpeg_lossless']);
    expect(summary.warnings.join('\n')).toMatch(/4MR1/); // the user is told one PatientID spans folders
    expect(summary.written).toBe(4);
  }
});
