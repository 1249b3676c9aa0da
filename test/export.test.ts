// `shard export --out` never overwrites a file, never writes into the dataset's source tree or its own
// folder without --overwrite, and refuses before writing anything.
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkExportTargets } from '../packages/shard-cli/src/export-guard.js';
import { makeSyntheticSet } from '../scripts/make-synthetic.js';
import { shard } from './helpers/run-cli.js';
import { tempDir } from './helpers/tree.js';

let root = '';
let input = '';
let ds = '';

/** Every file below `dir` with its bytes, to prove a refused export changed nothing. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) {
      const file = path.join(e.parentPath, e.name);
      files[path.relative(dir, file)] = readFileSync(file).toString('base64');
    }
  }
  return files;
}

beforeAll(async () => {
  root = tempDir('export-test-');
  input = path.join(root, 'data', 'train');
  await makeSyntheticSet({ out: input, patients: 2, slices: 3, size: 16, bits: 8, seed: 5 });
  ds = path.join(root, 'ds');
  expect((await shard('build', input, '--out', ds, '--size', '16', '-q')).code).toBe(0);
}, 60_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A refusal: exit 2, one `shard: <what>: ...` line. */
function expectRefused(r: { code: number; stderr: string }, names: string, says: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  expect(lines[0].startsWith(`shard: ${names}: `), lines[0]).toBe(true);
  expect(lines[0]).toMatch(says);
}

describe('shard export --out', () => {
  it('refuses to export into the input tree it was built from, as png or npy, whole or in part', async () => {
    const before = snapshot(input);
    const patient = readdirSync(input).sort()[0];
    for (const args of [['--format', 'png'], ['--format', 'npy'], ['--format', 'png', '--keys', `${patient}/slice_002`]]) {
      const r = await shard('export', ds, '--out', input, ...args);
      expectRefused(r, input, /source slices .*\.png is one.*--overwrite/);
    }
    expect(snapshot(input)).toEqual(before);
  });

  it('refuses a copy of the source tree that holds only the labels.csv files', async () => {
    const labelsOnly = path.join(root, 'labels-only');
    for (const p of readdirSync(input)) {
      mkdirSync(path.join(labelsOnly, p), { recursive: true });
      cpSync(path.join(input, p, 'labels.csv'), path.join(labelsOnly, p, 'labels.csv'));
    }
    const r = await shard('export', ds, '--out', labelsOnly);
    expectRefused(r, labelsOnly, /labels\.csv is one/);
  });

  it('refuses the dataset folder itself and folders inside it', async () => {
    const before = snapshot(ds);
    expectRefused(await shard('export', ds, '--out', ds), ds, /is the dataset folder/);
    expectRefused(await shard('export', ds, '--out', path.join(ds, 'look')), path.join(ds, 'look'), /is inside the dataset folder/);
    expect(snapshot(ds)).toEqual(before);
  });

  it('refuses to replace any existing file, writing nothing, and replaces them with --overwrite', async () => {
    const out = path.join(root, 'look');
    expect((await shard('export', ds, '--out', out, '--format', 'npy')).code).toBe(0);
    const first = snapshot(out);
    expect(Object.keys(first)).toHaveLength(7);

    // Same export again: every target exists.
    expectRefused(await shard('export', ds, '--out', out, '--format', 'npy'), path.join(out, readdirSync(out).sort().find((n) => n !== 'labels.csv')!, 'slice_001.npy'), /already exists \(and 6 more of the 7 files/);
    // Another format: only labels.csv is in the way, and no .png may be written before that is found.
    expectRefused(await shard('export', ds, '--out', out, '--format', 'png'), path.join(out, 'labels.csv'), /already exists; pass --overwrite/);
    expect(snapshot(out)).toEqual(first);

    // One foreign file among new ones is enough to refuse.
    const other = path.join(root, 'mixed');
    mkdirSync(other);
    writeFileSync(path.join(other, 'labels.csv'), 'mine\n');
    expectRefused(await shard('export', ds, '--out', other), path.join(other, 'labels.csv'), /already exists/);
    expect(readdirSync(other)).toEqual(['labels.csv']);
    expect(readFileSync(path.join(other, 'labels.csv'), 'utf8')).toBe('mine\n');

    const r = await shard('export', ds, '--out', out, '--format', 'png', '--overwrite');
    expect(r.code).toBe(0);
    expect(Object.keys(snapshot(out))).toHaveLength(13);
    expect(readFileSync(path.join(out, 'labels.csv'), 'utf8')).toBe(Buffer.from(first['labels.csv'], 'base64').toString('utf8'));
  });

  it('--overwrite replaces a symlink in --out, never the file it points to', async () => {
    const out = path.join(root, 'linked');
    const precious = path.join(root, 'precious.csv');
    writeFileSync(precious, 'keep me\n');
    mkdirSync(out);
    symlinkSync(precious, path.join(out, 'labels.csv'));
    expectRefused(await shard('export', ds, '--out', out), path.join(out, 'labels.csv'), /already exists/);
    expect((await shard('export', ds, '--out', out, '--overwrite')).code).toBe(0);
    expect(readFileSync(precious, 'utf8')).toBe('keep me\n');
    expect(statSync(path.join(out, 'labels.csv')).isFile()).toBe(true);
    expect(readFileSync(path.join(out, 'labels.csv'), 'utf8')).toMatch(/^key,/);
  });

  it('a file where a folder must go, or a folder where a file must go, is named before anything is written', async () => {
    const out = path.join(root, 'blocked');
    const patient = readdirSync(input).sort()[1];
    mkdirSync(out);
    writeFileSync(path.join(out, patient), 'a file, not a folder');
    expectRefused(await shard('export', ds, '--out', out, '--overwrite'), path.join(out, patient), /is a file where export needs a folder/);
    expect(readdirSync(out)).toEqual([patient]);

    const out2 = path.join(root, 'blocked2');
    mkdirSync(path.join(out2, 'labels.csv'), { recursive: true });
    expectRefused(await shard('export', ds, '--out', out2, '--overwrite'), path.join(out2, 'labels.csv'), /is a folder where export would write a file/);
    expect(readdirSync(out2)).toEqual(['labels.csv']);
  });

  it('--overwrite is the way to write into the source tree on purpose', async () => {
    const copy = path.join(root, 'copy-of-train');
    cpSync(input, copy, { recursive: true });
    const r = await shard('export', ds, '--out', copy, '--format', 'npy', '--overwrite');
    expect(r.code).toBe(0);
    const patient = readdirSync(input).sort()[0];
    expect(readdirSync(path.join(copy, patient)).sort()).toEqual(['labels.csv', 'slice_001.npy', 'slice_001.png', 'slice_002.npy', 'slice_002.png', 'slice_003.npy', 'slice_003.png']);
  });

  it('knows DICOM and NIfTI sources: <file>.dcm for frame keys <file>/f000, <file>.nii.gz for slice keys <file>/z000', () => {
    const out = path.join(root, 'volumes');
    mkdirSync(path.join(out, 'p1'), { recursive: true });
    writeFileSync(path.join(out, 'p1', 'series.dcm'), '');
    writeFileSync(path.join(out, 'brain.nii.gz'), '');
    const guard = (keys: string[]) => () => checkExportTargets({ out, datasetDir: ds, keys, files: [path.join(out, 'labels.csv')], overwrite: false });
    expect(guard(['p1/series/f000', 'p1/series/f001'])).toThrow(`${out}: holds this dataset's source slices (${path.join(out, 'p1', 'series.dcm')} is one)`);
    expect(guard(['brain/z000'])).toThrow(`(${path.join(out, 'brain.nii.gz')} is one)`);
    expect(guard(['p1/series'])).toThrow('series.dcm is one');
    expect(guard(['p2/other/f000'])).not.toThrow();
  });
});
