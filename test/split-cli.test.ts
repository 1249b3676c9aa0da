// The "done when": an RSNA-style long label CSV builds into train/val/test grouped by patient
// and stratified, split.json reports prevalence per split, verify proves no leakage and names leaks.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDataset } from 'shard-reader';
import { tempDir, writePng } from './helpers/tree.js';
import { shard } from './helpers/run-cli.js';

let root = '';
let input = '';
let csv = '';
const LABELS = ['epidural', 'subdural', 'any'];


/** 12 patients, 3..6 slices each named ID_<hex>.png (as RSNA), labels in one long CSV. */
function rsnaTree(dir: string): { input: string; csv: string; patientOf: Map<string, string> } {
  const input = path.join(dir, 'in');
  const rows = ['ID,Label'];
  const patientOf = new Map<string, string>();
  let id = 0x1000;
  for (let p = 1; p <= 12; p++) {
    for (let s = 0; s < 3 + (p % 4); s++) {
      const hex = (id++).toString(16);
      const key = `patient_${String(p).padStart(2, '0')}/ID_${hex}`;
      patientOf.set(key, `patient_${String(p).padStart(2, '0')}`);
      writePng(path.join(input, `${key}.png`), { width: 16, height: 16, depth: 8, channels: 1, value: (x, y) => (x * 3 + y * 5 + id * 11) % 256 });
      const epi = p % 3 === 0 && s < 2 ? 1 : 0;
      const sub = p % 4 === 1 ? 1 : 0;
      rows.push(`ID_${hex}_epidural,${epi}`, `ID_${hex}_subdural,${sub}`, `ID_${hex}_any,${epi || sub ? 1 : 0}`);
    }
  }
  const csv = path.join(dir, 'stage_2_train.csv');
  writeFileSync(csv, rows.join('\n') + '\n');
  return { input, csv, patientOf };
}

let patientOf = new Map<string, string>();
beforeAll(() => {
  root = tempDir('split-cli-');
  ({ input, csv, patientOf } = rsnaTree(root));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('shard build --split', () => {
  let out = '';
  it('builds train/val/test from an RSNA long CSV, whole patients per split, with split.json', async () => {
    out = path.join(root, 'split');
    const b = await shard('build', input, '--out', out, '--size', '16', '--labels', csv, '--split', 'train=0.6,val=0.2,test=0.2', '--group-by', 'patient', '--stratify', '--seed', '3', '--json', '-q');
    expect(b.stderr).toBe('');
    expect(b.code).toBe(0);
    const summary = JSON.parse(b.stdout);
    expect(summary).toMatchObject({ inputs: patientOf.size, written: patientOf.size, skipped: [] });
    const doc = JSON.parse(readFileSync(path.join(out, 'split.json'), 'utf8'));
    expect(doc).toMatchObject({ seed: 3, groupBy: 'patient', stratify: true, labelNames: LABELS });
    expect(summary.split.largestDeviation).toEqual(doc.largestDeviation);
    const where = new Map<string, string>();
    let total = 0;
    for (const split of ['train', 'val', 'test']) {
      const ds = await openDataset(path.join(out, split), { workers: 0 });
      try {
        expect(ds.labelNames).toEqual(LABELS);
        expect(ds.size).toBe(doc.splits[split].samples);
        total += ds.size;
        for (const key of ds.keys) {
          const p = patientOf.get(key)!;
          expect(where.get(p) ?? split, `${p} in two splits`).toBe(split);
          where.set(p, split);
        }
        const any = ds.labelNames.indexOf('any');
        const positives = ds.keys.filter((_, i) => ds.labels[i * 3 + any] > 0).length;
        expect(doc.splits[split].prevalence.any).toBeCloseTo(positives / ds.size, 12);
      } finally {
        await ds.close();
      }
    }
    expect(total).toBe(patientOf.size);
    // Text output shows the prevalence table.
    const text = await shard('build', input, '--out', path.join(root, 'split-text'), '--size', '16', '--labels', csv, '--split', 'train=0.6,val=0.2,test=0.2', '--stratify', '-q');
    expect(text.stdout).toMatch(/largest prevalence deviation: \w+ in \w+, [\d.]+ points/);
    expect(text.stdout).toMatch(/^ {2}val +\d+ +\d+ /m);
  });

  it('verify proves the split parent intact and leak-free', async () => {
    const v = await shard('verify', out, '--json', '-q');
    const report = JSON.parse(v.stdout);
    expect(report.problems).toEqual([]);
    expect(v.code).toBe(0);
    expect(Object.keys(report.splits)).toEqual(['train', 'val', 'test']);
    expect(report.samples).toBe(patientOf.size);
  });

  it('verify names a sample whose group split.json puts in another split', async () => {
    const tampered = path.join(root, 'tampered');
    await shard('build', input, '--out', tampered, '--size', '16', '--labels', csv, '--split', 'train=0.6,val=0.2,test=0.2', '--seed', '3', '-q');
    const file = path.join(tampered, 'split.json');
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    const [name, group] = Object.entries(doc.groups as Record<string, { split: string }>).find(([, g]) => g.split === 'val')!;
    group.split = 'train';
    writeFileSync(file, JSON.stringify(doc));
    const v = await shard('verify', tampered);
    expect(v.code).toBe(1);
    expect(v.stdout).toMatch(new RegExp(`PROBLEM val \\(key ${name}/ID_[0-9a-f]+\\): group ${name} is in train \\(split.json\\), this sample of it is in val`));
  });

  it('verify names an identical image in two splits', async () => {
    // Two patients share one image byte for byte (a copied scan); --split-from pins them apart.
    const dir = path.join(root, 'dup');
    const inDup = path.join(dir, 'in');
    const lines = ['key,a'];
    for (const p of ['p1', 'p2', 'p3']) {
      for (const s of ['s1', 's2']) {
        const same = s === 's1' && p !== 'p3';
        writePng(path.join(inDup, p, `${s}.png`), { width: 8, height: 8, depth: 8, channels: 1, value: (x, y) => (same ? x + y : x * y + p.charCodeAt(1)) });
        lines.push(`${p}/${s},0`);
      }
    }
    writeFileSync(path.join(dir, 'labels.csv'), lines.join('\n') + '\n');
    const pinned = { format: 'ct-shards-split', version: 1, seed: 0, groupBy: 'patient', stratify: false, ratios: { train: 0.5, val: 0.5 }, labelNames: ['a'], groups: { p1: { split: 'train', keys: [] }, p2: { split: 'val', keys: [] } } };
    writeFileSync(path.join(dir, 'pin.json'), JSON.stringify(pinned));
    const out = path.join(dir, 'out');
    const b = await shard('build', inDup, '--out', out, '--size', '8', '--labels', path.join(dir, 'labels.csv'), '--split-from', path.join(dir, 'pin.json'), '-q');
    expect(b.stderr + b.stdout).toContain('built');
    const v = await shard('verify', out, '--json', '-q');
    expect(v.code).toBe(1);
    const messages = JSON.parse(v.stdout).problems.map((p: { file?: string; key?: string; message: string }) => `${p.file} ${p.key}: ${p.message}`);
    expect(messages).toContain('val p2/s1: identical image to train/p1/s1 (same pixels in two splits)');
    expect(messages).toHaveLength(1);
    // --quick checks groups and keys but hashes no pixels.
    expect((await shard('verify', out, '--quick', '-q')).code).toBe(0);
  });

  it('--split-from keeps every assignment when rebuilt with other options', async () => {
    const again = path.join(root, 'again');
    const b = await shard('build', input, '--out', again, '--size', '8', '--labels', csv, '--split-from', path.join(out, 'split.json'), '-q');
    expect(b.code).toBe(0);
    const before = JSON.parse(readFileSync(path.join(out, 'split.json'), 'utf8'));
    const after = JSON.parse(readFileSync(path.join(again, 'split.json'), 'utf8'));
    expect(after.groups).toEqual(before.groups);
    expect(after.seed).toBe(3);
  });

  it('gives the same split and the same bytes whatever --workers, and accounts for unlabelled slices', async () => {
    const a = path.join(root, 'w1');
    const b = path.join(root, 'w3');
    const args = (out: string, workers: string) => ['build', input, '--out', out, '--size', '16', '--labels', csv, '--split', 'train=0.6,val=0.2,test=0.2', '--stratify', '--seed', '11', '--workers', workers, '-q'];
    expect((await shard(...args(a, '1'))).code).toBe(0);
    expect((await shard(...args(b, '3'))).code).toBe(0);
    for (const f of ['split.json', 'train/manifest.json', 'val/manifest.json', 'test/manifest.json']) expect(readFileSync(path.join(b, f)), f).toEqual(readFileSync(path.join(a, f)));
    // A slice without a row: skipped (in its patient's split) and counted, never silently dropped.
    writePng(path.join(input, 'patient_01/ID_extra.png'), { width: 16, height: 16, depth: 8, channels: 1, value: () => 1 });
    try {
      const r = await shard('build', input, '--out', path.join(root, 'skip'), '--size', '16', '--labels', csv, '--split', 'train=0.6,val=0.2,test=0.2', '--on-error', 'skip', '--json', '-q');
      expect(r.code).toBe(0);
      const summary = JSON.parse(r.stdout);
      expect(summary.inputs).toBe(patientOf.size + 1);
      expect(summary.written).toBe(patientOf.size);
      expect(summary.skipped).toEqual([{ file: path.join(input, 'patient_01/ID_extra.png'), reason: `no row for patient_01/ID_extra.png in ${csv}` }]);
      const fail = await shard('build', input, '--out', path.join(root, 'fail'), '--size', '16', '--labels', csv, '--split', 'train=0.6,val=0.2,test=0.2', '-q');
      expect(fail.code).toBe(1);
      expect(fail.stderr).toBe(`shard: ${path.join(input, 'patient_01/ID_extra.png')}: no row for patient_01/ID_extra.png in ${csv}\n`);
    } finally {
      rmSync(path.join(input, 'patient_01/ID_extra.png'));
    }
  });

  it('refuses bad split arguments and foreign output folders with one line', async () => {
    const bad = async (code: number, ...args: string[]) => {
      const r = await shard('build', input, '--out', path.join(root, 'bad'), '--labels', csv, '-q', ...args);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      return r.stderr.trim();
    };
    // Bad option values cannot run (exit 2); bad data is exit 1.
    expect(await bad(2, '--split', 'train=0.7,val=0.2')).toMatch(/^shard: option '--split <spec>' argument 'train=0.7,val=0.2' is invalid.*--split: ratios must add up to 1 \(they add up to 0.9\)/);
    expect(await bad(2, '--split', 'train=0.5,val=0.5', '--group-by', 'slice')).toMatch(/^shard: option '--group-by <unit>'.*--group-by must be/);
    expect(await bad(2, '--stratify')).toMatch(/^shard: --group-by, --stratify and --seed need --split or --split-from/);
    expect(await bad(1, '--split', 'a=0.5,b=0.5', '--label-columns', 'any,nope')).toMatch(/stage_2_train.csv: has no label "nope"/);
    writeFileSync(path.join(root, 'mine.txt'), 'not yours');
    const r = await shard('build', input, '--out', root, '--labels', csv, '--split', 'a=0.5,b=0.5', '-q');
    expect(r.stderr).toMatch(/which a split build did not write; use an empty or new folder for --out/);
    expect(existsSync(path.join(root, 'split.json'))).toBe(false);
  });
});
