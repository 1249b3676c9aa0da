// Checks one shard and its index sidecar in a single sequential pass: size, header, header padding,
// then every record (CRC, key CRC, padding, labels) as the chunks arrive, hashing the same bytes.
// The checks themselves are integrity/'s (shared with openDataset); this module reads and collects.
import type { FileHandle } from 'node:fs/promises';
import { open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { DATA_OFFSET, createSha256, buildSeed, keyCrc, type Manifest } from 'shard-format';
import { NOT_A_FILE, checkIndexBytes, headerProblems, indexSizeProblem, openFailure, recordProblem, shardSizeProblem, type KeyBounds } from '../integrity/index.js';
import { ShardProblems } from './problems.js';
import { fastCrc32 } from '../io/crc.js';

/** Record CRCs through the addon when it is built: the same results as zlib.crc32, about 3x faster. */
const recordCrc = fastCrc32();

/** The parts of an index sidecar the record scan compares against. */
export interface IndexData {
  keys: string[];
  keyCrcs: Uint32Array;
  /** samples x labelCount, float32 as stored. */
  labels: Float32Array;
  /** First and last key, when the index is the one the manifest describes (for the cross-shard key check). */
  bounds?: KeyBounds;
}

export interface ShardCheckContext {
  dir: string;
  manifest: Manifest;
  /** Only sizes and headers: no hashing, no record scan. */
  quick: boolean;
  /** Bytes read so far (for progress). */
  onBytes: (n: number) => void;
}


/** Bytes per read: large sequential reads, rounded down to whole records. */
export const CHUNK_BYTES = 8 << 20;

/** Two reusable read buffers (one is read into while the other is checked): whole records, at least one page. */
export type ChunkBuffers = readonly [Uint8Array, Uint8Array];

export function allocateChunks(manifest: Manifest, quick: boolean): ChunkBuffers {
  if (quick) {
    const page = new Uint8Array(DATA_OFFSET);
    return [page, page];
  }
  const stride = manifest.schema.record.stride;
  const mostRecords = manifest.shards.reduce((n, s) => Math.max(n, s.samples), 1);
  const perChunk = Math.min(mostRecords, Math.max(1, Math.floor(CHUNK_BYTES / stride)));
  const bytes = Math.max(DATA_OFFSET, perChunk * stride);
  return [new Uint8Array(bytes), new Uint8Array(bytes)];
}

/** Checks the index sidecar of shard `s`; returns its keys and labels when they can be used for the record scan. */
export async function checkIndex(ctx: ShardCheckContext, s: number, problems: ShardProblems): Promise<IndexData | undefined> {
  const { manifest } = ctx;
  const entry = manifest.shards[s];
  const file = entry.index.file;
  const full = path.join(ctx.dir, file);
  let data: Buffer;
  try {
    // Size first: a sidecar of the wrong size is damaged anyway, and is never read whole (it could be huge).
    const st = await stat(full);
    if (!st.isFile()) return void problems.add(NOT_A_FILE, { file });
    const wrongSize = indexSizeProblem(manifest, s, st.size);
    if (wrongSize) return void problems.add(wrongSize, { file });
    if (ctx.quick) return undefined;
    data = await readFile(full);
    ctx.onBytes(data.length);
  } catch (err) {
    const failure = openFailure(err, 'index');
    if (failure.unreadable) problems.cannotRead(err, { file });
    else problems.add(failure.message, { file });
    return undefined;
  }
  const { index, hashOk, problems: found } = checkIndexBytes(data, manifest, s);
  for (const message of found) problems.add(message, { file });
  if (!index) return undefined;
  const L = manifest.schema.labelNames.length;
  const keyCrcs = new Uint32Array(entry.samples);
  const seed = buildSeed(manifest.buildId);
  const labels = new Float32Array(entry.samples * L);
  for (let r = 0; r < entry.samples; r++) {
    keyCrcs[r] = keyCrc(index.keys[r], seed);
    labels.set(index.labels[r], r * L);
  }
  const bounds = hashOk && entry.samples > 0 ? { first: index.keys[0], last: index.keys[entry.samples - 1] } : undefined;
  return { keys: index.keys, keyCrcs, labels, bounds };
}

/**
 * Checks shard `s`: reads it once, front to back, in chunks of whole records (never past the end of the
 * file, nor past the length the manifest gives it). Returns the bytes read.
 */
export async function checkShard(ctx: ShardCheckContext, s: number, index: IndexData | undefined, bufs: ChunkBuffers, problems: ShardProblems): Promise<number> {
  const { manifest } = ctx;
  const entry = manifest.shards[s];
  let fh: FileHandle;
  try {
    fh = await open(path.join(ctx.dir, entry.file), 'r');
  } catch (err) {
    const failure = openFailure(err, 'shard');
    if (failure.unreadable) problems.cannotRead(err);
    else problems.add(failure.message);
    return 0;
  }
  try {
    return await scan(ctx, s, fh, index, bufs, problems);
  } catch (err) {
    problems.cannotRead(err);
    return 0;
  } finally {
    await fh.close();
  }
}

async function scan(ctx: ShardCheckContext, s: number, fh: FileHandle, index: IndexData | undefined, bufs: ChunkBuffers, problems: ShardProblems): Promise<number> {
  const { manifest, quick } = ctx;
  const entry = manifest.shards[s];
  const layout = manifest.schema.record;
  const stride = layout.stride;
  const st = await fh.stat();
  if (!st.isFile()) {
    problems.add(NOT_A_FILE);
    return 0;
  }
  const size = st.size;
  const wrongSize = shardSizeProblem(manifest, s, size);
  if (wrongSize) problems.add(wrongSize);
  const end = Math.min(size, entry.bytes);

  // Header page: the 128-byte header, then zeros up to the data offset.
  const headLen = Math.min(end, DATA_OFFSET);
  const buf = bufs[0];
  const got = await readFully(fh, buf, headLen, 0);
  ctx.onBytes(got);
  const before = problems.list.length;
  for (const message of headerProblems(buf.subarray(0, got), manifest, s)) problems.add(message);
  if (quick) return got;

  const hash = createSha256();
  hash.update(buf.subarray(0, got));
  let read = got;
  const perChunk = Math.max(1, Math.floor(buf.length / stride));
  const L = layout.labelCount;
  const labelNames = manifest.schema.labelNames;
  let r = 0;
  let pos = got === DATA_OFFSET ? DATA_OFFSET : end; // a file shorter than a page has no records
  // Read-ahead: the next chunk is read into the other buffer while this one is hashed and checked.
  const readChunk = async (which: number, at: number) => {
    const want = Math.min(perChunk * stride, end - at);
    return { which, want, n: await readFully(fh, bufs[which], want, at) };
  };
  let pending = pos < end ? readChunk(0, pos) : undefined;
  try {
    while (pending) {
      const { which, want, n } = await pending;
      pending = n === want && pos + n < end ? readChunk(1 - which, pos + n) : undefined;
      const chunk = bufs[which];
      hash.update(chunk.subarray(0, n));
      const complete = Math.floor(n / stride);
      for (let k = 0; k < complete; k++, r++) {
        const base = k * stride;
        const rec = chunk.subarray(base, base + stride);
        const expect = index && { keyCrc: index.keyCrcs[r], labels: index.labels.subarray(r * L, (r + 1) * L), labelNames };
        const message = recordProblem(rec, layout, expect, recordCrc);
        if (message) problems.record(r, index?.keys[r], message);
      }
      pos += n;
      read += n;
      ctx.onBytes(n);
      if (n < want) {
        problems.add(`ended at byte ${pos} while being read (${size} bytes when opened): changed during the check`);
        break;
      }
    }
  } catch (err) {
    await pending?.catch(() => {}); // never close the file under a read in flight
    throw err;
  }
  problems.finish();
  const scanned = pos === end && got === headLen;
  if (size === entry.bytes && scanned && hash.hex() !== entry.sha256) {
    const located = problems.list.length > before;
    problems.add(
      located
        ? 'SHA-256 does not match the manifest (damage listed above)'
        : 'SHA-256 does not match the manifest, yet the header and every record check out: the manifest entry is probably what changed',
    );
  }
  return read;
}


/** Reads up to `length` bytes at `position` into buf[0..]; stops early only at end of file. */
async function readFully(fh: FileHandle, buf: Uint8Array, length: number, position: number): Promise<number> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}
