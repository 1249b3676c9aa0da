// `shard merge <parts...> --out <dir>`: joins the parts of a `build --part k/n` run into one dataset.
import { Command } from 'commander';
import { LocalPartSource, mergeParts, type MergeSummary, type PartSource } from 'shard-writer';
import { isRemoteUrl } from 'shard-reader';
import { UsageError } from '../cli-error.js';
import { count, formatBytes } from '../format-units.js';
import { createProgress } from '../progress.js';
import { resolveUserPath } from '../user-path.js';

interface MergeFlags {
  out: string;
  s3Endpoint?: string;
  stage?: string;
  json?: boolean;
  quiet?: boolean;
}

export function mergeCommand(): Command {
  return new Command('merge')
    .description('check that the parts of a build --part k/n run belong to one plan and are intact, then assemble them into one dataset (manifest written last)')
    .argument('<parts...>', 'part folders (each holds the part.json of a build --part), or s3://bucket/prefix of parts built to S3')
    .requiredOption('-o, --out <dir>', 'output folder (new, empty, or a dataset/part this tool wrote), or s3://bucket/prefix')
    .option('--s3-endpoint <url>', 'S3-compatible endpoint for s3:// parts and output (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS)')
    .option('--stage <dir>', 'with --out s3://...: local folder the merge is staged in before upload (default: the temp folder, removed when done)')
    .option('--json', 'print a machine-readable summary on stdout')
    .option('-q, --quiet', 'no progress output')
    .action(async (partArgs: string[], flags: MergeFlags) => {
      if (partArgs.some(isRemoteUrl) || isRemoteUrl(flags.out)) {
        if ([...partArgs, flags.out].some((p) => isRemoteUrl(p) && !/^s3:\/\//i.test(p))) throw new UsageError('merge reads parts from folders or s3:// prefixes and writes to a folder or an s3:// prefix (not http)', { helpFor: 'shard merge' });
        const { mergeRemote } = await import('../s3-parts.js');
        report(await mergeRemote(partArgs, flags.out, { endpoint: flags.s3Endpoint, stage: flags.stage, quiet: flags.quiet }), flags.json === true);
        return;
      }
      const sources: PartSource[] = partArgs.map((p) => new LocalPartSource(resolveUserPath(p)));
      const out = resolveUserPath(flags.out);
      if (sources.some((s) => s.name === out) && sources.length === 1) throw new UsageError(`${out}: --out is the only part given; merge needs every part of the plan`, { helpFor: 'shard merge' });
      const progress = createProgress('merge (shards)', { quiet: flags.quiet });
      let summary: MergeSummary;
      try {
        summary = await mergeParts({ sources, out, onProgress: (p) => progress.update(p.done, p.total) });
      } finally {
        progress.stop();
      }
      report(summary, flags.json === true);
    });
}

export function report(s: MergeSummary, json: boolean): void {
  for (const x of s.skipped) process.stderr.write(`skipped ${x.file}: ${x.reason}\n`);
  for (const d of s.differences) process.stderr.write(`differs from the plan: ${d}\n`);
  if (json) {
    process.stdout.write(JSON.stringify(s, null, 2) + '\n');
    return;
  }
  process.stdout.write(
    `merged ${count(s.parts, 'part')} of plan ${s.plan.slice(0, 12)} into ${s.out}: ${count(s.inputs, 'input')} = ${s.written} written + ${s.skipped.length} skipped; ` +
      `${count(s.samples, 'sample')} in ${count(s.shards, 'shard')}, ${formatBytes(s.bytes)} in ${s.seconds.toFixed(1)}s; ` +
      `${s.identical ? 'identical to a one-machine build of the plan' : `${s.differences.length ? 'differs from the plan (see above)' : 'valid dataset'}`}\n`,
  );
}
