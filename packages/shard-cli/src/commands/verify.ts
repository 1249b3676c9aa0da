// `shard verify <dir>`: manifest, sizes, hashes, headers and every record checksum. Exit 0 intact, 1 damaged,
// 2 cannot run (which includes files it cannot read: those are unchecked, not damaged).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, Option } from 'commander';
import { MANIFEST_FILE } from 'shard-format';
import { formatProblem, isRemoteUrl, verifyDataset, type Problem, type VerifyReport } from 'shard-reader';
import { parseSplitDocument, SPLIT_FILE } from 'shard-writer';
import { UsageError } from '../cli-error.js';
import { addRemoteFlags, assertDatasetFolder, datasetLocation, type RemoteFlags } from '../open-dataset.js';
import { checkSplitLeakage } from '../split-leakage.js';
import { count, formatBytes, parsePositiveInt } from '../format-units.js';
import { createProgress } from '../progress.js';
import { resolveUserPath } from '../user-path.js';

interface VerifyFlags extends RemoteFlags {
  json?: boolean;
  quick?: boolean;
  concurrency: number;
  threads?: boolean;
  quiet?: boolean;
}

const MiB = 1 << 20;

export function verifyCommand(): Command {
  return addRemoteFlags(new Command('verify')
    .description('check manifest, sizes, shard hashes and every record checksum (exit 0 intact, 1 damage found, 2 cannot run or cannot read a file)')
    .argument('<dir>', 'dataset folder (holds manifest.json), or a split parent (holds split.json): then also proves no leakage between splits; or s3://bucket/prefix, https://host/path/ (copied under --cache-dir or the temp folder, checked, removed)')
    .option('--json', 'machine-readable report on stdout')
    .option('--quick', 'only the manifest, file sizes and shard headers (no hashing, no record scan)')
    .addOption(new Option('--concurrency <n>', 'shards checked at once').argParser(parsePositiveInt).default(os.availableParallelism(), 'one per core'))
    .option('--threads', 'check shards in worker threads, one per --concurrency (default: only for >= 1 GiB with 4+ cores)')
    .option('--no-threads', 'check on the main thread (reads still overlap)')
    .option('-q, --quiet', 'no progress output'))
    .action(async (dirArg: string, flags: VerifyFlags) => {
      const dir = datasetLocation(dirArg);
      const remote = isRemoteUrl(dir);
      const splitParent = !remote && !existsSync(path.join(dir, MANIFEST_FILE)) && existsSync(path.join(dir, SPLIT_FILE));
      if (!splitParent && !remote) assertDatasetFolder(dir);
      const progress = createProgress('verify (MiB)', { quiet: flags.quiet || flags.quick }); // --quick reads a page per shard: instant
      // A remote dataset is copied byte for byte first, then checked exactly as a local folder is.
      const local = remote ? mkdtempSync(path.join(flags.cacheDir ? resolveUserPath(flags.cacheDir) : os.tmpdir(), 'shard-verify-')) : dir;
      const check = (d: string) =>
        verifyDataset(d, {
          quick: flags.quick,
          concurrency: flags.concurrency,
          threads: flags.threads,
          onProgress: (done, total) => progress.update(Math.ceil(done / MiB), Math.ceil(total / MiB)),
        });
      let report: SplitVerifyReport;
      try {
        if (remote) {
          const { materializeDataset, openObjectStore } = await import('shard-reader/remote');
          const store = openObjectStore(dir, { s3: flags.s3Endpoint ? { endpoint: flags.s3Endpoint } : undefined });
          try {
            const found = await materializeDataset(store, local, { quick: flags.quick, onProgress: (done) => progress.update(Math.ceil(done / MiB), Math.ceil(done / MiB)) });
            if (!found) throw new UsageError(`${store.url}: no manifest.json (not a dataset, or its build has not finished uploading)`);
          } finally {
            await store.close();
          }
        }
        report = splitParent ? await verifySplitParent(dir, check, flags.quick === true) : await check(local);
      } finally {
        progress.stop();
        if (remote) rmSync(local, { recursive: true, force: true });
      }
      if (flags.json) {
        const { ok, problems, unreadable, warnings, shards, samples, bytes, seconds, mbPerSec, splits } = report;
        process.stdout.write(JSON.stringify({ ok, quick: flags.quick === true, problems, unreadable, warnings, shards, samples, bytes, seconds, mbPerSec, ...(splits ? { splits } : {}) }, null, 2) + '\n');
      } else {
        const lines = [...report.problems.map((p) => `PROBLEM ${formatProblem(p)}`), ...report.warnings.map((w) => `warning: ${formatProblem(w)}`), summaryLine(dir, report, flags.quick === true)];
        process.stdout.write(lines.join('\n') + '\n');
      }
      // One line each on stderr, as for any error that stops a command: the user must fix access and run again.
      const named = (f: string) => (remote ? `${dir.replace(/\/?$/, '/')}${f}` : path.join(dir, f));
      for (const u of report.unreadable) process.stderr.write(`shard: cannot read ${named(u.file ?? u.shard ?? '')}: ${u.message.replace(/^cannot be read: /, '')}\n`);
      // Damage found anywhere is damage (1); otherwise files left unread mean the check could not run (2).
      process.exitCode = report.problems.length > 0 ? 1 : report.unreadable.length > 0 ? 2 : 0;
    });
}

type SplitVerifyReport = VerifyReport & { splits?: Record<string, { ok: boolean; samples: number }> };

/**
 * A split parent (split.json beside one dataset per split): each split's integrity, then leakage
 * between them. Problems name the split in their file or shard (`val/shard-00001.bin`).
 */
async function verifySplitParent(dir: string, check: (d: string) => Promise<VerifyReport>, quick: boolean): Promise<SplitVerifyReport> {
  const started = performance.now();
  const file = path.join(dir, SPLIT_FILE);
  const doc = parseSplitDocument(readFileSync(file, 'utf8'), file);
  const problems: Problem[] = [];
  const unreadable: Problem[] = [];
  const warnings: Problem[] = [];
  const splits: Record<string, { ok: boolean; samples: number }> = {};
  let shards = 0;
  let samples = 0;
  let bytes = 0;
  const inSplit = (name: string) => (p: Problem): Problem => ({ ...p, ...(p.file !== undefined ? { file: `${name}/${p.file}` } : {}), ...(p.shard !== undefined ? { shard: `${name}/${p.shard}` } : {}) });
  for (const name of Object.keys(doc.ratios)) {
    if (!existsSync(path.join(dir, name, MANIFEST_FILE))) continue; // reported by the leakage check when split.json expects samples there
    const r = await check(path.join(dir, name));
    problems.push(...r.problems.map(inSplit(name)));
    unreadable.push(...r.unreadable.map(inSplit(name)));
    warnings.push(...r.warnings.map(inSplit(name)));
    splits[name] = { ok: r.ok, samples: r.samples };
    shards += r.shards;
    samples += r.samples;
    bytes += r.bytes;
  }
  // --quick stays quick: groups and keys are checked from the index, pixels are not hashed.
  problems.push(...(await checkSplitLeakage(dir, doc, { pixels: !quick })));
  const seconds = (performance.now() - started) / 1000;
  const ok = problems.length === 0 && unreadable.length === 0;
  return { ok, problems, unreadable, warnings, shards, samples, bytes, seconds, mbPerSec: bytes / 1e6 / Math.max(seconds, 1e-9), splits };
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
