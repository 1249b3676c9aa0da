// `shard build <input> --out <dir>`: one offline pass from slice folders to shards.
import { Command, Option } from 'commander';
import { buildShards, defaultWorkers, KERNELS, parseBytes, parseWindow, type Kernel, type OnError } from 'shard-writer';
import type { Dtype, Fit } from 'shard-format';
import { formatBytes, parsePositiveInt } from '../format-units.js';
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
    .option('--json', 'print a machine-readable summary on stdout')
    .option('-q, --quiet', 'no progress output')
    .action(async (input: string, flags: BuildFlags) => {
      const progress = createProgress('build', { quiet: flags.quiet });
      let summary;
      try {
        summary = await buildShards({
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
          onProgress: (p) => p.phase === 'write' && progress.update(p.done, p.total, p.skipped ? `skipped ${p.skipped}` : ''),
        });
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
