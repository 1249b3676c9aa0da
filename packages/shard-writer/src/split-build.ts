// `shard build --split ...`: one labelled tree into `<out>/<split>/` datasets and `<out>/split.json`,
// whole groups (patients) per split, so no patient is in two splits.
import { readdirSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { buildShards, type BuildSummary } from './build.js';
import { discoverSlices } from './discover.js';
import { InputError } from './errors.js';
import { joinInputs } from './label-source.js';
import { resolveOptions, type BuildOptions } from './options.js';
import { writeAtomic } from './shard-set-writer.js';
import { findDatasetRange, needsDatasetRange } from './dataset-range.js';
import { dicomMetaLookup } from './dicom-slice-meta.js';
import { NO_META, type SliceMetaLookup } from './slice-meta.js';
import { documentRatios, fixedAssignment, groupOf, parseSplitDocument, planSplit, SPLIT_FILE, type GroupBy, type SplitDocument, type SplitRatio } from './split/index.js';

export interface SplitOptions {
  /** Ratios; may be left out with `from`, which then supplies them. */
  splits?: SplitRatio[];
  groupBy: GroupBy;
  seed: number;
  stratify?: boolean;
  /** A split.json whose assignments are kept (`--split-from`). */
  from?: string;
  /** Per-sample metadata (DICOM PatientID, UIDs) when the inputs carry it. */
  meta?: SliceMetaLookup;
}

export interface SplitBuildSummary {
  out: string;
  inputs: number;
  written: number;
  skipped: BuildSummary['skipped'];
  warnings: string[];
  seconds: number;
  /** Split name -> that split's own build summary. */
  splits: Record<string, BuildSummary>;
  /** What split.json says: per-split counts, prevalence, the largest deviation. */
  split: Pick<SplitDocument, 'seed' | 'groupBy' | 'stratify' | 'ratios' | 'total' | 'splits' | 'largestDeviation'>;
}

export async function buildSplit(options: BuildOptions, s: SplitOptions): Promise<SplitBuildSummary> {
  const started = performance.now();
  const o = resolveOptions(options);
  const previous = s.from ? await readSplitFile(s.from) : undefined;
  const splits = s.splits ?? (previous ? documentRatios(previous) : undefined);
  if (!splits) throw new RangeError('--split needs ratios (e.g. train=0.8,val=0.1,test=0.1) or --split-from');
  checkSplitFolder(o.out, splits.map((x) => x.name));

  const { slices, excluded, labelFiles, problems } = await discoverSlices(o.input).catch((err: NodeJS.ErrnoException) => {
    throw new InputError(err.path ?? o.input, `cannot be scanned (${err.code ?? err.message})`);
  });
  if (slices.length === 0) throw new InputError(o.input, 'no images found (looked for .png, .jpg, .jpeg, .tif, .tiff)');
  const fatal = excluded.find((e) => e.fatal);
  if (fatal && o.onError === 'fail') throw new InputError(path.join(o.input, fatal.rel), fatal.reason);
  // DICOM PatientID and UIDs, where the inputs carry them (read at discovery): `--group-by patient` groups by PatientID.
  const meta = s.meta ?? (slices.some((x) => x.dicom) ? dicomMetaLookup(slices) : NO_META);
  const join = await joinInputs(o.input, slices, labelFiles, o.labels, meta);
  if (o.onError === 'fail') {
    const first = problems[0] ?? join.slices.find((x) => x.error)?.error ?? join.orphanRows[0];
    if (first) throw first;
  }
  if (previous && previous.labelNames.join('\u0000') !== join.labelNames.join('\u0000') && s.stratify) {
    // Old groups keep their place whatever the labels; only say so, since stratification of new ones differs.
    problems.push(new InputError(s.from!, `was stratified on labels [${previous.labelNames.join(', ')}]; this build has [${join.labelNames.join(', ')}]`));
  }

  const labelled = join.slices.filter((x) => x.labels).map((x) => ({ key: x.key, labels: x.labels!, meta: meta(x.key) }));
  const plan = planSplit(labelled, { seed: s.seed, groupBy: s.groupBy, stratify: s.stratify ?? false, splits, labelNames: join.labelNames }, previous ? fixedAssignment(previous) : undefined);
  // A slice that cannot be written still belongs to a split (its group's, else the first), where it is reported as skipped.
  const groupSplit = new Map(Object.entries(plan.document.groups).map(([g, v]) => [g, v.split]));
  const keysOf = new Map(splits.map((x) => [x.name, new Set<string>()]));
  for (const x of join.slices) {
    const split = plan.splitOf.get(x.key) ?? groupSplit.get(groupOf(x.key, s.groupBy, meta(x.key))) ?? splits[0].name;
    keysOf.get(split)!.add(x.key);
  }

  // One value range for every split (found over all of them), so train and val map equal values to equal grey levels.
  const intensity = needsDatasetRange(o) ? await findDatasetRange(o, join.slices) : o.intensity;
  await mkdir(o.out, { recursive: true });
  const built: Record<string, BuildSummary> = {};
  for (const { name } of splits) {
    const keys = keysOf.get(name)!;
    if (keys.size === 0) continue; // reported in plan.warnings; an empty dataset is not a dataset
    built[name] = await buildShards({
      ...options,
      out: path.join(o.out, name),
      intensity,
      only: keys,
      countExcluded: Object.keys(built).length === 0,
      onProgress: options.onProgress && ((p) => options.onProgress!({ ...p, split: name })),
    });
  }
  // Last, like a manifest: a split.json exists only once every split it describes is complete.
  await writeAtomic(o.out, SPLIT_FILE, JSON.stringify(plan.document, null, 1) + '\n');

  const summaries = Object.values(built);
  const seen = new Set<string>();
  const warnings = [...problems.map((e) => e.message), ...plan.warnings, ...summaries.flatMap((x) => x.warnings)].filter((w) => !seen.has(w) && seen.add(w));
  const d = plan.document;
  return {
    out: o.out,
    inputs: summaries.reduce((n, x) => n + x.inputs, 0),
    written: summaries.reduce((n, x) => n + x.written, 0),
    skipped: summaries.flatMap((x) => x.skipped),
    warnings,
    seconds: (performance.now() - started) / 1000,
    splits: built,
    split: { seed: d.seed, groupBy: d.groupBy, stratify: d.stratify, ratios: d.ratios, total: d.total, splits: d.splits, largestDeviation: d.largestDeviation },
  };
}

async function readSplitFile(file: string): Promise<SplitDocument> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(file, code === 'ENOENT' ? 'split file does not exist' : `split file cannot be read (${code})`);
  }
  return parseSplitDocument(text, file);
}

/**
 * The split parent holds only what a split build writes: split.json and one folder per split. Any
 * other content is the user's, and a split build never writes among it.
 */
function checkSplitFolder(out: string, names: string[]): void {
  let entries: string[];
  try {
    entries = readdirSync(out);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new InputError(out, `output folder cannot be read (${(err as NodeJS.ErrnoException).code})`);
  }
  const ours = new Set([SPLIT_FILE, `${SPLIT_FILE}.partial`, ...names]);
  const foreign = entries.filter((e) => !ours.has(e));
  if (foreign.length) throw new InputError(out, `holds ${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', ...' : ''}, which a split build did not write; use an empty or new folder for --out`);
}
