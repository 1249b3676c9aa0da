// build/merge with s3://bucket/prefix: stage locally, upload each shard (and index) as it completes, the manifest or part.json last.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { decodeManifest, MANIFEST_FILE, sha256Hex, SHARD_FILE_PATTERN, type ShardEntry } from 'shard-format';
import { deleteObject, S3Store, uploadFile, uploadedIntact, withRetry } from 'shard-reader/remote';
import { buildShards, decodePartRecord, InputError, LocalPartSource, mergeParts, PART_FILE, type BuildOptions, type BuildSummary, type MergeSummary, type PartSource } from 'shard-writer';
import { createProgress } from './progress.js';
import { resolveUserPath } from './user-path.js';

export interface S3Flags {
  endpoint?: string;
  /** Local staging folder (default: one per destination under the temp folder, removed after success). */
  stage?: string;
  quiet?: boolean;
}

export interface UploadCounts {
  /** Objects sent by this run. */
  uploaded: number;
  /** Objects already at the destination with the right size and SHA-256 (a rerun after a kill). */
  alreadyThere: number;
}

/** What an s3:// destination holds: the files its manifest or part.json names, which a rebuild may replace. */
async function openDestination(url: string, endpoint: string | undefined): Promise<{ store: S3Store; ours: Set<string>; records: string[] }> {
  const store = new S3Store(url, { s3: endpoint ? { endpoint } : undefined });
  const objects = await store.list('');
  const names = objects.map((o) => o.key);
  const ours = new Set<string>();
  const records: string[] = [];
  for (const record of [MANIFEST_FILE, PART_FILE]) {
    if (!names.includes(record)) continue;
    const text = Buffer.from(await store.get(record)).toString('utf8');
    let files: string[];
    if (record === MANIFEST_FILE) {
      try {
        files = decodeManifest(text, store.urlOf(record)).shards.flatMap((s) => [s.file, s.index.file]);
      } catch (err) {
        throw new InputError(store.url, `holds a ${MANIFEST_FILE} that is not ours (${(err as Error).message}); choose a new or empty prefix`);
      }
    } else {
      const r = decodePartRecord(text);
      if (typeof r === 'string') throw new InputError(store.url, `holds a ${PART_FILE} that is not ours (${r}); choose a new or empty prefix`);
      files = r.shards.flatMap((s) => [s.file, s.index.file]);
    }
    records.push(record);
    for (const f of files) ours.add(f);
  }
  // Shard objects no record names are the uploads of a run killed before its manifest: ours if they carry our SHA-256 tag.
  const foreign = names.filter((n) => n !== MANIFEST_FILE && n !== PART_FILE && !SHARD_FILE_PATTERN.test(n));
  if (foreign.length > 0) {
    await store.close();
    throw new InputError(store.url, `holds objects that are not a shard dataset (e.g. ${JSON.stringify(foreign.sort()[0])}); choose a new or empty prefix`);
  }
  return { store, ours, records };
}

/** The local folder a build or merge to `url` is staged in: the same on a rerun, so a killed run resumes. */
function stagingFor(url: string, flags: S3Flags, what: string): { dir: string; temporary: boolean } {
  if (flags.stage) return { dir: resolveUserPath(flags.stage), temporary: false };
  return { dir: path.join(os.tmpdir(), `shard-stage-${sha256Hex(`${url}\0${what}`).slice(0, 16)}`), temporary: true };
}

class Uploader {
  readonly counts: UploadCounts = { uploaded: 0, alreadyThere: 0 };
  private readonly done = new Set<string>();

  constructor(private readonly store: S3Store) {}

  /** Uploads `dir/name` unless the object already holds exactly this content. */
  async put(dir: string, name: string, bytes: number, sha256: string): Promise<void> {
    if (this.done.has(`${name}\0${sha256}`)) return;
    if (await uploadedIntact(this.store, name, bytes, sha256)) this.counts.alreadyThere++;
    else {
      await uploadFile(this.store, name, path.join(dir, name), sha256);
      this.counts.uploaded++;
    }
    this.done.add(`${name}\0${sha256}`);
  }

  async shard(dir: string, e: ShardEntry): Promise<void> {
    // The index first: a shard object is then never there without the index that describes it.
    await this.put(dir, e.index.file, e.index.bytes, e.index.sha256);
    await this.put(dir, e.file, e.bytes, e.sha256);
  }

  /** The dataset's record (manifest.json or part.json) goes last, after every object it names is in place. */
  async record(dir: string, name: string): Promise<void> {
    const bytes = readFileSync(path.join(dir, name));
    await uploadFile(this.store, name, path.join(dir, name), sha256Hex(bytes));
    this.counts.uploaded++;
  }

  async remove(name: string): Promise<void> {
    await deleteObject(this.store, name);
  }
}

/** The record a finished local build or merge left in `dir`, and the shards it names. */
function localRecord(dir: string): { name: string; shards: ShardEntry[] } {
  if (existsSync(path.join(dir, MANIFEST_FILE))) return { name: MANIFEST_FILE, shards: decodeManifest(readFileSync(path.join(dir, MANIFEST_FILE), 'utf8'), MANIFEST_FILE).shards };
  const r = decodePartRecord(readFileSync(path.join(dir, PART_FILE), 'utf8'));
  if (typeof r === 'string') throw new Error(`${dir}: the ${PART_FILE} just written does not decode (${r})`);
  return { name: PART_FILE, shards: r.shards };
}

/**
 * Publishes a finished local dataset or part in `dir` to the destination: every shard and index not there
 * yet (checked by SHA-256), then the record, then deletes objects of the replaced dataset it no longer names.
 */
async function publish(up: Uploader, dir: string, old: Set<string>): Promise<void> {
  const { name, shards } = localRecord(dir);
  for (const e of shards) await up.shard(dir, e);
  await up.record(dir, name);
  const keep = new Set([name, ...shards.flatMap((e) => [e.file, e.index.file])]);
  for (const n of old) if (!keep.has(n)) await up.remove(n);
  // A dataset replaced by a part (or the reverse): the other kind of record no longer describes the prefix.
  const other = name === MANIFEST_FILE ? PART_FILE : MANIFEST_FILE;
  await up.remove(other);
}

/** `shard build <input> --out s3://...` (also with --part): stage locally, upload as shards complete, record last. */
export async function buildToS3(url: string, options: Omit<BuildOptions, 'out'>, flags: S3Flags): Promise<BuildSummary & UploadCounts> {
  const { store, ours, records } = await openDestination(url, flags.endpoint);
  const up = new Uploader(store);
  try {
    // The old record goes before any object it names is replaced: a reader never sees a manifest naming changed or missing objects.
    for (const r of records) await up.remove(r);
    const stage = stagingFor(store.url, flags, options.part ? `part ${options.part.k}/${options.part.n}` : 'dataset');
    const summary = await buildShards({ ...options, out: stage.dir, onShardWritten: (dir, entry) => up.shard(dir, entry) });
    await publish(up, stage.dir, ours);
    if (stage.temporary) rmSync(stage.dir, { recursive: true, force: true });
    return { ...summary, out: store.url, ...up.counts };
  } finally {
    await store.close();
  }
}

/** An s3:// prefix holding one part (shards + part.json) uploaded by build --part --out s3://... */
class S3PartSource implements PartSource {
  readonly name: string;

  constructor(private readonly store: S3Store) {
    this.name = store.url;
  }

  where(file: string): string {
    return this.store.urlOf(file);
  }

  async readText(file: string): Promise<string | undefined> {
    if (!(await this.store.head(file))) return undefined;
    return Buffer.from(await this.store.get(file)).toString('utf8');
  }

  async open(file: string): Promise<Readable> {
    if (!(await this.store.head(file))) throw new InputError(this.where(file), `is missing (its ${PART_FILE} names it)`);
    const body = await withRetry(this.store.urlOf(file), this.store.retryPolicy, () => this.store.open(file));
    return Readable.from(body.chunks);
  }
}

/** `shard merge` with s3:// parts and/or an s3:// output: parts are read (and checked) from the store, an s3 output is staged then published. */
export async function mergeRemote(partArgs: string[], out: string, flags: S3Flags): Promise<MergeSummary & Partial<UploadCounts>> {
  const stores: S3Store[] = [];
  const sources: PartSource[] = partArgs.map((p) => {
    if (!/^s3:\/\//i.test(p)) return new LocalPartSource(resolveUserPath(p));
    const s = new S3Store(p, { s3: flags.endpoint ? { endpoint: flags.endpoint } : undefined });
    stores.push(s);
    return new S3PartSource(s);
  });
  const progress = createProgress('merge (shards)', { quiet: flags.quiet });
  const onProgress = (p: { done: number; total: number }) => progress.update(p.done, p.total);
  try {
    if (!/^s3:\/\//i.test(out)) return await mergeParts({ sources, out: resolveUserPath(out), onProgress });
    const { store, ours, records } = await openDestination(out, flags.endpoint);
    stores.push(store);
    const up = new Uploader(store);
    for (const r of records) await up.remove(r);
    const stage = stagingFor(store.url, flags, 'merge');
    const summary = await mergeParts({ sources, out: stage.dir, onProgress });
    await publish(up, stage.dir, ours);
    if (stage.temporary) rmSync(stage.dir, { recursive: true, force: true });
    return { ...summary, out: store.url, ...up.counts };
  } finally {
    progress.stop();
    await Promise.all(stores.map((s) => s.close()));
  }
}
