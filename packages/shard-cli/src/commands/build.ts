// `shard build <input> --out <dir>`: one offline pass from slice folders to shards.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  buildShards,
  buildSplit,
  BUILD_DEFAULTS,
  BUILD_DTYPES,
  defaultWorkers,
  FITS,
  ON_ERROR,
  KERNELS,
  LABELS_FORMATS,
  parseGroupBy,
  parseLabelColumns,
  parseSplitSpec,
  parseIntensity,
  parseRescale,
  parseWindowChoice,
  parseWindows,
  resolveOptions,
  type BuildOptions,
  type CtWindow,
  type GroupBy,
  type IntensityMode,
  type Kernel,
  type LabelsFormat,
  type OnError,
  type SplitBuildSummary,
  type SplitRatio,
  type WindowChoice,
} from 'shard-writer';
import { decodeManifest, DTYPES, MANIFEST_FILE, type Dtype, type Fit } from 'shard-format';
import { isRemoteUrl } from 'shard-reader';
import { asUsage, UsageError } from '../cli-error.js';
import { count, formatBytes, parseByteSize, parseNonNegativeInt, parsePositiveInt } from '../format-units.js';
import { createProgress } from '../progress.js';
import { resolveUserPath } from '../user-path.js';

interface BuildFlags {
  out: string;
  size: number;
  dtype: Dtype;
  window?: WindowChoice;
  windows?: CtWindow[];
  rescale?: { slope: number; intercept: number };
  intensity?: IntensityMode;
  fit: Fit;
  kernel: Kernel;
  shardBytes: number;
  workers: number;
  onError: OnError;
  json?: boolean;
  quiet?: boolean;
  labels?: string;
  labelsFormat?: LabelsFormat;
  labelColumns?: string[];
  split?: SplitRatio[];
  splitFrom?: string;
  groupBy?: GroupBy;
  stratify?: boolean;
  seed?: number;
  part?: string;
  partBase: number;
  s3Endpoint?: string;
  stage?: string;
}

export function buildCommand(): Command {
  return new Command('build')
    .description('decode, preprocess and pack a folder of CT slices (<patient>/<slice>.png + labels.csv) into shards')
    .argument('<input>', 'root folder of the slice tree')
    .requiredOption('-o, --out <dir>', 'output folder for shards and manifest.json, or s3://bucket/prefix (staged locally, each shard uploaded when complete, manifest last)')
    .option('--size <px>', 'output side in pixels (square)', parsePositiveInt, BUILD_DEFAULTS.size)
    .addOption(new Option('--dtype <type>', 'pixel type stored: uint8/uint16 display values, int16 (rounded) or float32 (exact) modality values').choices([...BUILD_DTYPES]).default(BUILD_DEFAULTS.dtype))
    .option('--window <c,w|preset|dicom>', 'DICOM linear VOI window on modality values (HU for CT), output uint8; presets brain, subdural, bone, soft-tissue, lung; dicom = each file\'s own', userArg(parseWindowChoice))
    .option('--windows <list>', 'one uint8 channel per window, e.g. brain,subdural,bone (presets or c:w)', userArg(parseWindows))
    .option('--rescale <slope,intercept>', 'PNG/TIFF: modality = stored x slope + intercept (e.g. 1,-1024 for HU+1024); DICOM/NIfTI use their own', userArg(parseRescale))
    .option('--intensity <mode>', 'uint8 without a window: auto (8-bit as is, wider input per-image min-max), stored (v/257), minmax, percentile[:lo,hi], dataset[:lo,hi] (one range for all images: the whole build\'s min..max, found in a first pass, or as given)', userArg(parseIntensity))
    .addOption(new Option('--fit <mode>', 'how other sizes/aspects reach size x size').choices([...FITS]).default(BUILD_DEFAULTS.fit))
    .addOption(new Option('--kernel <name>', 'resampling kernel when resizing').choices([...KERNELS]).default(BUILD_DEFAULTS.kernel))
    .addOption(new Option('--shard-bytes <size>', 'target shard file size (e.g. 256MiB, 64MB, bytes)').argParser(parseByteSize).default(BUILD_DEFAULTS.shardBytes, '256MiB'))
    .addOption(new Option('--workers <n>', 'images decoded at once').argParser(parsePositiveInt).default(defaultWorkers(), '2 per core'))
    .addOption(new Option('--on-error <policy>', 'stop at the first bad input, or skip and report it').choices([...ON_ERROR]).default(BUILD_DEFAULTS.onError))
    .option('--labels <csv>', 'one label file for the whole tree (instead of per-folder labels.csv)')
    .addOption(new Option('--labels-format <form>', 'wide (a sample column + one column per label) or long (RSNA ID,Label); default: long when the header is ID,Label').choices([...LABELS_FORMATS]))
    .option('--label-columns <a,b,c>', 'keep these labels, in this order', userArg(parseLabelColumns))
    .option('--split <spec>', 'write one dataset per split into <out>/<name> plus <out>/split.json, e.g. train=0.8,val=0.1,test=0.1', userArg(parseSplitSpec))
    .option('--split-from <split.json>', 'keep the assignment of an earlier split.json; new groups are placed by the seeded rule')
    .option('--group-by <unit>', 'what never crosses splits: patient, study, series, folder or folder:<depth> (default patient)', userArg(parseGroupBy))
    .option('--stratify', "iterative multi-label stratification: every split close to the whole set's label prevalence")
    .option('--seed <n>', 'split seed (default 0, or the seed of --split-from)', parseNonNegativeInt)
    .option('--part <k/n>', 'build part k of n of the whole plan (its shards + part.json, no manifest); join the parts with shard merge. k is 0-based unless --part-base 1, so $JOB_COMPLETION_INDEX or $SLURM_ARRAY_TASK_ID can be passed as they are')
    .option('--part-base <0|1>', 'what the first k of --part is: 0 (Kubernetes JOB_COMPLETION_INDEX, Slurm --array=0-..) or 1 (Slurm --array=1-..)', userArg(parsePartBase), 0)
    .option('--s3-endpoint <url>', 'S3-compatible endpoint for --out s3://... (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS)')
    .option('--stage <dir>', 'with --out s3://...: local folder the build is staged in (default: one per destination in the temp folder, removed when done; a rerun after a kill resumes from it)')
    .option('--json', 'print a machine-readable summary on stdout')
    .option('-q, --quiet', 'no progress output')
    .action(async (inputArg: string, flags: BuildFlags) => {
      const splitting = flags.split !== undefined || flags.splitFrom !== undefined;
      if (!splitting && (flags.groupBy !== undefined || flags.stratify || flags.seed !== undefined)) throw new UsageError('--group-by, --stratify and --seed need --split or --split-from', { helpFor: 'shard build' });
      if (!flags.labels && (flags.labelsFormat || flags.labelColumns)) throw new UsageError('--labels-format and --label-columns need --labels', { helpFor: 'shard build' });
      const part = flags.part === undefined ? undefined : asUsage('shard build', () => parsePartFlag(flags.part!, flags.partBase));
      if (part && splitting) throw new UsageError('--part cannot be combined with --split or --split-from', { helpFor: 'shard build' });
      const toS3 = /^s3:\/\//i.test(flags.out);
      if (!toS3 && isRemoteUrl(flags.out)) throw new UsageError(`--out ${flags.out}: a build writes to a folder or to s3://bucket/prefix, not to an http(s) URL`, { helpFor: 'shard build' });
      if (toS3 && splitting) throw new UsageError('--split writes several datasets into local folders; build each split to s3 with its own run', { helpFor: 'shard build' });
      if (!toS3 && (flags.s3Endpoint || flags.stage)) throw new UsageError('--s3-endpoint and --stage need --out s3://bucket/prefix', { helpFor: 'shard build' });
      const options: BuildOptions = {
        input: resolveUserPath(inputArg),
        out: toS3 ? flags.out : resolveUserPath(flags.out),
        size: flags.size,
        dtype: flags.dtype,
        fit: flags.fit,
        kernel: flags.kernel,
        window: flags.window ?? null,
        windows: flags.windows ?? null,
        rescale: flags.rescale ?? null,
        ...(flags.intensity ? { intensity: flags.intensity } : {}),
        shardBytes: flags.shardBytes,
        workers: flags.workers,
        onError: flags.onError,
        labels: flags.labels === undefined ? undefined : { file: resolveUserPath(flags.labels), format: flags.labelsFormat, labelColumns: flags.labelColumns },
        ...(part ? { part } : {}),
      };
      // Options that only clash with each other (--window with --dtype uint16, a too small --shard-bytes) are usage errors too.
      asUsage('shard build', () => resolveOptions(options));
      refuseDatasetInput(options.input);
      const progress = createProgress('build', { quiet: flags.quiet });
      const onProgress: BuildOptions['onProgress'] = (p) =>
        p.phase !== 'scan' && progress.update(p.done, p.total, [p.phase === 'range' ? 'finding the value range (pass 1 of 2)' : '', p.split, p.skipped ? `skipped ${p.skipped}` : ''].filter(Boolean).join(' '));
      let summary;
      try {
        if (splitting) {
          const from = flags.splitFrom === undefined ? undefined : resolveUserPath(flags.splitFrom);
          const split = await buildSplit({ ...options, onProgress }, {
            splits: flags.split,
            from,
            groupBy: flags.groupBy ?? { kind: 'patient' },
            stratify: flags.stratify === true,
            seed: flags.seed ?? (from ? seedOf(from) : undefined) ?? 0,
          });
          progress.stop();
          reportSplit(split, flags.json === true);
          return;
        }
        if (toS3) {
          const { buildToS3 } = await import('../s3-parts.js');
          summary = await buildToS3(flags.out, { ...options, onProgress }, { endpoint: flags.s3Endpoint, stage: flags.stage });
        } else summary = await buildShards({ ...options, onProgress });
      } finally {
        progress.stop();
      }
      for (const s of summary.skipped) process.stderr.write(`skipped ${s.file}: ${s.reason}\n`);
      for (const w of summary.warnings) process.stderr.write(`warning: ${w}\n`);
      if (flags.json) {
        process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
        return;
      }
      const rate = summary.samples / Math.max(summary.seconds, 1e-3);
      if (summary.part) {
        const p = summary.part;
        const shards = p.endShard > p.firstShard ? `shards ${p.firstShard}..${p.endShard - 1} of ${p.totalShards}` : `no shards (the plan has ${count(p.totalShards, 'shard')})`;
        process.stdout.write(
          `built part ${p.k}/${p.n} of plan ${p.plan.slice(0, 12)} in ${summary.out}: ${shards}; ${count(summary.inputs, 'input')} = ${summary.written} written + ${summary.skipped.length} skipped; ` +
            `${formatBytes(summary.bytes)} in ${summary.seconds.toFixed(1)}s (${rate.toFixed(0)} slices/s); join the parts with shard merge\n`,
        );
        return;
      }
      process.stdout.write(
        `built ${summary.out}: ${count(summary.inputs, 'input')} = ${summary.written} written + ${summary.skipped.length} skipped` +
          `${summary.samples !== summary.written ? ` (${count(summary.samples, 'sample')}: DICOM frames and NIfTI slices)` : ''}; ` +
          `${count(summary.shards, 'shard')}, ${formatBytes(summary.bytes)} in ${summary.seconds.toFixed(1)}s (${rate.toFixed(0)} slices/s)\n`,
      );
    });
}

function parsePartBase(text: string): number {
  if (text !== '0' && text !== '1') throw new RangeError(`must be 0 or 1 (got ${JSON.stringify(text)})`);
  return Number(text);
}

/** `--part k/n` with k counted from `base` (0 or 1), as the 0-based part the writer takes. */
function parsePartFlag(text: string, base: number): { k: number; n: number } {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new RangeError(`--part must be k/n, e.g. 0/4 or $JOB_COMPLETION_INDEX/4 (got ${JSON.stringify(text)})`);
  const [k, n] = [Number(m[1]), Number(m[2])];
  if (!Number.isSafeInteger(n) || n < 1 || n > 100_000) throw new RangeError(`--part ${text}: n must be from 1 to 100000`);
  if (k < base || k - base >= n) throw new RangeError(`--part ${text}: k must be from ${base} to ${n - 1 + base}${base === 0 ? ' (0-based; add --part-base 1 for a 1-based index)' : ''}`);
  return { k: k - base, n };
}

/** A parser that reports a bad value as commander's invalid-argument error (a usage error, exit 2). */
function userArg<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (err) {
      throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
    }
  };
}

/** The seed an earlier split.json was made with (the build validates the whole file and names what is wrong). */
function seedOf(file: string): number | undefined {
  try {
    const seed = (JSON.parse(readFileSync(file, 'utf8')) as { seed?: unknown }).seed;
    return Number.isSafeInteger(seed) ? (seed as number) : undefined;
  } catch {
    return undefined;
  }
}

function reportSplit(s: SplitBuildSummary, json: boolean): void {
  for (const x of s.skipped) process.stderr.write(`skipped ${x.file}: ${x.reason}\n`);
  for (const w of s.warnings) process.stderr.write(`warning: ${w}\n`);
  const shards = Object.values(s.splits).reduce((n, x) => n + x.shards, 0);
  const bytes = Object.values(s.splits).reduce((n, x) => n + x.bytes, 0);
  if (json) {
    process.stdout.write(JSON.stringify({ ...s, shards, bytes }, null, 2) + '\n');
    return;
  }
  const lines = [
    `built ${s.out}: ${count(s.inputs, 'input')} = ${s.written} written + ${s.skipped.length} skipped; ${count(shards, 'shard')}, ${formatBytes(bytes)} in ${s.seconds.toFixed(1)}s; ` +
      `grouped by ${s.split.groupBy}, seed ${s.split.seed}${s.split.stratify ? ', stratified' : ''}`,
  ];
  const labels = Object.keys(s.split.total.prevalence);
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  lines.push(`  ${'split'.padEnd(8)} ${'groups'.padStart(7)} ${'samples'.padStart(8)}  ${labels.join('  ')}`);
  for (const [name, c] of [...Object.entries(s.split.splits), ['(all)', s.split.total] as const]) {
    lines.push(`  ${name.padEnd(8)} ${String(c.groups).padStart(7)} ${String(c.samples).padStart(8)}  ${labels.map((l) => pct(c.prevalence[l]).padStart(l.length)).join('  ')}`);
  }
  const d = s.split.largestDeviation;
  if (d) lines.push(`  largest prevalence deviation: ${d.label} in ${d.split}, ${(100 * d.deviation).toFixed(2)} points`);
  process.stdout.write(lines.join('\n') + '\n');
}

/**
 * `build shards/train --out ...` (a dataset where a slice tree belongs) would otherwise end in "no images
 * found"; say what the folder is instead. Ours means a manifest of our format, or shard files of a build.
 */
function refuseDatasetInput(input: string): void {
  let names: string[];
  try {
    names = readdirSync(input);
  } catch {
    return; // the writer names a missing or unreadable input itself
  }
  const isOurs = (names.includes(MANIFEST_FILE) && manifestIsOurs(path.join(input, MANIFEST_FILE))) || names.some((n) => /^shard-\d{5,}\.bin(\.partial)?$/.test(n));
  if (isOurs) throw new UsageError(`${input}: is a shard dataset folder (the output of shard build), not a slice tree; pass the folder of <patient>/<slice>.png + labels.csv`, { helpFor: 'shard build' });
}

function manifestIsOurs(file: string): boolean {
  try {
    decodeManifest(readFileSync(file, 'utf8'), file);
    return true;
  } catch {
    return false;
  }
}
