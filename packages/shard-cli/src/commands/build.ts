// `shard build <input> --out <dir>`: one offline pass from slice folders to shards.
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import {
  buildShards,
  buildSplit,
  defaultWorkers,
  KERNELS,
  LABELS_FORMATS,
  parseBytes,
  parseGroupBy,
  parseLabelColumns,
  parseSplitSpec,
  parseWindow,
  type BuildOptions,
  type Kernel,
  type LabelsFormat,
  type OnError,
  type SplitBuildSummary,
} from 'shard-writer';
import type { Dtype, Fit } from 'shard-format';
import { UsageError } from '../cli-error.js';
import { formatBytes, parseNonNegativeInt, parsePositiveInt } from '../format-units.js';
import { createProgress } from '../progress.js';

interface BuildFlags {
  out: string;
  size: number;
  dtype: Dtype;
  window?: string;
  fit: Fit;
  kernel: Kernel;
  shardBytes: string;
  workers: number;
  onError: OnError;
  json?: boolean;
  quiet?: boolean;
  labels?: string;
  labelsFormat?: LabelsFormat;
  labelColumns?: string;
  split?: string;
  splitFrom?: string;
  groupBy?: string;
  stratify?: boolean;
  seed?: number;
}

export function buildCommand(): Command {
  return new Command('build')
    .description('decode, preprocess and pack a folder of CT slices (<patient>/<slice>.png + labels.csv) into shards')
    .argument('<input>', 'root folder of the slice tree')
    .requiredOption('-o, --out <dir>', 'output folder for shards and manifest.json')
    .option('--size <px>', 'output side in pixels (square)', parsePositiveInt('--size'), 256)
    .addOption(new Option('--dtype <type>', 'pixel type stored').choices(['uint8', 'uint16']).default('uint8'))
    .option('--window <center,width>', 'CT window applied to stored 16-bit values, output uint8')
    .addOption(new Option('--fit <mode>', 'how other sizes/aspects reach size x size').choices(['contain', 'cover', 'fill']).default('contain'))
    .addOption(new Option('--kernel <name>', 'resampling kernel when resizing').choices([...KERNELS]).default('lanczos3'))
    .option('--shard-bytes <size>', 'target shard file size (e.g. 256MiB, 64MB)', '256MiB')
    .option('--workers <n>', 'images decoded at once (default: 2 per core)', parsePositiveInt('--workers'), defaultWorkers())
    .addOption(new Option('--on-error <policy>', 'stop at the first bad input, or skip and report it').choices(['fail', 'skip']).default('fail'))
    .option('--labels <csv>', 'one label file for the whole tree (instead of per-folder labels.csv)')
    .addOption(new Option('--labels-format <form>', 'wide (a sample column + one column per label) or long (RSNA ID,Label); default: long when the header is ID,Label').choices([...LABELS_FORMATS]))
    .option('--label-columns <a,b,c>', 'keep these labels, in this order')
    .option('--split <spec>', 'write one dataset per split into <out>/<name> plus <out>/split.json, e.g. train=0.8,val=0.1,test=0.1')
    .option('--split-from <split.json>', 'keep the assignment of an earlier split.json; new groups are placed by the seeded rule')
    .option('--group-by <unit>', 'what never crosses splits: patient, study, series, folder or folder:<depth> (default patient)')
    .option('--stratify', 'iterative multi-label stratification: every split close to the whole set\'s label prevalence')
    .option('--seed <n>', 'split seed (default 0, or the seed of --split-from)', parseNonNegativeInt('--seed'))
    .option('--json', 'print a machine-readable summary on stdout')
    .option('-q, --quiet', 'no progress output')
    .action(async (input: string, flags: BuildFlags) => {
      const splitting = flags.split !== undefined || flags.splitFrom !== undefined;
      if (!splitting && (flags.groupBy !== undefined || flags.stratify || flags.seed !== undefined)) throw new UsageError('--group-by, --stratify and --seed need --split or --split-from');
      if (!flags.labels && (flags.labelsFormat || flags.labelColumns)) throw new UsageError('--labels-format and --label-columns need --labels');
      const progress = createProgress('build', { quiet: flags.quiet });
      let summary;
      try {
        const options: BuildOptions = {
          input,
          out: flags.out,
          size: flags.size,
          dtype: flags.dtype,
          fit: flags.fit,
          kernel: flags.kernel,
          window: flags.window === undefined ? null : parseWindow(flags.window),
          shardBytes: parseBytes(flags.shardBytes),
          workers: flags.workers,
          onError: flags.onError,
          onProgress: (p) => p.phase === 'write' && progress.update(p.done, p.total, [p.split, p.skipped ? `skipped ${p.skipped}` : ''].filter(Boolean).join(' ')),
          labels: flags.labels === undefined ? undefined : { file: flags.labels, format: flags.labelsFormat, labelColumns: flags.labelColumns === undefined ? undefined : parseLabelColumns(flags.labelColumns) },
        };
        if (splitting) {
          const previousSeed = flags.splitFrom ? seedOf(flags.splitFrom) : undefined;
          const split = await buildSplit(options, {
            splits: flags.split === undefined ? undefined : parseSplitSpec(flags.split),
            from: flags.splitFrom,
            groupBy: parseGroupBy(flags.groupBy ?? 'patient'),
            stratify: flags.stratify === true,
            seed: flags.seed ?? previousSeed ?? 0,
          });
          progress.stop();
          reportSplit(split, flags.json === true);
          return;
        }
        summary = await buildShards(options);
      } finally {
        progress.stop();
      }
      for (const s of summary.skipped) process.stderr.write(`skipped ${s.file}: ${s.reason}\n`);
      for (const w of summary.warnings) process.stderr.write(`warning: ${w}\n`);
      if (flags.json) {
        process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
        return;
      }
      const rate = summary.inputs / Math.max(summary.seconds, 1e-3);
      process.stdout.write(
        `built ${summary.out}: ${summary.inputs} inputs = ${summary.written} written + ${summary.skipped.length} skipped; ` +
          `${summary.shards} shards, ${formatBytes(summary.bytes)} in ${summary.seconds.toFixed(1)}s (${rate.toFixed(0)} slices/s)\n`,
      );
    });
}

/** The seed an earlier split.json was made with (it is validated in full by the build). */
function seedOf(file: string): number | undefined {
  try {
    const seed = (JSON.parse(readFileSync(file, 'utf8')) as { seed?: unknown }).seed;
    return Number.isSafeInteger(seed) ? (seed as number) : undefined;
  } catch {
    return undefined; // the build names the file and what is wrong with it
  }
}

function reportSplit(s: SplitBuildSummary, json: boolean): void {
  for (const x of s.skipped) process.stderr.write(`skipped ${x.file}: ${x.reason}\n`);
  for (const w of s.warnings) process.stderr.write(`warning: ${w}\n`);
  if (json) {
    process.stdout.write(JSON.stringify({ ...s, shards: Object.values(s.splits).reduce((n, x) => n + x.shards, 0), bytes: Object.values(s.splits).reduce((n, x) => n + x.bytes, 0) }, null, 2) + '\n');
    return;
  }
  const lines = [`built ${s.out}: ${s.inputs} inputs = ${s.written} written + ${s.skipped.length} skipped in ${s.seconds.toFixed(1)}s; grouped by ${s.split.groupBy}, seed ${s.split.seed}${s.split.stratify ? ', stratified' : ''}`];
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
