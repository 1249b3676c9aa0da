// Writes records into fixed-size shards: rollover, temp-name-then-rename, index sidecars, file hashes.
import { createReadStream } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import {
  DATA_OFFSET,
  buildSeed,
  createSha256,
  sha256Hex,
  encodeHeader,
  encodeRecord,
  encodeShardIndex,
  type SampleMeta,
  indexFileName,
  shardFileName,
  type FileEntry,
  type Schema,
  type ShardEntry,
} from 'shard-format';

const FLUSH_BYTES = 4 << 20;
/**
 * Dirty bytes after which a shard's data is synced in the background while writing goes on: the fsync
 * at its close then waits only for the rest (it was most of a small build's tail, the threads idle).
 */
const SYNC_BYTES = 16 << 20;

interface OpenShard {
  index: number;
  firstSample: number;
  handle: FileHandle;
  tempPath: string;
  keys: string[];
  labels: number[][];
  meta: (SampleMeta | undefined)[];
  /** Records waiting to be written, flushed in ~4 MiB writes. */
  pending: Uint8Array;
  pendingCount: number;
  /** SHA-256 of the file as written, begun with the header it will have if it holds `guess` records. */
  hasher: { update(data: Uint8Array): void; hex(): string };
  guess: Uint8Array;
  /** A background datasync in flight, its failure (reported at close), and the bytes written since the last. */
  syncing?: Promise<void>;
  syncError?: unknown;
  unsynced: number;
}

export class ShardSetWriter {
  readonly shards: ShardEntry[];
  private current: OpenShard | undefined;
  private samples: number;
  private readonly recordsPerFlush: number;
  /** CRC of the build id: every key CRC continues from it. */
  private readonly seed: number;

  /**
   * `done` are shards already complete on disk (a resumed build); writing continues after them.
   * `onShardClosed` runs once a shard and its index are in place under their final names.
   * `origin`: the shard number and sample the first shard starts at (one part of a split build).
   */
  constructor(
    private readonly outDir: string,
    private readonly schema: Schema,
    private readonly hash: string,
    private readonly buildId: string,
    private readonly perShard: number,
    done: ShardEntry[] = [],
    private readonly onShardClosed: (entry: ShardEntry) => Promise<void> = async () => {},
    private readonly origin: { shard: number; sample: number } = { shard: 0, sample: 0 },
    /** Samples still to come (this one included), when known: a last, short shard is then hashed as it is written, not read back. */
    private readonly remaining: () => number = () => Infinity,
  ) {
    this.recordsPerFlush = Math.max(1, Math.floor(FLUSH_BYTES / schema.record.stride));
    this.seed = buildSeed(buildId);
    this.shards = [...done];
    this.samples = done.reduce((n, s) => n + s.samples, 0);
  }

  get written(): number {
    return this.samples;
  }

  /** `meta`: the sample's source and DICOM/NIfTI attributes; a shard holding any has a `meta` list in its index. */
  async add(image: Uint8Array, labels: number[], key: string, meta?: SampleMeta): Promise<void> {
    await this.put((slot) => encodeRecord(slot, this.schema.record, image, labels, key, this.seed), labels, key, meta);
  }

  /** Adds a record already encoded for this build (a merge re-packing the records of parts): its bytes are copied as they are. */
  async addEncoded(record: Uint8Array, labels: number[], key: string, meta?: SampleMeta): Promise<void> {
    if (record.length !== this.schema.record.stride) throw new RangeError(`record has ${record.length} bytes, the schema's stride is ${this.schema.record.stride}`);
    await this.put((slot) => slot.set(record), labels, key, meta);
  }

  private async put(fill: (slot: Uint8Array) => void, labels: number[], key: string, meta: SampleMeta | undefined): Promise<void> {
    const shard = this.current ?? (this.current = await this.openShard());
    const stride = this.schema.record.stride;
    const slot = shard.pending.subarray(shard.pendingCount * stride, (shard.pendingCount + 1) * stride);
    slot.fill(0);
    fill(slot);
    shard.keys.push(key);
    shard.labels.push(labels.map(Math.fround));
    shard.meta.push(meta);
    shard.pendingCount++;
    this.samples++;
    if (shard.pendingCount === this.recordsPerFlush) await this.flush(shard);
    if (shard.keys.length === this.perShard) await this.closeShard();
  }

  /** Completes the last shard; returns every shard written. */
  async finish(): Promise<ShardEntry[]> {
    if (this.current) await this.closeShard();
    return this.shards;
  }

  /** Removes the temp file of a shard that will never complete (build failed). */
  async abort(): Promise<void> {
    const shard = this.current;
    this.current = undefined;
    if (!shard) return;
    await shard.syncing;
    await shard.handle.close().catch(() => {});
    await rm(shard.tempPath, { force: true });
  }

  private async openShard(): Promise<OpenShard> {
    const index = this.origin.shard + this.shards.length;
    const tempPath = path.join(this.outDir, `${shardFileName(index)}.partial`);
    const handle = await withPath(tempPath, () => open(tempPath, 'w'));
    const firstSample = this.origin.sample + this.samples;
    // The header goes in last (only then is the count known); the hash begins with the likely one.
    const guess = this.header(index, firstSample, Math.max(1, Math.min(this.perShard, this.remaining())));
    const hasher = createSha256();
    hasher.update(guess);
    return { index, firstSample, handle, tempPath, keys: [], labels: [], meta: [], pending: new Uint8Array(this.recordsPerFlush * this.schema.record.stride), pendingCount: 0, hasher, guess, unsynced: 0 };
  }

  /** A shard's first DATA_OFFSET bytes: its header, then the zero gap (part of the file). */
  private header(shardIndex: number, firstSample: number, recordCount: number): Uint8Array {
    const [h, w, c] = this.schema.shape;
    const header = new Uint8Array(DATA_OFFSET);
    header.set(
      encodeHeader({
        schemaHash: this.hash,
        buildId: this.buildId,
        shardIndex,
        recordCount,
        recordStride: this.schema.record.stride,
        firstSample,
        imageBytes: this.schema.record.imageBytes,
        labelCount: this.schema.labelNames.length,
        dtype: this.schema.dtype,
        height: h,
        width: w,
        channels: c,
      }),
    );
    return header;
  }

  private async flush(shard: OpenShard): Promise<void> {
    if (shard.pendingCount === 0) return;
    const offset = DATA_OFFSET + (shard.keys.length - shard.pendingCount) * this.schema.record.stride;
    const length = shard.pendingCount * this.schema.record.stride;
    shard.hasher.update(shard.pending.subarray(0, length)); // the data is written in order, so the hash follows it
    await withPath(shard.tempPath, () => shard.handle.write(shard.pending, 0, length, offset));
    shard.pendingCount = 0;
    shard.unsynced += length;
    if (shard.unsynced >= SYNC_BYTES && !shard.syncing) {
      shard.unsynced = 0;
      shard.syncing = shard.handle.datasync().then(
        () => void (shard.syncing = undefined),
        (err: unknown) => {
          shard.syncError ??= err;
          shard.syncing = undefined;
        },
      );
    }
  }

  private async closeShard(): Promise<void> {
    const shard = this.current!;
    this.current = undefined;
    try {
      await this.writeOut(shard);
    } catch (err) {
      // A full disk (or any failure) while closing must not leave an open handle or a half-written shard behind.
      await shard.syncing;
      await shard.handle.close().catch(() => {});
      await rm(shard.tempPath, { force: true });
      throw err;
    }
  }

  private async writeOut(shard: OpenShard): Promise<void> {
    await this.flush(shard);
    const header = this.header(shard.index, shard.firstSample, shard.keys.length);
    await shard.syncing;
    if (shard.syncError) throw Object.assign(shard.syncError as Error, { path: shard.tempPath });
    await withPath(shard.tempPath, async () => {
      await shard.handle.write(header, 0, header.length, 0);
      await shard.handle.sync();
      await shard.handle.close();
    });

    const file = shardFileName(shard.index);
    const index = await writeAtomic(
      this.outDir,
      indexFileName(shard.index),
      encodeShardIndex({ shard: file, firstSample: shard.firstSample, keys: shard.keys, labels: shard.labels, ...metaList(shard) }),
    );
    const bytes = DATA_OFFSET + shard.keys.length * this.schema.record.stride;
    // Hashed as written when the header is the one the hash began with; else read back (a short last shard
    // whose inputs were skipped or held more samples than planned).
    const sha256 = Buffer.from(header).equals(shard.guess) ? shard.hasher.hex() : await hashFile(shard.tempPath);
    await rename(shard.tempPath, path.join(this.outDir, file));
    await syncDir(this.outDir);
    const entry = { file, bytes, sha256, samples: shard.keys.length, firstSample: shard.firstSample, index };
    this.shards.push(entry);
    await this.onShardClosed(entry);
  }
}

/** Writes `name` in `dir` via a temp file, fsync and rename, so readers never see half a file. */
export async function writeAtomic(dir: string, name: string, text: string): Promise<FileEntry> {
  const data = Buffer.from(text, 'utf8');
  const temp = path.join(dir, `${name}.partial`);
  try {
    await withPath(temp, async () => {
      const fh = await open(temp, 'w');
      try {
        await fh.writeFile(data);
        await fh.sync();
      } finally {
        await fh.close();
      }
    });
    await rename(temp, path.join(dir, name));
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  await syncDir(dir);
  return { file: name, bytes: data.length, sha256: sha256Hex(data) };
}

/** A rename is durable only once its folder is synced: without this, power loss can undo it. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** File-handle errors carry no path; add it, so "out of disk space" can say where. */
async function withPath<T>(file: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err && typeof err === 'object' && !('path' in err)) (err as NodeJS.ErrnoException).path = file;
    throw err;
  }
}

export async function hashFile(file: string): Promise<string> {
  const h = createSha256();
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.hex();
}


/** Only shards with DICOM/NIfTI samples list meta (PNG-only builds keep their bytes); a PNG record among them names its source. */
function metaList(shard: { keys: string[]; meta: (SampleMeta | undefined)[] }): { meta?: SampleMeta[] } {
  if (!shard.meta.some((m) => m && Object.keys(m).length > 1)) return {};
  return { meta: shard.meta.map((m, i) => m ?? { source: shard.keys[i] }) };
}
