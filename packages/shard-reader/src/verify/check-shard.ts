// Checks one shard and its index sidecar in a single sequential pass: size, header, header padding,
// then every record (CRC, key CRC, padding, labels) as the chunks arrive, hashing the same bytes.
import type { FileHandle } from 'node:fs/promises';
import { open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  DATA_OFFSET,
  HEADER_BYTES,
  checkHeaderAgainstManifest,
  createSha256,
  decodeHeader,
  decodeShardIndex,
  buildSeed,
  keyCrc,
  paddingIsZero,
  recordCrcOk,
  sha256Hex,
  storedKeyCrc,
  type Manifest,
} from 'shard-format';
import { bareMessage, ShardProblems } from './problems.js';
import { fastCrc32 } from '../io/native.js';

/** Record CRCs through the addon when it is built: the same results as zlib.crc32, about 3x faster. */
const recordCrc = fastCrc32();

/** The parts of an index sidecar the record scan compares against. */
export interface IndexData {
  keys: string[];
  keyCrcs: Uint32Array;
  /** samples x labelCount, float32 as stored. */
  labels: Float32Array;
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
    if (!st.isFile()) return void problems.add('is not a regular file', { file });
    if (st.size !== entry.index.bytes) {
      const detail = st.size < entry.index.bytes ? ' (truncated)' : '';
      return void problems.add(`is ${st.size} bytes, the manifest says ${entry.index.bytes}${detail}; keys and labels not compared with the shard`, { file });
    }
    if (ctx.quick) return undefined;
    data = await readFile(full);
    ctx.onBytes(data.length);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') problems.add('index named in the manifest is missing', { file });
    else problems.cannotRead(err, { file });
    return undefined;
  }
  if (sha256Hex(data) !== entry.index.sha256) problems.add('SHA-256 does not match the manifest (index damaged or replaced)', { file });
  const L = manifest.schema.labelNames.length;
  let index;
  try {
    index = decodeShardIndex(data.toString('utf8'), file, { shard: entry.file, firstSample: entry.firstSample, samples: entry.samples, labelCount: L });
  } catch (err) {
    problems.add(`${bareMessage(err, file)} (keys and labels not compared with the shard)`, { file });
    return undefined;
  }
  const keyCrcs = new Uint32Array(entry.samples);
  const seed = buildSeed(manifest.buildId);
  const labels = new Float32Array(entry.samples * L);
  for (let r = 0; r < entry.samples; r++) {
    keyCrcs[r] = keyCrc(index.keys[r], seed);
    labels.set(index.labels[r], r * L);
  }
  return { keys: index.keys, keyCrcs, labels };
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
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') problems.add('shard named in the manifest is missing');
    else problems.cannotRead(err);
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
    problems.add('is not a regular file');
    return 0;
  }
  const size = st.size;
  if (size !== entry.bytes) problems.add(sizeMessage(size, entry.bytes, entry.samples, stride));
  const end = Math.min(size, entry.bytes);

  // Header page: the 128-byte header, then zeros up to the data offset.
  const headLen = Math.min(end, DATA_OFFSET);
  const buf = bufs[0];
  const got = await readFully(fh, buf, headLen, 0);
  ctx.onBytes(got);
  const before = problems.list.length;
  try {
    const header = decodeHeader(buf.subarray(0, got), entry.file);
    checkHeaderAgainstManifest(header, manifest, s, entry);
  } catch (err) {
    problems.add(bareMessage(err, entry.file));
  }
  for (let i = HEADER_BYTES; i < got; i++) {
    if (buf[i] !== 0) {
      problems.add(`header padding is not zero (byte ${i}; bytes ${HEADER_BYTES}..${DATA_OFFSET - 1} must be zero)`);
      break;
    }
  }
  if (quick) return got;

  const hash = createSha256();
  hash.update(buf.subarray(0, got));
  let read = got;
  const perChunk = Math.max(1, Math.floor(buf.length / stride));
  const views = bufs.map((b) => new DataView(b.buffer, b.byteOffset, b.byteLength));
  const L = layout.labelCount;
  const names = manifest.schema.labelNames;
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
      const view = views[which];
      hash.update(chunk.subarray(0, n));
      const complete = Math.floor(n / stride);
      for (let k = 0; k < complete; k++, r++) {
        const base = k * stride;
        const rec = chunk.subarray(base, base + stride);
        const key = index?.keys[r];
        if (!recordCrcOk(rec, layout, recordCrc)) {
          problems.record(r, key, paddingIsZero(rec, layout) ? 'checksum mismatch (damaged bytes)' : 'checksum mismatch (damaged bytes); record padding is not zero');
          continue;
        }
        let message: string | undefined;
        if (index) {
          if (storedKeyCrc(rec, layout) !== index.keyCrcs[r]) {
            message = 'record belongs to another key or another build (shard and index disagree)';
          } else {
            const differ: string[] = [];
            for (let j = 0; j < L; j++) {
              const inRecord = view.getFloat32(base + layout.labelsOffset + 4 * j, true);
              const inIndex = index.labels[r * L + j];
              if (inRecord !== inIndex) differ.push(`${names[j]} ${inRecord} vs ${inIndex}`);
            }
            if (differ.length) message = `labels differ from the index (record vs index: ${differ.join(', ')})`;
          }
        }
        if (!paddingIsZero(rec, layout)) message = message ? `${message}; record padding is not zero` : 'record padding is not zero';
        if (message) problems.record(r, key, message);
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


function sizeMessage(size: number, expected: number, samples: number, stride: number): string {
  const head = `is ${size} bytes, the manifest says ${expected}`;
  if (size > expected) return `${head} (${size - expected} bytes appended after the last record)`;
  const whole = size < DATA_OFFSET ? 0 : Math.min(samples, Math.floor((size - DATA_OFFSET) / stride));
  if (size < DATA_OFFSET) return `${head} (truncated inside the header page: all ${samples} records missing)`;
  return `${head} (truncated: ${whole === samples - 1 ? `record ${whole}` : `records ${whole}..${samples - 1}`} of ${samples} missing or incomplete)`;
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
