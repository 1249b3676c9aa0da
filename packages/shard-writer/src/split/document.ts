// split.json: which group went where, how it was decided, and what each split holds. Written beside
// the split folders, read back by `--split-from` (to keep assignments) and by `shard verify`.
import { InputError } from '../errors.js';
import { formatGroupBy, parseGroupBy, type GroupBy } from './group-by.js';
import type { GroupStats } from './groups.js';
import { checkRatios, type SplitRatio } from './ratios.js';
import type { SplitReport } from './report.js';

export const SPLIT_FILE = 'split.json';
export const SPLIT_FORMAT = 'ct-shards-split';
export const SPLIT_VERSION = 1;

export interface SplitGroup {
  split: string;
  /** Keys of the group's samples in this build (none for a group kept from --split-from but absent now). */
  keys: string[];
}

export interface SplitDocument extends SplitReport {
  format: typeof SPLIT_FORMAT;
  version: typeof SPLIT_VERSION;
  seed: number;
  groupBy: string;
  stratify: boolean;
  ratios: Record<string, number>;
  labelNames: string[];
  /** Group name -> its split and sample keys, sorted by group name. */
  groups: Record<string, SplitGroup>;
}

export interface SplitDecision {
  seed: number;
  groupBy: GroupBy;
  stratify: boolean;
  splits: readonly SplitRatio[];
  labelNames: string[];
}

export function makeSplitDocument(d: SplitDecision, groups: GroupStats[], assignment: ReadonlyMap<string, string>, report: SplitReport): SplitDocument {
  const byName = new Map(groups.map((g) => [g.name, g]));
  const names = [...assignment.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    format: SPLIT_FORMAT,
    version: SPLIT_VERSION,
    seed: d.seed,
    groupBy: formatGroupBy(d.groupBy),
    stratify: d.stratify,
    ratios: Object.fromEntries(d.splits.map((s) => [s.name, s.ratio])),
    labelNames: d.labelNames,
    ...report,
    groups: Object.fromEntries(names.map((n) => [n, { split: assignment.get(n)!, keys: byName.get(n)?.keys ?? [] }])),
  };
}

/**
 * Reads a split.json back, checking what --split-from and verify rely on: the format, the ratios,
 * that every group names a known split, and that no key is in two groups. Bad files name the field.
 */
export function parseSplitDocument(text: string, file: string): SplitDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InputError(file, `is not JSON (${(err as Error).message})`);
  }
  const bad = (reason: string) => new InputError(file, reason);
  const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isRecord(doc) || doc.format !== SPLIT_FORMAT) throw bad(`is not a split file (format must be "${SPLIT_FORMAT}")`);
  if (doc.version !== SPLIT_VERSION) throw bad(`has split format version ${JSON.stringify(doc.version)}; this tool reads version ${SPLIT_VERSION}`);
  if (!Number.isSafeInteger(doc.seed) || (doc.seed as number) < 0) throw bad('seed must be a non-negative integer');
  if (typeof doc.groupBy !== 'string') throw bad('groupBy must be a string');
  try {
    parseGroupBy(doc.groupBy);
  } catch (err) {
    throw bad(`groupBy: ${(err as Error).message}`);
  }
  if (!isRecord(doc.ratios)) throw bad('ratios must be an object of split name -> ratio');
  const splits = Object.entries(doc.ratios).map(([name, ratio]) => ({ name, ratio: ratio as number }));
  if (splits.some((s) => typeof s.ratio !== 'number' || !Number.isFinite(s.ratio))) throw bad('ratios must be numbers');
  try {
    checkRatios(splits, 'ratios');
  } catch (err) {
    throw bad((err as Error).message);
  }
  if (!isRecord(doc.groups)) throw bad('groups must be an object of group name -> { split, keys }');
  const owner = new Map<string, string>();
  for (const [name, g] of Object.entries(doc.groups)) {
    if (!isRecord(g) || typeof g.split !== 'string' || !Array.isArray(g.keys) || g.keys.some((k) => typeof k !== 'string')) throw bad(`group ${name} must be { split, keys }`);
    if (!(g.split in doc.ratios)) throw bad(`group ${name} is in split ${g.split}, which ratios does not name`);
    for (const key of g.keys as string[]) {
      const other = owner.get(key);
      if (other !== undefined) throw bad(`key ${key} is in two groups (${other} and ${name})`);
      owner.set(key, name);
    }
  }
  if (!Array.isArray(doc.labelNames) || doc.labelNames.some((n) => typeof n !== 'string')) throw bad('labelNames must be a list of names');
  if (typeof doc.stratify !== 'boolean') throw bad('stratify must be true or false');
  return doc as unknown as SplitDocument;
}

/** The assignment --split-from keeps: group name -> split name. */
export function fixedAssignment(doc: SplitDocument): Map<string, string> {
  return new Map(Object.entries(doc.groups).map(([name, g]) => [name, g.split]));
}

/** The ratios a split document was made with, in its order. */
export function documentRatios(doc: SplitDocument): SplitRatio[] {
  return Object.entries(doc.ratios).map(([name, ratio]) => ({ name, ratio }));
}
