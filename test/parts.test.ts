// build --part k/n + shard merge: parts of one plan merge into the one-machine build's exact bytes; skips, bad parts and folders.
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyDataset } from 'shard-reader/verify';
import { buildShards } from 'shard-writer';
import { shard } from './helpers/run-cli.js';
import { folderBytes, readDataset } from './helpers/read-shards.js';
import { LABELS, tempDir, writeLabels, writePng } from './helpers/tree.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const dirs: string[] = [];
const tmp = () => {
  const d = tempDir('shards-parts-');
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** 40 PNGs in 4 patients, a 3-D NIfTI volume and a 3-frame DICOM: volumes fall across part boundaries. */
function makeTree(): string {
  const root = tmp();
  for (let p = 0; p < 4; p++) {
    const dir = path.join(root, `patient_${p}`);
    for (let s = 0; s < 10; s++) writePng(path.join(dir, `slice_${s}.png`), { width: 24, height: 20, depth: 8, channels: 1, value: (x, y) => (x * 7 + y * 3 + p * 31 + s * 11) & 255 });
    writeLabels(dir, LABELS, Array.from({ length: 10 }, (_, s) => [`slice_${s}.png`, s % 2, (s + p) % 2, 0, 1, s % 3 === 0 ? 1 : 0]));
  }
  const vol = path.join(root, 'patient_1b');
  mkdirSync(vol);
  copyFileSync(path.join(FIXTURES, 'nifti', 'anatomical.nii'), path.join(vol, 'head.nii'));
  copyFileSync(path.join(FIXTURES, 'dicom', 'MR_small_enhanced_3frame.dcm'), path.join(vol, 'mr3.dcm'));
  writeLabels(vol, LABELS, [['head.nii', 1, 0, 0, 0, 1], ['mr3.dcm', 0, 1, 0, 1, 0]]);
  return root;
}

const OPTS = ['--size', '16', '--shard-bytes', '8KiB', '--workers', '2', '-q'];

async function ok(...args: string[]) {
  const r = await shard(...args);
  expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r;
}

function expectSameFolder(actual: string, expected: string) {
  const a = folderBytes(actual);
  const e = folderBytes(expected);
  expect([...a.keys()]).toEqual([...e.keys()]);
  for (const [name, bytes] of e) expect(Buffer.compare(a.get(name)!, bytes), name).toBe(0);
}

describe('build --part k/n and shard merge', () => {
  let tree: string;
  let one: string;
  let parts: string[];
  beforeAll(async () => {
    tree = makeTree();
    one = tmp();
    await ok('build', tree, '--out', one, ...OPTS);
    parts = [];
    for (let k = 0; k < 3; k++) {
      const out = tmp();
      await ok('build', tree, '--out', out, '--part', `${k}/3`, ...OPTS);
      parts.push(out);
    }
  }, 120_000);

  it('each part writes exactly the one-machine shards of its contiguous range, and a part.json but no manifest', () => {
    const manifest = readDataset(one).manifest;
    expect(manifest.shards.length).toBeGreaterThanOrEqual(6);
    // A volume is cut by a part boundary: some shard's samples come from head.nii and continue in the next part.
    const seen: string[] = [];
    for (const p of parts) {
      const names = readdirSync(p).sort();
      expect(names).toContain('part.json');
      expect(names).not.toContain('manifest.json');
      const shards = names.filter((n) => /^shard-\d+\.bin$/.test(n));
      expect(shards.length).toBeGreaterThan(0);
      for (const n of names.filter((x) => x.startsWith('shard-'))) expect(Buffer.compare(readFileSync(path.join(p, n)), readFileSync(path.join(one, n))), n).toBe(0);
      seen.push(...shards);
    }
    expect(seen).toEqual(manifest.shards.map((s) => s.file));
    const cut = parts.slice(1).some((p) => {
      const first = JSON.parse(readFileSync(path.join(p, readdirSync(p).find((n) => n.endsWith('.index.json'))!), 'utf8')).keys[0] as string;
      return /\/(z|f)\d{3}$/.test(first) && !/(z|f)000$/.test(first);
    });
    expect(cut, 'a part starts inside a volume').toBe(true);
  });

  it('merges the parts (given in any order) into a dataset byte-identical to the one-machine build, file by file', async () => {
    const merged = tmp();
    const r = await ok('merge', parts[2], parts[0], parts[1], '--out', merged, '--json');
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ parts: 3, identical: true, differences: [], skipped: [] });
    expectSameFolder(merged, one);
    expect((await verifyDataset(merged)).ok).toBe(true);
  });

  it('more parts than shards: the extra parts hold no shards, and the merge is still the one-machine build', async () => {
    const n = readDataset(one).manifest.shards.length + 2;
    const many: string[] = [];
    for (let k = 0; k < n; k++) {
      const out = tmp();
      const r = await ok('build', tree, '--out', out, '--part', `${k}/${n}`, ...OPTS, '--json');
      expect(JSON.parse(r.stdout).part).toMatchObject({ k, n });
      many.push(out);
    }
    expect(many.filter((d) => !readdirSync(d).some((f) => f.endsWith('.bin'))).length).toBe(2);
    const merged = tmp();
    await ok('merge', ...many, '--out', merged, '-q');
    expectSameFolder(merged, one);
  }, 120_000);

  it('a part stopped after its first shard resumes on rerun: it writes only the rest and ends with the same bytes', async () => {
    const out = tmp();
    const o = { input: tree, out, size: 16, shardBytes: 8192, workers: 2, part: { k: 1, n: 3 } };
    let closed = 0;
    await expect(buildShards({ ...o, onShardWritten: async () => { if (++closed === 1) throw new Error('stopped here'); } })).rejects.toThrow('stopped here');
    expect(readdirSync(out)).not.toContain('part.json');
    const written: string[] = [];
    await buildShards({ ...o, onShardWritten: async (_dir, e) => void written.push(e.file) });
    const expected = readdirSync(parts[1]).filter((f) => f.endsWith('.bin')).sort();
    expect(written).toEqual(expected.slice(1));
    expectSameFolder(out, parts[1]);
  });

  it('--intensity dataset (a first pass over the values): every part finds the whole plan\'s range, so the merge is still the one-machine build', async () => {
    const flags = [...OPTS, '--intensity', 'dataset'];
    const single = tmp();
    await ok('build', tree, '--out', single, ...flags);
    const two = [tmp(), tmp()];
    for (const [k, out] of two.entries()) await ok('build', tree, '--out', out, '--part', `${k}/2`, ...flags);
    const merged = tmp();
    await ok('merge', ...two, '--out', merged, '-q');
    expectSameFolder(merged, single);
    expect(readDataset(single).manifest.schema.preprocess.intensity).toMatch(/^dataset:/);
  }, 120_000);

  it('takes a 1-based scheduler index with --part-base 1, and refuses an index out of range in one line', async () => {
    const out = tmp();
    await ok('build', tree, '--out', out, '--part', '2/3', '--part-base', '1', ...OPTS);
    expect(folderBytes(out)).toEqual(folderBytes(parts[1]));
    const bad = await shard('build', tree, '--out', tmp(), '--part', '3/3', ...OPTS);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^shard: --part 3\/3: k must be from 0 to 2 \(0-based; add --part-base 1/);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('refuses a missing part, a part given twice and parts of another plan, naming them', async () => {
    const missing = await shard('merge', parts[0], parts[2], '--out', tmp());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/part 1\/3 is missing: the parts given are 0, 2 of plan [0-9a-f]{12}/);
    const twice = await shard('merge', parts[0], parts[1], parts[1], parts[2], '--out', tmp());
    expect(twice.stderr).toContain(`is part 1/3, and so is ${parts[1]}`);
    const other = tmp();
    await ok('build', tree, '--out', other, '--part', '1/3', ...OPTS, '--size', '12');
    const mixed = await shard('merge', parts[0], other, parts[2], '--out', tmp());
    expect(mixed.code).toBe(1);
    expect(mixed.stderr).toMatch(new RegExp(`^shard: ${other}: is part 1/3 of plan [0-9a-f]{12}, but ${parts[0]} is part 0/3 of plan [0-9a-f]{12}: parts of different builds`));
    const split = tmp();
    await ok('build', tree, '--out', split, '--part', '0/2', ...OPTS);
    expect((await shard('merge', parts[1], split, '--out', tmp())).stderr).toContain('the same plan split two ways');
    expect((await shard('merge', tree, '--out', tmp())).stderr).toMatch(/has no part\.json: not the output of shard build --part/);
  });

  it('a part folder given to verify or inspect says it is a part and how to join the parts (exit 2)', async () => {
    for (const cmd of ['verify', 'inspect']) {
      const r = await shard(cmd, parts[1]);
      expect(r.code, cmd).toBe(2);
      expect(r.stderr, cmd).toContain(`shard: ${parts[1]}: one part of a --part build (part.json, no manifest.json); join the parts first: shard merge`);
    }
  });

  it('refuses a damaged shard of a part, naming the file, and leaves no manifest behind', async () => {
    const damaged = tmp();
    cpSync(parts[1], damaged, { recursive: true });
    const bin = readdirSync(damaged).find((n) => n.endsWith('.bin'))!;
    const bytes = readFileSync(path.join(damaged, bin));
    bytes[bytes.length - 7] ^= 1;
    writeFileSync(path.join(damaged, bin), bytes);
    const out = tmp();
    const r = await shard('merge', parts[0], damaged, parts[2], '--out', out, '-q');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^shard: ${path.join(damaged, bin)}: SHA-256 [0-9a-f]{12}… does not match its part\\.json`));
    expect(existsSync(path.join(out, 'manifest.json'))).toBe(false);
    rmSync(path.join(damaged, bin));
    expect((await shard('merge', parts[0], damaged, parts[2], '--out', out)).stderr).toContain(`${path.join(damaged, bin)}: is missing (its part.json names it)`);
  });

  it('a part folder is not a dataset: reading it says so; a rebuild into it (and a merge into a foreign folder) follows the out rules', async () => {
    const r = await shard('inspect', parts[0]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no manifest.json');
    // Building a whole dataset over a part folder replaces the part (its files are ours), leaving no part.json.
    const reuse = tmp();
    cpSync(parts[0], reuse, { recursive: true });
    await ok('build', tree, '--out', reuse, ...OPTS);
    expectSameFolder(reuse, one);
    const foreign = tmp();
    writeFileSync(path.join(foreign, 'notes.txt'), 'mine');
    const m = await shard('merge', ...parts, '--out', foreign);
    expect(m.code).toBe(1);
    expect(m.stderr).toContain('holds files that are not a shard dataset');
    expect(readFileSync(path.join(foreign, 'notes.txt'), 'utf8')).toBe('mine');
  });
});

describe('parts with skipped inputs', () => {
  it('merge re-packs after the skip into a valid dataset equal to a one-machine --on-error skip build, and says how it differs from the plan', async () => {
    const tree = makeTree();
    // A PNG that cannot be decoded, in the middle of the plan: only the part holding it skips it.
    writeFileSync(path.join(tree, 'patient_1', 'slice_3.png'), Buffer.from('not a png'));
    const one = tmp();
    await ok('build', tree, '--out', one, ...OPTS, '--on-error', 'skip');
    const parts: string[] = [];
    for (let k = 0; k < 3; k++) {
      const out = tmp();
      await ok('build', tree, '--out', out, '--part', `${k}/3`, ...OPTS, '--on-error', 'skip');
      parts.push(out);
    }
    const merged = tmp();
    const r = await ok('merge', ...parts, '--out', merged, '--json');
    const s = JSON.parse(r.stdout);
    expect(s.identical).toBe(false);
    expect(s.skipped).toEqual([{ file: 'patient_1/slice_3.png', reason: expect.stringMatching(/cannot be decoded/) }]);
    expect(s.samples).toBe(s.plannedSamples - 1);
    expect(s.differences.join('\n')).toMatch(/1 input\(s\) skipped by the parts \(part \d\/3: 1\): 1 fewer samples than the plan's \d+/);
    expect(s.differences.join('\n')).toMatch(/shards from shard-\d{5}\.bin on were re-packed \(\d+ shard\(s\)\)/);
    expect(r.stderr).toContain('differs from the plan:');
    expect((await verifyDataset(merged)).ok).toBe(true);
    expect(readDataset(merged).manifest.build).toMatchObject({ written: s.inputs - 1, skipped: [{ file: 'patient_1/slice_3.png' }] });
    expectSameFolder(merged, one);
  }, 120_000);
});
