// What the browser's summary shows: inspect's summary plus label co-occurrence, patients and a split report.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Dataset } from 'shard-reader';
import { inspectSummary } from '../commands/inspect.js';
import type { Catalog } from './catalog.js';

/** `cooccurrence[a][b]`: samples positive for both labels a and b (the diagonal is each label's positives). */
export function cooccurrence(labels: Float32Array, labelCount: number, samples: number): number[][] {
  const m = Array.from({ length: labelCount }, () => new Array<number>(labelCount).fill(0));
  const on: number[] = [];
  for (let i = 0; i < samples; i++) {
    on.length = 0;
    for (let j = 0; j < labelCount; j++) if (labels[i * labelCount + j] > 0) on.push(j);
    for (const a of on) for (const b of on) m[a][b]++;
  }
  return m;
}

const SPLIT_FILE = 'split.json';
const SPLIT_MAX_BYTES = 8 << 20;

export interface SplitReport {
  /** Where it was found, relative to the dataset folder. */
  file: string;
  /** The split this dataset is, when split.json sits in its parent and names its folder. */
  thisSplit: string | null;
  report?: unknown;
  error?: string;
}

/** split.json beside the manifest or in the parent folder (a `--split` build writes <out>/split.json). */
export function findSplitReport(dir: string): SplitReport | null {
  for (const rel of [SPLIT_FILE, path.join('..', SPLIT_FILE)]) {
    const file = path.join(dir, rel);
    const st = statSync(file, { throwIfNoEntry: false });
    if (!st?.isFile()) continue;
    const thisSplit = rel === SPLIT_FILE ? null : path.basename(path.resolve(dir));
    if (st.size > SPLIT_MAX_BYTES) return { file: rel, thisSplit, error: `larger than ${SPLIT_MAX_BYTES >> 20} MiB, not shown` };
    try {
      return { file: rel, thisSplit, report: JSON.parse(readFileSync(file, 'utf8')) };
    } catch (err) {
      return { file: rel, thisSplit, error: `cannot be read: ${(err as Error).message}` };
    }
  }
  return null;
}

export function viewSummary(ds: Dataset, catalog: Catalog) {
  const s = inspectSummary(ds);
  return {
    ...s,
    name: path.basename(path.resolve(ds.dir)),
    buildId: ds.manifest.buildId,
    formatVersion: ds.manifest.version,
    backend: ds.backend,
    patients: catalog.patients.length,
    series: catalog.patients.reduce((n, p) => n + p.series, 0),
    cooccurrence: cooccurrence(ds.labels, ds.labelNames.length, ds.size),
    skipped: ds.manifest.build.skipped,
    split: findSplitReport(ds.dir),
  };
}

export type ViewSummary = ReturnType<typeof viewSummary>;
