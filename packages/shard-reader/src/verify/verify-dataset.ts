// `shard verify`: proves a dataset folder intact, or lists every damaged file, header and record.
import { readFile, readdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DATA_OFFSET, FormatError, JOURNAL_DIR, LOCK_FILE, MANIFEST_FILE, PARTIAL_SUFFIX, SHARD_FILE_PATTERN, canonicalJson, decodeManifest, type Manifest } from 'shard-format';
import { NO_MANIFEST, bareMessage, keyBoundaryProblems, openFailure, type KeyBounds, type Problem } from '../integrity/index.js';
import { allocateChunks, checkIndex, checkShard, type ShardCheckContext } from './check-shard.js';
import { ShardProblems } from './problems.js';
import { checkShardsInThreads } from './threads.js';

/** Below this many bytes to read, starting worker threads (~0.05 s built, ~0.3 s each from source via tsx) is not worth it. */
const THREADS_MIN_BYTES = 1 << 30;

export interface VerifyOptions {
  /** Only the manifest, file sizes and shard headers: no hashing, no record scan. */
  quick?: boolean;
  /** Shards checked at once (default: number of cores). */
  concurrency?: number;
  /**
   * Check shards in `concurrency` worker threads, so hashing and CRCs use several cores. Without threads,
   * reads of `concurrency` shards overlap but the CPU work runs on one thread (~1.1 GB/s on our machines,
   * as fast as their disks, and their 2 vCPUs give no more than one core of hashing throughput).
   * Default: on when it can pay off: not quick, >= 4 logical CPUs asked for, more than one shard, >= 1 GiB.
   */
  threads?: boolean;
  /** Called as bytes are read; `bytesTotal` is what the whole check will read. */
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

export interface VerifyReport {
  /** True when there is no problem and every file could be read (warnings allowed). */
  ok: boolean;
  problems: Problem[];
  /**
   * Files that could not be read at all (permission denied, I/O error): not damage, but parts of the
   * dataset that were not checked. `shard verify` exits 2 ("cannot run") when there are any and no damage.
   */
  unreadable: Problem[];
  /** Not damage: files in the folder the manifest does not name (temp files, a build lock...). */
  warnings: Problem[];
  shards: number;
  samples: number;
  /** Bytes read and checked (manifest, shards, index sidecars). */
  bytes: number;
  seconds: number;
  /** bytes / 10^6 / seconds. */
  mbPerSec: number;
}

/**
 * Checks a dataset folder: the manifest (parses, validates, canonical bytes); every shard's size, header,
 * header padding and SHA-256; every record's CRC, key CRC, padding and labels against the index; every
 * index sidecar's size, SHA-256 and content. Collects all problems (record problems capped per shard).
 * Throws a FormatError only when `dir` is not a dataset folder at all (missing, or no manifest.json).
 */
export async function verifyDataset(dir: string, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const started = performance.now();
  const quick = opts.quick ?? false;
  const concurrency = Math.max(1, Math.floor(opts.concurrency ?? os.availableParallelism()));

  const manifestPath = path.join(dir, MANIFEST_FILE);
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new FormatError(st ? 'not a folder' : 'no such dataset folder', { file: dir });
  let raw: Buffer;
  try {
    raw = await readFile(manifestPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new FormatError(NO_MANIFEST, { file: dir });
    return finish(started, { problems: [{ file: MANIFEST_FILE, ...openFailure(err, 'manifest') }], warnings: [], shards: 0, samples: 0, bytes: 0 });
  }

  let manifest: Manifest;
  const text = raw.toString('utf8');
  try {
    manifest = decodeManifest(text, MANIFEST_FILE);
  } catch (err) {
    return finish(started, { problems: [{ file: MANIFEST_FILE, message: bareMessage(err, MANIFEST_FILE) }], warnings: [], shards: 0, samples: 0, bytes: raw.length });
  }
  const problems: Problem[] = [];
  const notCanonical = canonicalDifference(raw, text);
  if (notCanonical) problems.push({ file: MANIFEST_FILE, message: notCanonical });

  const shards = manifest.shards;
  const total = raw.length + shards.reduce((n, s) => n + (quick ? Math.min(s.bytes, DATA_OFFSET) : s.bytes + s.index.bytes), 0);
  let done = raw.length;
  const ctx: ShardCheckContext = {
    dir,
    manifest,
    quick,
    onBytes: (n) => {
      done += n;
      opts.onProgress?.(Math.min(done, total), total);
    },
  };
  opts.onProgress?.(done, total);

  const threads = opts.threads ?? (!quick && concurrency >= 4 && shards.length > 1 && total >= THREADS_MIN_BYTES);
  const bounds: (KeyBounds | undefined)[] = new Array(shards.length);
  if (threads && shards.length > 0) {
    (await checkShardsInThreads({ dir, manifest, quick }, concurrency, ctx.onBytes)).forEach((r, s) => {
      problems.push(...r.problems);
      bounds[s] = r.bounds;
    });
  } else {
    // One thread: reads of `concurrency` shards overlap, CRCs and hashing take turns on this thread.
    const perShard = shards.map((s) => new ShardProblems(s.file));
    let next = 0;
    const runner = async () => {
      const bufs = allocateChunks(manifest, quick);
      while (next < shards.length) {
        const s = next++;
        const index = await checkIndex(ctx, s, perShard[s]);
        bounds[s] = index?.bounds;
        await checkShard(ctx, s, index, bufs, perShard[s]);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, shards.length) }, runner));
    for (const p of perShard) problems.push(...p.list);
  }

  if (!quick) problems.push(...keyBoundaryProblems(manifest, bounds));
  if (done !== total) opts.onProgress?.(total, total); // missing or short files: the work is still all done
  const warnings = await strayFiles(dir, manifest);
  return finish(started, { problems, warnings, shards: shards.length, samples: manifest.samples, bytes: done });
}

/** `found` holds damage and unreadable files together, as the checks report them; the report separates them. */
function finish(started: number, { problems: found, ...r }: Omit<VerifyReport, 'ok' | 'seconds' | 'mbPerSec' | 'unreadable'>): VerifyReport {
  const seconds = (performance.now() - started) / 1000;
  const problems = found.filter((p) => !p.unreadable);
  const unreadable = found.filter((p) => p.unreadable).map(({ unreadable: _, ...p }) => p);
  return { ok: found.length === 0, problems, unreadable, ...r, seconds, mbPerSec: r.bytes / 1e6 / Math.max(seconds, 1e-6) };
}

/**
 * The writer's manifest is canonical JSON (sorted keys, one-space indent, final newline); a byte that
 * changed in whitespace or formatting still parses to the same content, so compare the bytes too.
 */
function canonicalDifference(raw: Buffer, text: string): string | undefined {
  const expected = Buffer.from(canonicalJson(JSON.parse(text), 1) + '\n', 'utf8');
  if (expected.equals(raw)) return undefined;
  let i = 0;
  while (i < raw.length && i < expected.length && raw[i] === expected[i]) i++;
  return `is not byte-for-byte the canonical JSON the writer produces (first difference at byte ${i}): edited or damaged`;
}

/** Anything in the folder that is not manifest.json or a file the manifest names: warnings, not damage. */
async function strayFiles(dir: string, manifest: Manifest): Promise<Problem[]> {
  const named = new Set([MANIFEST_FILE, ...manifest.shards.flatMap((s) => [s.file, s.index.file])]);
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    return [{ file: dir, message: `folder cannot be listed (${(err as NodeJS.ErrnoException).code}): stray files not checked` }];
  }
  return entries
    .filter((e) => !named.has(e.name))
    .map((e) => e.name)
    .sort()
    .map((name) => ({ file: name, message: strayReason(name) }));
}

function strayReason(name: string): string {
  if (name.endsWith(PARTIAL_SUFFIX)) return 'not part of the dataset: temporary file of an unfinished write (safe to delete when no build is running)';
  if (name === LOCK_FILE) return 'not part of the dataset: build lock (a build is running here, or one was killed)';
  if (name === JOURNAL_DIR) return 'not part of the dataset: journal of an unfinished build';
  if (SHARD_FILE_PATTERN.test(name)) return 'not part of the dataset: shard file the manifest does not name (left from another build?)';
  return 'not part of the dataset (the manifest does not name it)';
}
