// `shard merge`: checks that parts belong to one plan and are intact, assembles their shards, writes the manifest last.
import { createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DATA_OFFSET,
  FORMAT_VERSION,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  createSha256,
  decodeShardIndex,
  encodeManifest,
  sha256Hex,
  shardFileName,
  type Manifest,
  type ShardEntry,
  type SkippedInput,
} from 'shard-format';
import { InputError } from './errors.js';
import { Journal } from './journal.js';
import { acquireLock } from './lock.js';
import { checkOutFolder } from './out-folder.js';
import { decodePartRecord, PART_FILE, partName, type PartRecord } from './part-record.js';
import type { PartSource } from './part-source.js';
import { ShardSetWriter, syncDir, writeAtomic } from './shard-set-writer.js';
import { completeSwap } from './swap.js';
import { ValueTotals } from './values.js';

export interface MergeOptions {
  sources: PartSource[];
  out: string;
  onProgress?: (p: { done: number; total: number }) => void;
}

export interface MergeSummary {
  out: string;
  parts: number;
  /** SHA-256 of the plan all parts share. */
  plan: string;
  inputs: number;
  written: number;
  skipped: SkippedInput[];
  samples: number;
  shards: number;
  bytes: number;
  seconds: number;
  /** True when every shard is a part's shard as it was built: the dataset a one-machine build of the plan writes. */
  identical: boolean;
  /** First shard re-packed because a part skipped inputs (records moved up; new numbering and headers from here). */
  repackedFrom?: number;
  plannedSamples: number;
  plannedShards: number;
  /** How the dataset differs from the plan, one line each (empty when identical). */
  differences: string[];
}

interface LoadedPart {
  source: PartSource;
  record: PartRecord;
}

export async function mergeParts(o: MergeOptions): Promise<MergeSummary> {
  const started = performance.now();
  if (o.sources.length === 0) throw new InputError(o.out, 'no parts to merge');
  const parts = checkOnePlan(await Promise.all(o.sources.map(loadPart)));
  const first = parts[0].record;
  await checkOutFolder(o.out);
  const lock = acquireLock(o.out);
  try {
    await completeSwap(o.out);
    const { ours } = await checkOutFolder(o.out);
    const journal = new Journal(o.out, sha256Hex(`merge ${first.plan}`));
    await journal.resume();
    const assembled = await assemble(parts, journal.dir, o.onProgress);

    const excluded = first.build.excluded;
    const skipped = [...excluded, ...partSkips(parts)];
    const inputs = first.build.inputs;
    const totals = new ValueTotals();
    for (const p of parts) totals.merge(ValueTotals.fromJSON(p.record.values));
    const values = totals.stats();
    const samples = assembled.entries.reduce((n, e) => n + e.samples, 0);
    const manifest: Omit<Manifest, 'checksum'> = {
      format: MANIFEST_FORMAT,
      version: FORMAT_VERSION,
      schema: first.schema,
      schemaHash: first.schemaHash,
      buildId: first.buildId,
      samples,
      recordsPerShard: first.recordsPerShard,
      dataOffset: DATA_OFFSET,
      build: { tool: first.build.tool, shardBytes: first.build.shardBytes, inputs, written: inputs - skipped.length, skipped },
      ...(values ? { values } : {}),
      shards: assembled.entries,
    };
    await writeAtomic(journal.dir, MANIFEST_FILE, encodeManifest(manifest));
    await journal.commit({ old: [...ours].sort(), new: assembled.entries.flatMap((e) => [e.file, e.index.file]) });
    await completeSwap(o.out);

    const plannedSamples = first.range.totalSamples;
    const differences: string[] = [];
    const partSkipped = skipped.length - excluded.length;
    if (partSkipped > 0) {
      const by = parts.filter((p) => p.record.skipped.length > 0).map((p) => `${partName(p.record)}: ${p.record.skipped.length}`);
      differences.push(`${partSkipped} input(s) skipped by the parts (${by.join(', ')}): ${plannedSamples - samples} fewer samples than the plan's ${plannedSamples}`);
    }
    if (assembled.repackedFrom !== undefined) {
      const fewer = assembled.entries.length !== first.range.totalShards ? `; ${assembled.entries.length} shards instead of ${first.range.totalShards}` : '';
      differences.push(
        `shards from ${shardFileName(assembled.repackedFrom)} on were re-packed (${assembled.entries.length - assembled.repackedFrom} shard(s)): the parts' records moved up to fill the gap, ` +
          `so from there shard contents differ from the plan's (a one-machine build that skips the same inputs writes the same bytes)${fewer}`,
      );
    }
    return {
      out: o.out,
      parts: parts.length,
      plan: first.plan,
      inputs,
      written: inputs - skipped.length,
      skipped,
      samples,
      shards: assembled.entries.length,
      bytes: assembled.entries.reduce((n, s) => n + s.bytes + s.index.bytes, 0),
      seconds: (performance.now() - started) / 1000,
      identical: assembled.repackedFrom === undefined && samples === plannedSamples,
      ...(assembled.repackedFrom !== undefined ? { repackedFrom: assembled.repackedFrom } : {}),
      plannedSamples,
      plannedShards: first.range.totalShards,
      differences,
    };
  } finally {
    lock.release();
  }
}

async function loadPart(source: PartSource): Promise<LoadedPart> {
  const text = await source.readText(PART_FILE);
  if (text === undefined) throw new InputError(source.name, `has no ${PART_FILE}: not the output of shard build --part (or that build did not finish)`);
  const record = decodePartRecord(text);
  if (typeof record === 'string') throw new InputError(source.where(PART_FILE), `is not a part record of this tool: ${record}`);
  // The shards of one part follow each other from the sample its range starts at, numbered from its first shard.
  let next = record.range.firstSample;
  record.shards.forEach((e, i) => {
    if (e.file !== shardFileName(record.range.firstShard + i) || e.firstSample !== next || e.samples < 1 || e.samples > record.recordsPerShard) {
      throw new InputError(source.where(PART_FILE), `shard entry ${i} (${e.file}) does not follow its range (shards from ${shardFileName(record.range.firstShard)}, samples from ${record.range.firstSample})`);
    }
    next += e.samples;
  });
  if (next - record.range.firstSample !== record.samples) throw new InputError(source.where(PART_FILE), `its shards hold ${next - record.range.firstSample} samples but it says ${record.samples}`);
  return { source, record };
}

/** Orders the parts by k and checks they are all n parts of one plan: same plan hash, same n, no part twice, none missing. */
function checkOnePlan(parts: LoadedPart[]): LoadedPart[] {
  const a = parts[0];
  for (const p of parts) {
    if (p.record.plan !== a.record.plan || p.record.buildId !== a.record.buildId) {
      throw new InputError(p.source.name, `is ${partName(p.record)} of plan ${p.record.plan.slice(0, 12)}, but ${a.source.name} is ${partName(a.record)} of plan ${a.record.plan.slice(0, 12)}: parts of different builds (other inputs or options) cannot be merged`);
    }
    if (p.record.part.n !== a.record.part.n) throw new InputError(p.source.name, `is ${partName(p.record)}, but ${a.source.name} is ${partName(a.record)}: the same plan split two ways`);
  }
  const byK = new Map<number, LoadedPart>();
  for (const p of parts) {
    const twin = byK.get(p.record.part.k);
    if (twin) throw new InputError(p.source.name, `is ${partName(p.record)}, and so is ${twin.source.name}: give each part once`);
    byK.set(p.record.part.k, p);
  }
  const n = a.record.part.n;
  const missing = Array.from({ length: n }, (_, k) => k).filter((k) => !byK.has(k));
  if (missing.length > 0) {
    const have = [...byK.keys()].sort((x, y) => x - y).join(', ');
    throw new InputError(a.source.name, `part ${missing[0]}/${n} is missing${missing.length > 1 ? ` (and ${missing.length - 1} more)` : ''}: the parts given are ${have} of plan ${a.record.plan.slice(0, 12)}`);
  }
  return [...byK.values()].sort((x, y) => x.record.part.k - y.record.part.k);
}

/** Skips in plan order; a volume cut by a part boundary is reported by both parts and counted once. */
function partSkips(parts: LoadedPart[]): SkippedInput[] {
  const out: SkippedInput[] = [];
  for (const p of parts) for (const s of p.record.skipped) if (out.at(-1)?.file !== s.file) out.push(s);
  return out;
}

/**
 * Copies (checking size and SHA-256) every shard that sits where the plan puts it. From the first one
 * that does not (a part skipped inputs, so its last shard is short or it has fewer), every record is
 * re-packed in order into new shards: same record bytes, new headers and indexes.
 */
async function assemble(parts: LoadedPart[], dir: string, onProgress: MergeOptions['onProgress']) {
  const all = parts.flatMap((p) => p.record.shards.map((entry) => ({ part: p, entry })));
  const first = parts[0].record;
  const entries: ShardEntry[] = [];
  let writer: ShardSetWriter | undefined;
  let nextSample = 0;
  let repackedFrom: number | undefined;
  for (const [i, { part, entry }] of all.entries()) {
    const inPlace = !writer && entry.firstSample === nextSample && entry.file === shardFileName(entries.length) && (entry.samples === first.recordsPerShard || i === all.length - 1);
    if (inPlace) {
      await copyChecked(part.source, entry.index.file, entry.index.bytes, entry.index.sha256, path.join(dir, entry.index.file));
      await copyChecked(part.source, entry.file, entry.bytes, entry.sha256, path.join(dir, entry.file));
      entries.push(entry);
      nextSample += entry.samples;
    } else {
      if (!writer) {
        repackedFrom = entries.length;
        writer = new ShardSetWriter(dir, first.schema, first.schemaHash, first.buildId, first.recordsPerShard, entries);
      }
      await repack(part, entry, dir, writer);
    }
    onProgress?.({ done: i + 1, total: all.length });
  }
  if (writer) {
    const done = await writer.finish();
    return { entries: done, repackedFrom };
  }
  return { entries, repackedFrom };
}

/** Copies a part's file to `dest` via a temp name, failing (naming the file) when its size or SHA-256 is not what the part record says. */
async function copyChecked(source: PartSource, file: string, bytes: number, sha256: string, dest: string): Promise<void> {
  const temp = `${dest}.partial`;
  const h = createSha256();
  let size = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      h.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  try {
    await pipeline(await source.open(file), count, createWriteStream(temp));
    checkContent(source, file, size, bytes, h.hex(), sha256);
    const fh = await open(temp, 'r+');
    await fh.sync().finally(() => fh.close());
    await rename(temp, dest);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  await syncDir(path.dirname(dest));
}

function checkContent(source: PartSource, file: string, size: number, bytes: number, got: string, want: string): void {
  if (size !== bytes) throw new InputError(source.where(file), `is ${size} bytes, its ${PART_FILE} says ${bytes}: damaged or truncated since the part was built; rebuild that part`);
  if (got !== want) throw new InputError(source.where(file), `SHA-256 ${got.slice(0, 12)}… does not match its ${PART_FILE} (${want.slice(0, 12)}…): damaged since the part was built; rebuild that part`);
}

/** Moves one part shard's records into the re-packed shards; the shard (local or fetched) is checked whole first. */
async function repack(part: LoadedPart, entry: ShardEntry, dir: string, writer: ShardSetWriter): Promise<void> {
  const { source, record } = part;
  const indexText = await source.readText(entry.index.file);
  if (indexText === undefined) throw new InputError(source.where(entry.index.file), `is missing (its ${PART_FILE} names it)`);
  checkContent(source, entry.index.file, Buffer.byteLength(indexText), entry.index.bytes, sha256Hex(indexText), entry.index.sha256);
  const index = decodeShardIndex(indexText, source.where(entry.index.file), { shard: entry.file, firstSample: entry.firstSample, samples: entry.samples, labelCount: record.schema.labelNames.length });
  let file = source.localPath?.(entry.file);
  const fetched = file ? undefined : path.join(dir, `fetch-${record.part.k}-${entry.file}`);
  if (fetched) {
    await copyChecked(source, entry.file, entry.bytes, entry.sha256, fetched);
    file = fetched;
  } else {
    const h = createSha256();
    let size = 0;
    for await (const chunk of await source.open(entry.file)) {
      h.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    checkContent(source, entry.file, size, entry.bytes, h.hex(), entry.sha256);
  }
  // A PNG-only shard's index names no sources; the part record kept their extensions (key + extension = source).
  const exts = (record.sourceExtensions?.[entry.file] ?? []).flatMap(([ext, n]) => Array<string>(n).fill(ext));
  const stride = record.schema.record.stride;
  const fh = await open(file!, 'r');
  try {
    const per = Math.max(1, Math.floor((4 << 20) / stride));
    const buf = Buffer.alloc(per * stride);
    for (let r = 0; r < entry.samples; r += per) {
      const n = Math.min(per, entry.samples - r);
      const { bytesRead } = await fh.read(buf, 0, n * stride, DATA_OFFSET + r * stride);
      if (bytesRead !== n * stride) throw new InputError(source.where(entry.file), `ended early while re-packing (changed during the merge?)`);
      for (let j = 0; j < n; j++) await writer.addEncoded(buf.subarray(j * stride, (j + 1) * stride), index.labels[r + j], index.keys[r + j], index.meta?.[r + j] ?? { source: index.keys[r + j] + (exts[r + j] ?? '') });
    }
  } finally {
    await fh.close();
    if (fetched) await rm(fetched, { force: true });
  }
}
