// Patient-level splits: spec parsing, group keys, seeded assignment within one group of the ratios,
// stratification, --split-from reuse and the split.json document.
import { describe, expect, it } from 'vitest';
import {
  assignGroups,
  collectGroups,
  fixedAssignment,
  groupOf,
  parseGroupBy,
  parseSplitDocument,
  parseSplitSpec,
  planSplit,
  splitReport,
  type GroupStats,
  type LabelledSample,
  type SplitRatio,
} from '../src/split/index.js';

const SPEC = parseSplitSpec('train=0.8,val=0.1,test=0.1');

/** A deterministic pseudo-random tree: `patients` groups of 1..maxSlices slices, labels with given prevalences. */
function synthetic(patients: number, maxSlices: number, prevalence: number[], seed = 1): LabelledSample[] {
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const out: LabelledSample[] = [];
  for (let p = 0; p < patients; p++) {
    const n = 1 + Math.floor(rand() * maxSlices);
    // Labels cluster by patient, as in real data: a sick patient has many positive slices.
    const sick = prevalence.map((q) => rand() < q * 2);
    for (let i = 0; i < n; i++) out.push({ key: `p${String(p).padStart(4, '0')}/s${i}`, labels: sick.map((k) => (k && rand() < 0.5 ? 1 : 0)) });
  }
  return out;
}

function sizes(groups: GroupStats[], assignment: Map<string, string>, splits: SplitRatio[]): Map<string, number> {
  const m = new Map(splits.map((s) => [s.name, 0]));
  for (const g of groups) m.set(assignment.get(g.name)!, m.get(assignment.get(g.name)!)! + g.samples);
  return m;
}

describe('split spec and group keys', () => {
  it('parses name=ratio lists and refuses bad ones with the reason', () => {
    expect(SPEC).toEqual([{ name: 'train', ratio: 0.8 }, { name: 'val', ratio: 0.1 }, { name: 'test', ratio: 0.1 }]);
    expect(() => parseSplitSpec('train=0.8,val=0.1')).toThrow('--split: ratios must add up to 1 (they add up to 0.9)');
    expect(() => parseSplitSpec('train=0.5,train=0.5')).toThrow('--split: split train is named twice');
    expect(() => parseSplitSpec('train=1')).toThrow(/at least two splits/);
    expect(() => parseSplitSpec('a/b=0.5,c=0.5')).toThrow(/cannot be a split name/);
    expect(() => parseSplitSpec('a=x,b=0.5')).toThrow('--split: ratio of a must be a number in (0, 1] (got "x")');
    expect(() => parseSplitSpec('train')).toThrow(/is not name=ratio/);
  });

  it('groups by PatientID where present, else the first folder; series and folder[:depth] by folder', () => {
    const patient = parseGroupBy('patient');
    expect(groupOf('p1/ct/s1', patient)).toBe('p1');
    expect(groupOf('p1/ct/s1', patient, { patientId: 'X9' })).toBe('PatientID:X9');
    expect(groupOf('s1', patient)).toBe('.');
    expect(groupOf('p1/ct/s1', parseGroupBy('series'))).toBe('p1/ct');
    expect(groupOf('p1/ct/s1', parseGroupBy('series'), { seriesInstanceUid: '1.2' })).toBe('SeriesInstanceUID:1.2');
    expect(groupOf('site/p1/ct/s1', parseGroupBy('folder:2'))).toBe('site/p1');
    expect(groupOf('site/p1/ct/s1', parseGroupBy('folder'))).toBe('site/p1/ct');
    expect(() => parseGroupBy('slice')).toThrow(/--group-by must be/);
    expect(() => parseGroupBy('patient:2')).toThrow(/--group-by must be/);
    expect(() => parseGroupBy('folder:0')).toThrow(/depth of at least 1/);
  });

  it('warns when one PatientID spans folders, and keeps those folders together', () => {
    const samples = [
      { key: 'a/s1', labels: [1], meta: { patientId: 'P' } },
      { key: 'b/s1', labels: [0], meta: { patientId: 'P' } },
      ...synthetic(30, 3, [0.3]),
    ];
    const plan = planSplit(samples, { seed: 1, groupBy: parseGroupBy('patient'), stratify: false, splits: SPEC, labelNames: ['x'] });
    expect(plan.warnings).toContain('PatientID P is shared by 2 folders (a, b); they are kept in one split');
    expect(plan.splitOf.get('a/s1')).toBe(plan.splitOf.get('b/s1'));
  });
});

describe('assignment', () => {
  it('is deterministic for a seed, whatever the input order, and changes with the seed', () => {
    const groups = collectGroups(synthetic(200, 20, [0.1, 0.3]), parseGroupBy('patient'), 2);
    const a = assignGroups(groups, SPEC, { seed: 7 });
    const b = assignGroups([...groups].reverse(), SPEC, { seed: 7 });
    expect([...b].sort()).toEqual([...a].sort());
    const c = assignGroups(groups, SPEC, { seed: 8 });
    expect([...c].sort()).not.toEqual([...a].sort());
  });

  it('keeps every split within one group of its ratio, stratified or not, over many seeds and shapes', () => {
    for (let seed = 0; seed < 40; seed++) {
      const samples = synthetic(20 + seed * 7, 1 + (seed % 30), [0.05, 0.2, 0.5], seed + 100);
      const groups = collectGroups(samples, parseGroupBy('patient'), 3);
      const biggest = Math.max(...groups.map((g) => g.samples));
      for (const stratify of [false, true]) {
        const splits = seed % 2 ? SPEC : parseSplitSpec('a=0.5,b=0.3,c=0.15,d=0.05');
        const got = sizes(groups, assignGroups(groups, splits, { seed, stratify }), splits);
        for (const s of splits) expect(Math.abs(got.get(s.name)! - s.ratio * samples.length), `seed ${seed} ${s.name} stratify ${stratify}`).toBeLessThanOrEqual(biggest);
      }
    }
  });

  it('puts every sample of a group in the same split', () => {
    const plan = planSplit(synthetic(100, 10, [0.2]), { seed: 3, groupBy: parseGroupBy('patient'), stratify: true, splits: SPEC, labelNames: ['x'] });
    for (const [name, g] of Object.entries(plan.document.groups)) {
      expect(new Set(g.keys.map((k) => plan.splitOf.get(k))), name).toEqual(new Set([g.split]));
      expect(g.keys.every((k) => k.startsWith(`${name}/`))).toBe(true);
    }
  });

  it('stratification keeps per-label prevalence much closer to the whole set than size-only assignment', () => {
    let plain = 0;
    let strat = 0;
    const labels = ['rare', 'uncommon', 'common'];
    for (let seed = 0; seed < 12; seed++) {
      const samples = synthetic(300, 12, [0.03, 0.1, 0.3], seed);
      const groups = collectGroups(samples, parseGroupBy('patient'), 3);
      const dev = (stratify: boolean) => splitReport(groups, assignGroups(groups, SPEC, { seed, stratify }), SPEC.map((s) => s.name), labels).largestDeviation!.deviation;
      plain += dev(false);
      strat += dev(true);
    }
    expect(strat / 12).toBeLessThan(0.5 * (plain / 12));
    expect(strat / 12).toBeLessThan(0.03);
  });
});

describe('--split-from and split.json', () => {
  const decision = { seed: 5, groupBy: parseGroupBy('patient'), stratify: true, splits: SPEC, labelNames: ['a', 'b'] };

  it('keeps every old assignment when the data grows, and places only the new groups', () => {
    const before = synthetic(120, 8, [0.1, 0.3], 9);
    const first = planSplit(before, decision);
    const doc = parseSplitDocument(JSON.stringify(first.document), 'split.json');
    const more = [...before, ...synthetic(160, 8, [0.1, 0.3], 10).filter((s) => Number(s.key.slice(1, 5)) >= 120)];
    const second = planSplit(more, decision, fixedAssignment(doc));
    for (const s of before) expect(second.splitOf.get(s.key), s.key).toBe(first.splitOf.get(s.key));
    const placed = new Set(more.filter((s) => !first.splitOf.has(s.key)).map((s) => second.splitOf.get(s.key)));
    expect(placed.size).toBe(3); // the 40 new groups are spread, not dumped in one split
    // A group that disappeared stays in the document with no keys, so it cannot move if it comes back.
    const shrunk = planSplit(before.filter((s) => !s.key.startsWith('p0000/')), decision, fixedAssignment(doc));
    expect(shrunk.document.groups.p0000).toEqual({ split: first.document.groups.p0000.split, keys: [] });
  });

  it('records seed, ratios, per-split counts and prevalence, and the largest deviation', () => {
    const doc = planSplit(synthetic(50, 5, [0.2, 0.4]), decision).document;
    expect(doc).toMatchObject({ format: 'ct-shards-split', version: 1, seed: 5, groupBy: 'patient', stratify: true, ratios: { train: 0.8, val: 0.1, test: 0.1 }, labelNames: ['a', 'b'] });
    const total = Object.values(doc.splits).reduce((n, s) => n + s.samples, 0);
    expect(total).toBe(doc.total.samples);
    expect(doc.splits.val.prevalence.a).toBeCloseTo(doc.splits.val.positives.a / doc.splits.val.samples, 12);
    expect(doc.largestDeviation).toMatchObject({ split: expect.any(String), label: expect.any(String) });
    expect(Object.keys(doc.groups)).toEqual(Object.keys(doc.groups).sort());
  });

  it('refuses a damaged split.json, naming the field', () => {
    const good = planSplit(synthetic(10, 3, [0.5, 0.5]), decision).document;
    const bad = (patch: object) => () => parseSplitDocument(JSON.stringify({ ...good, ...patch }), 'old/split.json');
    expect(() => parseSplitDocument('{', 'old/split.json')).toThrow(/old\/split.json: is not JSON/);
    expect(bad({ format: 'x' })).toThrow('old/split.json: is not a split file (format must be "ct-shards-split")');
    expect(bad({ ratios: { train: 0.5, val: 0.1 } })).toThrow(/ratios must add up to 1/);
    expect(bad({ groups: { g: { split: 'nope', keys: [] } } })).toThrow('old/split.json: group g is in split nope, which ratios does not name');
    expect(bad({ groups: { g: { split: 'val', keys: ['k'] }, h: { split: 'train', keys: ['k'] } } })).toThrow('old/split.json: key k is in two groups (g and h)');
    expect(() => assignGroups(collectGroups([{ key: 'g/1', labels: [0] }], parseGroupBy('patient'), 1), SPEC, { seed: 1, fixed: new Map([['g', 'holdout']]) })).toThrow('group g is in split holdout, which is not one of train, val, test');
  });
});
