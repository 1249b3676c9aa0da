// `shard inspect`: per-sample metadata of DICOM/NIfTI builds in sum (files, patients, studies, series,
// volumes), and listed per sample with --meta [n], as text and --json; nothing of it for PNG trees.
import { copyFileSync, cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildShards } from 'shard-writer';
import { shard } from './helpers/run-cli.js';
import { tempDir, writeLabels, writePng } from './helpers/tree.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
let root = '';
let medical = '';
let png = '';
beforeAll(async () => {
  root = tempDir('inspect-meta-');
  const input = path.join(root, 'in');
  cpSync(path.join(FIXTURES, 'dicom-series', 'p1'), path.join(input, 'p1'), { recursive: true });
  mkdirSync(path.join(input, 'vol'));
  copyFileSync(path.join(FIXTURES, 'nifti', 'standard.nii.gz'), path.join(input, 'vol', 'std.nii.gz')); // 4 x 5 x 7: slices z000..z006
  writeFileSync(path.join(input, 'vol', 'labels.csv'), 'file,bleed\nstd.nii.gz,1\n');
  medical = (await buildShards({ input, out: path.join(root, 'medical'), size: 8, dtype: 'float32', workers: 2 })).out;
  const pngIn = path.join(root, 'png');
  writePng(path.join(pngIn, 'p', 's1.png'), { width: 8, height: 8, depth: 8, channels: 1, value: () => 7 });
  writeLabels(path.join(pngIn, 'p'), ['file', 'bleed'], [['s1.png', 0]]);
  png = (await buildShards({ input: pngIn, out: path.join(root, 'png-out'), size: 8, workers: 1 })).out;
});
afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('shard inspect: sample metadata', () => {
  it('--json sums it up: files, patients, studies, series (recorded order), NIfTI volumes', async () => {
    const r = await shard('inspect', medical, '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.samples).toBe(17);
    expect(j.meta).toEqual({ samples: 17, sources: 11, patients: 1, studies: 1, series: 2, orderedSeries: 2, volumes: 1 });
    expect(j.sampleMeta).toBeUndefined();
  });

  it('--meta <n> lists the first n samples with their metadata; --meta alone lists all', async () => {
    const j = JSON.parse((await shard('inspect', medical, '--json', '--meta', '2')).stdout);
    expect(j.sampleMeta).toHaveLength(2);
    expect(j.sampleMeta[0]).toMatchObject({ index: 0, key: 'p1/a2', meta: { source: 'p1/a2.dcm', patientId: 'P1', studyInstanceUid: '1.2.826.0.1.3680043.8.498.1', seriesInstanceUid: '1.2.826.0.1.3680043.8.498.1.1', instanceNumber: 6, series: 0, position: 1 } });
    expect(j.sampleMeta[0].meta.imagePositionPatient).toHaveLength(3);
    expect(j.sampleMeta[0].meta.pixelSpacing).toHaveLength(2);
    const all = JSON.parse((await shard('inspect', medical, '--json', '--meta')).stdout);
    expect(all.sampleMeta).toHaveLength(17);
    expect(all.sampleMeta.at(-1)).toEqual({ index: 16, key: 'vol/std/z006', meta: { source: 'vol/std.nii.gz', k: 6 } });
  });

  it('as text: one meta line, and one line per listed sample', async () => {
    const r = await shard('inspect', medical, '--meta', '1');
    expect(r.stdout).toMatch(/^meta {6}17 samples from 11 files: 1 patient, 1 study, 2 series \(2 in recorded slice order\), 1 NIfTI volume$/m);
    expect(r.stdout).toMatch(/^p1\/a2 {2}source p1\/a2\.dcm, patient P1, series 1\.2\.826\.0\.1\.3680043\.8\.498\.1\.1, position 1, instance 6, at /m);
  });

  it('a PNG tree has none: meta is null, no meta line; a bad --meta count is a usage error', async () => {
    expect(JSON.parse((await shard('inspect', png, '--json')).stdout).meta).toBeNull();
    expect((await shard('inspect', png)).stdout).not.toMatch(/^meta/m);
    expect(JSON.parse((await shard('inspect', png, '--json', '--meta')).stdout).sampleMeta).toEqual([{ index: 0, key: 'p/s1', meta: null }]);
    const bad = await shard('inspect', png, '--meta', '0');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^shard: .*--meta/m);
  });
});
