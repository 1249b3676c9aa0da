// `shard verify <dir>`: manifest, sizes, hashes, headers and every record checksum. Exit 0 intact, 1 damaged,
// 2 cannot run (which includes files it cannot read: those are unchecked, not damaged).
import os from 'node:os';
import path from 'node:path';
import { Command, Option } from 'commander';
import { formatProblem, verifyDataset, type VerifyReport } from 'shard-reader';
import { assertDatasetFolder } from '../open-dataset.js';
import { count, formatBytes, parsePositiveInt } from '../format-units.js';
import { createProgress } from '../progress.js';
import { resolveUserPath } from '../user-path.js';

interface VerifyFlags {
  json?: boolean;
  quick?: boolean;
  concurrency: number;
  threads?: boolean;
  quiet?: boolean;
}

const MiB = 1 << 20;

export function verifyCommand(): Command {
  return new Command('verify')
    .description('check manifest, sizes, shard hashes and every record checksum (exit 0 intact, 1 damage found, 2 cannot run or cannot read a file)')
    .argument('<dir>', 'dataset folder (holds manifest.json)')
    .option('--json', 'machine-readable report on stdout')
    .option('--quick', 'only the manifest, file sizes and shard headers (no hashing, no record scan)')
    .addOption(new Option('--concurrency <n>', 'shards checked at once').argParser(parsePositiveInt).default(os.availableParallelism(), 'one per core'))
    .option('--threads', 'check shards in worker threads, one per --concurrency (default: only for >= 1 GiB with 4+ cores)')
    .option('--no-threads', 'check on the main thread (reads still overlap)')
    .option('-q, --quiet', 'no progress output')
    .action(async (dirArg: string, flags: VerifyFlags) => {
      const dir = resolveUserPath(dirArg);
      assertDatasetFolder(dir);
      const progress = createProgress('verify (MiB)', { quiet: flags.quiet || flags.quick }); // --quick reads a page per shard: instant
      let report: VerifyReport;
      try {
        report = await verifyDataset(dir, {
          quick: flags.quick,
          concurrency: flags.concurrency,
          threads: flags.threads,
          onProgress: (done, total) => progress.update(Math.ceil(done / MiB), Math.ceil(total / MiB)),
        });
      } finally {
        progress.stop();
      }
      if (flags.json) {
        const { ok, problems, unreadable, warnings, shards, samples, bytes, seconds, mbPerSec } = report;
        process.stdout.write(JSON.stringify({ ok, quick: flags.quick === true, problems, unreadable, warnings, shards, samples, bytes, seconds, mbPerSec }, null, 2) + '\n');
      } else {
        const lines = [...report.problems.map((p) => `PROBLEM ${formatProblem(p)}`), ...report.warnings.map((w) => `warning: ${formatProblem(w)}`), summaryLine(dir, report, flags.quick === true)];
        process.stdout.write(lines.join('\n') + '\n');
      }
      // One line each on stderr, as for any error that stops a command: the user must fix access and run again.
      for (const u of report.unreadable) process.stderr.write(`shard: cannot read ${path.join(dir, u.file ?? u.shard ?? '')}: ${u.message.replace(/^cannot be read: /, '')}\n`);
      // Damage found anywhere is damage (1); otherwise files left unread mean the check could not run (2).
      process.exitCode = report.problems.length > 0 ? 1 : report.unreadable.length > 0 ? 2 : 0;
    });
}

function summaryLine(dir: string, r: VerifyReport, quick: boolean): string {
  const n = r.unreadable.length;
  const unread = n ? `cannot read ${count(n, 'file')} (not checked), ` : '';
  const found = r.problems.length ? `DAMAGED: ${count(r.problems.length, 'problem')}` : n ? 'no damage in the files read' : 'intact';
  const verdict = unread + found;
  const scope = quick ? ' (quick: manifest, sizes and headers only; no hashes or record checksums)' : '';
  const warn = r.warnings.length ? `, ${count(r.warnings.length, 'warning')}` : '';
  return (
    `verify ${dir}: ${verdict}${warn}${scope}; ${count(r.shards, 'shard')}, ${count(r.samples, 'sample')}; ` +
    `read ${formatBytes(r.bytes)} in ${r.seconds.toFixed(2)}s (${r.mbPerSec.toFixed(0)} MB/s)`
  );
}
