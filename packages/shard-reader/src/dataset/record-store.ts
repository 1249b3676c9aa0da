// Reads records by global index from lazily opened shard sources, checking each record's CRC and key.
import path from 'node:path';
import { DATA_OFFSET, FormatError, buildSeed, keyCrc, recordCrcOk, storedKeyCrc, type RecordLayout } from 'shard-format';
import { fastCrc32 } from '../io/native.js';
import { openSource } from '../io/open-source.js';
import type { AccessHint, Backend, BackendChoice, RecordSource } from '../io/types.js';
import { Spanner } from './spanner.js';

/** What a store needs to know; plain data so it can be posted to a worker thread. */
export interface StoreSpec {
  dir: string;
  /** Shard names as errors give them (file names in `dir`; URLs for a remote dataset). */
  shardFiles: string[];
  /** Where each shard is opened, when not `dir`/shardFiles (a remote dataset's cached copies; filled as fetched). */
  paths?: (string | undefined)[];
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

/** An intact record whose key CRC does not match: another sample's record, or another build's. */
const ANOTHER = 'record belongs to another key or another build (shard replaced or changed since the manifest was written)';

export class RecordStore {
  private readonly sources: (RecordSource | undefined)[];
  private readonly spanner: Spanner;
  private readonly scratch: Uint8Array;
  private readonly crc = fastCrc32();
  private readonly seed: number;

  constructor(readonly spec: StoreSpec) {
    this.sources = new Array(spec.shardFiles.length);
    this.spanner = new Spanner(spec.size, spec.perShard);
    this.scratch = new Uint8Array(spec.layout.stride);
    this.seed = buildSeed(spec.buildId);
  }

  get backend(): Backend | undefined {
    return this.sources.find(Boolean)?.backend;
  }

  source(shard: number): RecordSource {
    if (this.sources[shard]) return this.sources[shard];
    const paths = this.spec.paths;
    if (paths && paths[shard] === undefined) throw new Error(`${this.spec.shardFiles[shard]}: read before it was fetched into the cache`);
    return (this.sources[shard] = openSource(paths?.[shard] ?? path.join(this.spec.dir, this.spec.shardFiles[shard]), this.spec.backend));
  }

  /** Closes one shard's source (a remote shard leaving the cache); the next read opens it again. */
  drop(shard: number): void {
    this.sources[shard]?.close();
    this.sources[shard] = undefined;
  }

  /**
   * The whole record of sample `index` (a zero-copy view with mmap, else the store's scratch buffer:
   * valid until the next call). Checks CRC and key unless verification is off.
   */
  record(index: number, key: string): Uint8Array {
    const { shard, record } = this.spanner.locate(index);
    const src = this.source(shard);
    const offset = DATA_OFFSET + record * this.spec.layout.stride;
    const bytes = src.view ? src.view(offset, this.spec.layout.stride) : src.read(offset, this.spec.layout.stride, this.scratch);
    if (this.spec.verify) {
      const where = { file: this.spec.shardFiles[shard], record, key };
      if (!recordCrcOk(bytes, this.spec.layout, this.crc)) throw new CorruptRecordError('record checksum mismatch (corrupted bytes)', where);
      if (storedKeyCrc(bytes, this.spec.layout) !== keyCrc(key, this.seed)) throw new CorruptRecordError(ANOTHER, where);
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
    let tail: Uint8Array; // the record after the image: padding, labels, key CRC, CRC
    if (src.view) {
      const view = src.view(offset, layout.stride);
      image.set(view.subarray(0, layout.imageBytes));
      tail = view.subarray(layout.imageBytes);
    } else {
      src.read(offset, layout.imageBytes, image);
      tail = src.read(offset + layout.imageBytes, layout.stride - layout.imageBytes, this.scratch);
    }
    const t = layout.imageBytes; // tail offsets are record offsets minus t
    const dv = new DataView(tail.buffer, tail.byteOffset, tail.length);
    if (this.spec.verify) {
      const where = { file: this.spec.shardFiles[shard], record, key };
      const crc = this.crc(tail.subarray(0, layout.crcOffset - t), this.crc(image)) >>> 0;
      if (crc !== dv.getUint32(layout.crcOffset - t, true)) throw new CorruptRecordError('record checksum mismatch (corrupted bytes)', where);
      if (dv.getUint32(layout.keyCrcOffset - t, true) !== keyCrc(key, this.seed)) throw new CorruptRecordError(ANOTHER, where);
    }
    for (let j = 0; j < layout.labelCount; j++) labels[labelsAt + j] = dv.getFloat32(layout.labelsOffset - t + 4 * j, true);
  }

  advise(shard: number, hint: AccessHint): void {
    // A remote shard not fetched yet has nothing to advise about: its feed fetches it.
    if (this.spec.paths && this.spec.paths[shard] === undefined && !this.sources[shard]) return;
    this.source(shard).advise(0, 0, hint);
  }

  close(): void {
    this.sources.forEach((s) => s?.close());
    this.sources.fill(undefined);
  }
}
