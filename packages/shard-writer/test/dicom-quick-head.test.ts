// The quick header walk gives exactly the tags dicom-parser's whole parse gives, or declines: for every
// DICOM fixture (all transfer syntaxes, implicit VR, sequences, RGB, RT, SR, waveforms), and for every
// prefix of them (a truncated or growing file never throws and never yields a different value).
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDicomBytes } from '../src/decode/dicom-header.js';
import { quickHeadDataSet } from '../src/dicom-quick-head.js';

const DICOM = path.join(import.meta.dirname, '../../../test/fixtures/dicom');
const TAGS = ['x00080018', 'x00100020', 'x0020000d', 'x0020000e', 'x00200013', 'x00200032', 'x00200037', 'x00280008'];
const files = readdirSync(DICOM).filter((f) => f.endsWith('.dcm'));

function tags(ds: { string(tag: string): string | undefined }) {
  return Object.fromEntries(TAGS.map((t) => [t, ds.string(t)]));
}

describe('quick DICOM header walk', () => {
  it('agrees with the whole parse on every fixture it takes, and declines the ones it cannot be sure of', () => {
    const taken: string[] = [];
    for (const f of files) {
      const bytes = readFileSync(path.join(DICOM, f));
      const quick = quickHeadDataSet(bytes);
      let full: ReturnType<typeof parseDicomBytes> | undefined;
      try {
        full = parseDicomBytes(f, bytes);
      } catch {
        full = undefined;
      }
      if (!quick) continue;
      taken.push(f);
      expect(full, `${f}: the walk vouched for a file the whole parse refuses`).toBeDefined();
      expect(tags(quick), f).toEqual(tags(full!));
      expect(Object.keys(quick.elements).sort(), f).toEqual(TAGS.filter((t) => full!.elements[t]).sort());
    }
    // The usual single-frame images, compressed or not, implicit VR included.
    for (const f of ['CT_small.dcm', 'MR_small_implicit.dcm', 'MR_small_RLE.dcm', 'JPEG2000.dcm', 'CT_small_jpeg_ls_near2.dcm', 'SC_rgb_planar.dcm']) expect(taken).toContain(f);
    // Big endian, deflated, enhanced multi-frame (functional groups), truncated, and objects with no image: declined.
    for (const f of ['MR_small_bigendian.dcm', 'image_dfl.dcm', 'MR_small_enhanced_3frame.dcm', 'MR_truncated.dcm', 'test-SR.dcm', 'rtplan.dcm', 'waveform_ecg.dcm']) expect(taken).not.toContain(f);
  });

  it('never throws on a prefix of a file, and a prefix it takes holds the same tags as the whole file', () => {
    for (const f of files) {
      const bytes = readFileSync(path.join(DICOM, f));
      const whole = quickHeadDataSet(bytes);
      for (let cut = 0; cut < bytes.length; cut += Math.max(1, Math.floor(bytes.length / 400))) {
        const quick = quickHeadDataSet(bytes.subarray(0, cut));
        if (quick) expect(tags(quick), `${f} cut at ${cut}`).toEqual(tags(whole!));
      }
    }
  });
});
