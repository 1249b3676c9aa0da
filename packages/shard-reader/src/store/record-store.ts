// Reads records by global index from shard sources made lazily from the dataset's open descriptors,
// checking each record's CRC and key.
import path from 'node:path';
import { DATA_OFFSET, FormatError, buildSeed, keyCrc, recordCrcOk, storedKeyCrc, type RecordLayout } from 'shard-format';
import { RECORD_CHECKSUM_MISMATCH, RECORD_OF_ANOTHER_KEY } from '../integrity/records.js';
import { fastCrc32 } from '../io/crc.js';
import { fileChanged } from '../io/file-changed.js';
import { sourceFromFd } from '../io/open-source.js';
import type { AccessHint, Backend, BackendChoice, RecordSource } from '../io/types.js';
import { Spanner } from './spanner.js';

/** What a store needs to know; plain data so it can be posted to a worker thread. */
export interface StoreSpec {
  dir: string;
  /** Shard names as errors give them (file names in `dir`; URLs for a remote dataset). */
  shardFiles: string[];
  /** Set for a remote dataset: its shards are named by URL (no `dir`), and fds[s] is -1 until shard s is fetched. */
  remote?: boolean;
  /**
   * Each shard's descriptor, opened (and validated) once by openDataset and open until the dataset closes.
   * Descriptors are process-wide, so worker threads read through the same numbers: every thread reads the
   * files the dataset was opened on, whatever is renamed over their names later.
   */
  fds: number[];
  /** Each shard's size in bytes, as validated at open. */
  shardBytes: number[];
  perShard: number;
  size: number;
  layout: RecordLayout;
  /** The manifest's build id: key CRCs of this build continue from its CRC. */
  buildId: string;
  backend: BackendChoice;
  verify: boolean;
}


/** A record whose bytes do not match their checksum (or belong to another key). */
export class CorruptRecordError extends FormatError {
  override name = 'CorruptRecordError';
}


export class RecordStore {
  private readonly sources: (RecordSource | undefined)[];
  private readonly spanner: Spanner;
  private readonly scratch: Uint8Array;
  /** The part of scratch that receives a record's bytes after its image; its checksummed part; a view. */
  private readonly tail: Uint8Array;
  private readonly tailCrcPart: Uint8Array;
  private readonly tailView: DataView;
  private readonly crc = fastCrc32();
  private readonly seed: number;

  constructor(readonly spec: StoreSpec) {
    this.sources = new Array(spec.shardFiles.length);
    this.spanner = new Spanner(spec.size, spec.perShard);
    this.scratch = new Uint8Array(spec.layout.stride);
    this.tail = this.scratch.subarray(0, spec.layout.stride - spec.layout.imageBytes);
    this.tailCrcPart = this.tail.subarray(0, spec.layout.crcOffset - spec.layout.imageBytes);
    this.tailView = new DataView(this.tail.buffer, this.tail.byteOffset, this.tail.length);
    this.seed = buildSeed(spec.buildId);
  }

  get backend(): Backend | undefined {
    return this.sources.find(Boolean)?.backend;
  }

  source(shard: number): RecordSource {
    // Called once per record: the path is only built when the source is (path.join was 3% of a batch).
    if (this.sources[shard]) return this.sources[shard];
    const file = this.spec.remote ? this.spec.shardFiles[shard] : path.join(this.spec.dir, this.spec.shardFiles[shard]);
    if (this.spec.fds[shard] < 0) throw new Error(`${file}: read before it was fetched into the cache`);
    return (this.sources[shard] = sourceFromFd(file, this.spec.fds[shard], this.spec.backend, { size: this.spec.shardBytes[shard] }));
  }

  /** Closes one shard's source (a remote shard leaving the cache) before its descriptor is closed. */
  drop(shard: number): void {
    this.sources[shard]?.close();
    this.sources[shard] = undefined;
  }

  /**
   * The whole record of sample `index`, copied into the store's scratch buffer (valid until the next call).
   * Checks CRC and key unless verification is off.
   */
  record(index: number, key: string): Uint8Array {
    const { shard, record } = this.spanner.locate(index);
    const bytes = this.source(shard).read(DATA_OFFSET + record * this.spec.layout.stride, this.spec.layout.stride, this.scratch);
    if (this.spec.verify) {
      const where = { file: this.spec.shardFiles[shard], record, key };
      if (!recordCrcOk(bytes, this.spec.layout, this.crc)) throw this.refused(shard, RECORD_CHECKSUM_MISMATCH, where);
      if (storedKeyCrc(bytes, this.spec.layout) !== keyCrc(key, this.seed)) throw this.refused(shard, RECORD_OF_ANOTHER_KEY, where);
    }
    return bytes;
  }

  /**
   * Copies sample `index`'s image into `image` (imageBytes long) and its labels into `labels` at
   * `labelsAt`, checking CRC and key unless verification is off. The CRC is taken over the copy, which is
   * still in cache, so checking costs far less than a second pass over the mapped record.
   */
  copyRecord(index: number, key: string, image: Uint8Array, labels: Float32Array, labelsAt: number): void {
    const { shard, record } = this.spanner.locate(index);
    const src = this.source(shard);
    const layout = this.spec.layout;
    const offset = DATA_OFFSET + record * layout.stride;
    if (image.length !== layout.imageBytes) throw new RangeError(`image buffer is ${image.length} bytes, a record's image ${layout.imageBytes}`);
    // The record after the image (padding, labels, key CRC, CRC) goes to scratch: one copy (or readv) for both parts.
    src.readSplit(offset, image, this.tail);
    const t = layout.imageBytes; // tail offsets are record offsets minus t
    const dv = this.tailView;
    if (this.spec.verify) {
      const where = { file: this.spec.shardFiles[shard], record, key };
      const crc = this.crc(this.tailCrcPart, this.crc(image)) >>> 0;
      if (crc !== dv.getUint32(layout.crcOffset - t, true)) throw this.refused(shard, RECORD_CHECKSUM_MISMATCH, where);
      if (dv.getUint32(layout.keyCrcOffset - t, true) !== keyCrc(key, this.seed)) throw this.refused(shard, RECORD_OF_ANOTHER_KEY, where);
    }
    for (let j = 0; j < layout.labelCount; j++) labels[labelsAt + j] = dv.getFloat32(layout.labelsOffset - t + 4 * j, true);
  }

  /**
   * The error for a record that failed its check: a CorruptRecordError (which onCorrupt 'skip' may skip),
   * unless the shard's size changed since it was opened, in which case the whole file is not what the
   * dataset was opened on and reading on would be pointless.
   */
  private refused(shard: number, reason: string, where: { file: string; record: number; key: string }): Error {
    const src = this.source(shard);
    const now = src.currentSize();
    if (now !== undefined && now !== src.size) return fileChanged(src.path, now, src.size, `record ${where.record} (key ${where.key}) failed its check`);
    return new CorruptRecordError(reason, where);
  }

  advise(shard: number, hint: AccessHint): void {
    // A remote shard not fetched yet has nothing to advise about: its feed fetches it.
    if (this.spec.fds[shard] < 0 && !this.sources[shard]) return;
    this.source(shard).advise(0, 0, hint);
  }

  close(): void {
    this.sources.forEach((s) => s?.close());
    this.sources.fill(undefined);
  }
}
