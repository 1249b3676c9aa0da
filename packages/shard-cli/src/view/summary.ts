// What the browser's summary shows: inspect's summary plus label co-occurrence, patients and a split report.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Dataset } from 'shard-reader';
import { inspectSummary } from '../commands/inspect.js';
import type { Catalog } from './catalog.js';

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
      return { file: rel, thisSplit, report: compactSplit(JSON.parse(readFileSync(file, 'utf8'))) };
    } catch (err) {
      return { file: rel, thisSplit, error: `cannot be read: ${(err as Error).message}` };
    }
  }
  return null;
}

/**
 * A `shard build --split` report without its group -> keys table (every key of the build: megabytes at
 * 100k samples, and the page shows only the counts). Anything else is passed through as it is.
 */
function compactSplit(doc: unknown): unknown {
  if (!doc || typeof doc !== 'object' || (doc as { format?: unknown }).format !== 'ct-shards-split') return doc;
  const { groups, ...rest } = doc as { groups?: unknown };
  return { ...rest, groups: groups && typeof groups === 'object' ? Object.keys(groups).length : 0 };
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
    skipped: ds.manifest.build.skipped,
    split: findSplitReport(ds.dir),
  };
}

export type ViewSummary = ReturnType<typeof viewSummary>;
