// Discovery reads a DICOM header only up to the pixel data: frames, identity tags and slice positions come
// from a prefix of the file, so no later step opens it again for them (split builds used to read every file).
import { cpSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildShards } from 'shard-writer';
import { discoverSlices } from '../packages/shard-writer/src/discover.js';
import { openDataset } from 'shard-reader';
import { readDicomHead } from '../packages/shard-writer/src/dicom-slice-meta.js';
import { parseDicomBytes } from '../packages/shard-writer/src/decode/dicom-header.js';
import { tempDir } from './helpers/tree.js';

const DICOM = path.join(import.meta.dirname, 'fixtures', 'dicom');
const root = tempDir('dicom-head-');
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('readDicomHead', () => {
  it('needs only the bytes before the pixel data: a file cut inside its pixel data gives the same header', async () => {
    // 138 KB, JPEG 2000 fragments after a small header: cut at 100 000 bytes, inside the fragments.
    const whole = path.join(DICOM, 'J2K_pixelrep_mismatch.dcm');
    const cut = path.join(root, 'cut.dcm');
    writeFileSync(cut, readFileSync(whole).subarray(0, 100_000));
    expect(() => parseDicomBytes(cut, new Uint8Array(readFileSync(cut)))).toThrow(/truncated|runs past the end/); // a whole-file parse fails
    const head = await readDicomHead(cut);
    expect(head).toEqual(await readDicomHead(whole));
    expect(head.frames).toBe(1);
    expect(head.ids.sopInstanceUid).toBeDefined();
  });

  it('reads frames, identity and per-frame positions, also of deflated and enhanced multi-frame files', async () => {
    const enhanced = await readDicomHead(path.join(DICOM, 'MR_small_enhanced_3frame.dcm'));
    expect(enhanced.frames).toBe(3);
    expect(enhanced.places).toHaveLength(3);
    const ct = await readDicomHead(path.join(DICOM, 'CT_small.dcm'));
    expect(ct.ids).toMatchObject({ patientId: expect.any(String), seriesInstanceUid: '1.3.6.1.4.1.5962.1.3.1.1.20040119072730.12322' });
    expect(ct.places[0].position).toBeTypeOf('number');
    const deflated = await readDicomHead(path.join(DICOM, 'image_dfl.dcm')); // cannot be inflated in part: read whole
    expect(deflated.frames).toBe(1);
    await expect(readDicomHead(path.join(DICOM, 'MR_small.dcm'))).resolves.toMatchObject({ frames: 1 });
  });

  it('discovery keeps what the header said on each DICOM slice', async () => {
    const { slices } = await discoverSlices(DICOM);
    const ct = slices.find((s) => s.key === 'CT_small')!;
    expect(ct.dicom?.ids.seriesInstanceUid).toBe('1.3.6.1.4.1.5962.1.3.1.1.20040119072730.12322');
    expect(slices.find((s) => s.key === 'MR_small_enhanced_3frame')!.many).toBe(true);
    expect(slices.find((s) => s.key === 'rtdose')!.many).toBe(true);
  });
});

describe('identity tags from the scan', () => {
  it('a plain (not split) build joins a label file keyed by SOPInstanceUID', async () => {
    const input = path.join(root, 'sop');
    cpSync(path.join(import.meta.dirname, 'fixtures', 'dicom-series', 'p1'), path.join(input, 'p1'), { recursive: true });
    unlinkSync(path.join(input, 'p1', 'labels.csv'));
    // Series A's SOP Instance UIDs are <series uid>.<rank + 1> (fixtures/dicom-series/make.py); rank 2 is c9.
    const uid = (s: number, r: number) => `1.2.826.0.1.3680043.8.498.1.${s}.${r}`;
    const rows = [[1, 6], [2, 4]].flatMap(([s, n]) => Array.from({ length: n }, (_, r) => `${uid(s, r + 1)},${s === 1 && r === 2 ? 1 : 0}`));
    const labels = path.join(root, 'sop-labels.csv');
    writeFileSync(labels, ['SOPInstanceUID,bleed', ...rows].join('\n') + '\n');
    const summary = await buildShards({ input, out: path.join(root, 'sop-out'), size: 8, workers: 1, labels: { file: labels } });
    expect(summary.written).toBe(10);
    const ds = await openDataset(summary.out, { workers: 0 });
    try {
      expect(ds.keys.filter((_, i) => ds.labels[i] === 1)).toEqual(['p1/c9']);
    } finally {
      await ds.close();
    }
  });
});
