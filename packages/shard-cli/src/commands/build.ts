// `shard build <input> --out <dir>`: one offline pass from slice folders to shards.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { buildShards, DEFAULT_SHARD_BYTES, defaultWorkers, KERNELS, parseIntensity, parseRescale, parseWindowChoice, parseWindows, resolveOptions, type BuildOptions, type CtWindow, type IntensityMode, type Kernel, type OnError, type WindowChoice } from 'shard-writer';
import { decodeManifest, DTYPES, MANIFEST_FILE, type Dtype, type Fit } from 'shard-format';
import { asUsage, UsageError } from '../cli-error.js';
import { count, formatBytes, parseByteSize, parsePositiveInt } from '../format-units.js';
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
}

export function buildCommand(): Command {
  return new Command('build')
    .description('decode, preprocess and pack a folder of CT slices (<patient>/<slice>.png + labels.csv) into shards')
    .argument('<input>', 'root folder of the slice tree')
    .requiredOption('-o, --out <dir>', 'output folder for shards and manifest.json')
    .option('--size <px>', 'output side in pixels (square)', parsePositiveInt, 256)
    .addOption(new Option('--dtype <type>', 'pixel type stored: uint8/uint16 display values, int16 (rounded) or float32 (exact) modality values').choices([...DTYPES]).default('uint8'))
    .option('--window <c,w|preset|dicom>', 'DICOM linear VOI window on modality values (HU for CT), output uint8; presets brain, subdural, bone, soft-tissue, lung; dicom = each file\'s own', arg(parseWindowChoice))
    .option('--windows <list>', 'one uint8 channel per window, e.g. brain,subdural,bone (presets or c:w)', arg(parseWindows))
    .option('--rescale <slope,intercept>', 'PNG/TIFF: modality = stored x slope + intercept (e.g. 1,-1024 for HU+1024); DICOM/NIfTI use their own', arg(parseRescale))
    .option('--intensity <mode>', 'uint8 without a window: auto (8-bit as is, wider input per-image min-max), stored (v/257), minmax, percentile[:lo,hi]', arg(parseIntensity))
    .addOption(new Option('--fit <mode>', 'how other sizes/aspects reach size x size').choices(['contain', 'cover', 'fill']).default('contain'))
    .addOption(new Option('--kernel <name>', 'resampling kernel when resizing').choices([...KERNELS]).default('lanczos3'))
    .addOption(new Option('--shard-bytes <size>', 'target shard file size (e.g. 256MiB, 64MB, bytes)').argParser(parseByteSize).default(DEFAULT_SHARD_BYTES, '256MiB'))
    .addOption(new Option('--workers <n>', 'images decoded at once').argParser(parsePositiveInt).default(defaultWorkers(), '2 per core'))
    .addOption(new Option('--on-error <policy>', 'stop at the first bad input, or skip and report it').choices(['fail', 'skip']).default('fail'))
    .option('--json', 'print a machine-readable summary on stdout')
    .option('-q, --quiet', 'no progress output')
    .action(async (inputArg: string, flags: BuildFlags) => {
      const options: BuildOptions = {
        input: resolveUserPath(inputArg),
        out: resolveUserPath(flags.out),
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
      };
      // Options that only clash with each other (--window with --dtype uint16, a too small --shard-bytes) are usage errors too.
      asUsage('shard build', () => resolveOptions(options));
      refuseDatasetInput(options.input);
      const progress = createProgress('build', { quiet: flags.quiet });
      let summary;
      try {
        summary = await buildShards({ ...options, onProgress: (p) => p.phase === 'write' && progress.update(p.done, p.total, p.skipped ? `skipped ${p.skipped}` : '') });
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
      process.stdout.write(
        `built ${summary.out}: ${count(summary.inputs, 'input')} = ${summary.written} written + ${summary.skipped.length} skipped` +
          `${summary.samples !== summary.written ? ` (${count(summary.samples, 'sample')}: DICOM frames and NIfTI slices)` : ''}; ` +
          `${count(summary.shards, 'shard')}, ${formatBytes(summary.bytes)} in ${summary.seconds.toFixed(1)}s (${rate.toFixed(0)} slices/s)\n`,
      );
    });
}

/** A parser whose RangeError becomes commander's "invalid argument" (a usage error, exit 2). */
function arg<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (err) {
      throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
    }
  };
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
