// Inputs no longer silently left out: hidden files, names with a newline, names that are not UTF-8 are counted and reported.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildShards } from 'shard-writer';
import { readDataset } from './helpers/read-shards.js';
import { LABELS, tempDir, writeLabels } from './helpers/tree.js';

const GOOD = path.join(import.meta.dirname, 'fixtures/real-mr/patient_M02/slice_001.png');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const raw = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

/** p1 with two good slices; `odd` adds files whose names the walker used to drop. */
function tree(odd: (root: string) => void): string {
  const root = tempDir();
  dirs.push(root);
  mkdirSync(path.join(root, 'in/p1'), { recursive: true });
  for (const n of ['a', 'b']) copyFileSync(GOOD, path.join(root, 'in/p1', `${n}.png`));
  writeLabels(path.join(root, 'in/p1'), LABELS, [['a.png', 1, 0, 0, 0, 0], ['b.png', 0, 1, 0, 0, 0]]);
  odd(path.join(root, 'in'));
  return root;
}
const HIDDEN = 'hidden (its name or a folder above it starts with a dot)';
const CONTROL = 'its name contains a control character such as a newline (shown as \\xNN), so it cannot be a sample key';
const UTF8 = 'its name is not valid UTF-8 (bytes shown as \\xNN), so it cannot be a sample key';

function hidden(root: string): void {
  copyFileSync(GOOD, path.join(root, 'p1/._a.png')); // macOS AppleDouble file
  mkdirSync(path.join(root, '.ipynb_checkpoints'));
  copyFileSync(GOOD, path.join(root, '.ipynb_checkpoints/x.png'));
  writeFileSync(path.join(root, 'p1/.DS_Store'), 'not an image: not an input');
}
function badNames(root: string): void {
  writeFileSync(raw(root, '/p1/new\nline.png'), readFileSyncGood());
  writeFileSync(raw(root, '/p1/bad', [0xff, 0xfe], '.png'), readFileSyncGood());
  writeFileSync(raw(root, '/p1/caf', [0xc3, 0xa9], '\t.png'), readFileSyncGood());
  mkdirSync(raw(root, '/p2', [0xe9]));
  writeFileSync(raw(root, '/p2', [0xe9], '/c.png'), readFileSyncGood());
  mkdirSync(raw(root, '/p3\n'));
  writeFileSync(raw(root, '/p3\n/d.png'), readFileSyncGood());
}
let good: Buffer | undefined;
function readFileSyncGood(): Buffer {
  return (good ??= readFileSync(GOOD));
}

describe('every image file is written or skipped with its reason', () => {
  it('hidden files are counted and listed as skipped, and do not stop --on-error fail', async () => {
    const root = tree(hidden);
    const s = await buildShards({ input: path.join(root, 'in'), out: path.join(root, 'out'), size: 8 });
    expect(s).toMatchObject({ inputs: 4, written: 2 });
    expect(s.skipped).toEqual([
      { file: path.join(root, 'in/.ipynb_checkpoints/x.png'), reason: HIDDEN },
      { file: path.join(root, 'in/p1/._a.png'), reason: HIDDEN },
    ]);
    const { manifest } = readDataset(s.out);
    expect(manifest.build).toMatchObject({ inputs: 4, written: 2 });
    expect(manifest.build.skipped.map((k) => k.file)).toEqual(['.ipynb_checkpoints/x.png', 'p1/._a.png']);
  });

  it('names with a newline, a tab or bytes that are not UTF-8 fail the build naming the file escaped; skip counts every one', async () => {
    const root = tree((r) => (hidden(r), badNames(r)));
    const input = path.join(root, 'in');
    await expect(buildShards({ input, out: path.join(root, 'out'), size: 8 })).rejects.toThrow(`${input}/p1/bad\\xff\\xfe.png: ${UTF8}`);
    const s = await buildShards({ input, out: path.join(root, 'out'), size: 8, onError: 'skip' });
    expect(s).toMatchObject({ inputs: 9, written: 2 });
    expect(s.inputs).toBe(s.written + s.skipped.length);
    expect(s.skipped.map((k) => `${k.file.slice(input.length + 1)}: ${k.reason}`)).toEqual([
      `.ipynb_checkpoints/x.png: ${HIDDEN}`,
      `p1/._a.png: ${HIDDEN}`,
      `p1/bad\\xff\\xfe.png: ${UTF8}`,
      `p1/café\\x09.png: ${CONTROL}`,
      `p1/new\\x0aline.png: ${CONTROL}`,
      `p2\\xe9/c.png: ${UTF8.replace('its name', 'a folder above it')}`,
      `p3\\x0a/d.png: ${CONTROL.replace('its name', 'a folder above it')}`,
    ]);
    for (const k of s.skipped) expect(k.file).not.toMatch(/[\n\t\ufffd]/);
    expect(readDataset(s.out).manifest.build.inputs).toBe(9);
  });
});
