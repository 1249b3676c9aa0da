// Reads records by global index from shard sources made lazily from the dataset's open descriptors,
// checking each record's CRC and key.
import path from 'node:path';
import { DATA_OFFSET, FormatError, buildSeed, keyCrc, recordCrcOk, storedKeyCrc, type RecordLayout } from 'shard-format';
import { RECORD_CHECKSUM_MISMATCH, RECORD_OF_ANOTHER_KEY } from '../integrity/records.js';
import { loadMmapAddon, type MappingHandle } from '../io/addon.js';
import { fastCrc32 } from '../io/crc.js';
import { fileChanged } from '../io/file-changed.js';
import { mappingOf } from '../io/mmap-source.js';
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
   * files the dataset was opened on, whatever is renamed over their names later. A remote dataset's worker
   * threads get an Int32Array over shared memory: the main thread sets a shard's entry when it is fetched.
   */
  fds: readonly number[] | Int32Array;
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
/** What a record-by-record gather needs: a copy of one record and the record layout. */
export type RecordCopier = Pick<RecordStore, 'copyRecord'> & { readonly spec: { readonly layout: RecordLayout } };

/**
 * gather() one record at a time (pread, remote records): the same results, errors and skipping as the native
 * gather. Returns how many records were written; a skipped corrupt record leaves no gap.
 */
export function gatherEach(store: RecordCopier, indices: Uint32Array, keys: readonly string[], images: Uint8Array, labels: Float32Array, skip?: (position: number, err: CorruptRecordError) => void): number {
  const { imageBytes, labelCount } = store.spec.layout;
  let out = 0;
  for (let i = 0; i < indices.length; i++) {
    try {
      store.copyRecord(indices[i], keys[i], images.subarray(out * imageBytes, (out + 1) * imageBytes), labels, out * labelCount);
    } catch (err) {
      if (!(skip && err instanceof CorruptRecordError)) throw err;
      skip(i, err);
      continue;
    }
    out++;
  }
  return out;
}

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
  /** The batch gather's per-record arguments, reused across batches (grown to the largest batch). */
  private gatherArgs: { shards: Uint32Array; offsets: Float64Array; keyCrcs: Uint32Array } | undefined;
  /** Mapping handles by shard for the batch gather; a hole until the shard's source is made. */
  private readonly handles: (MappingHandle | undefined)[] = [];
  private readonly layoutArg: Uint32Array;
  private readonly addon = loadMmapAddon();

  constructor(readonly spec: StoreSpec) {
    this.sources = new Array(spec.shardFiles.length);
    this.spanner = new Spanner(spec.size, spec.perShard);
    this.scratch = new Uint8Array(spec.layout.stride);
    this.tail = this.scratch.subarray(0, spec.layout.stride - spec.layout.imageBytes);
    this.tailCrcPart = this.tail.subarray(0, spec.layout.crcOffset - spec.layout.imageBytes);
    this.tailView = new DataView(this.tail.buffer, this.tail.byteOffset, this.tail.length);
    this.seed = buildSeed(spec.buildId);
    const l = spec.layout;
    this.layoutArg = Uint32Array.of(l.imageBytes, l.stride, l.labelsOffset, l.labelCount, l.keyCrcOffset, l.crcOffset);
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
    this.handles[shard] = undefined;
  }

  /**
   * Copies the records of samples indices[i] (keys[i]) into `images` (imageBytes each, back to back) and
   * their labels into `labels` (labelCount each), checking CRC and key unless verification is off, and
   * returns how many were written. With mmap this is one native call for the whole batch, the CRC taken in
   * the same pass as the copy (addon.gather); otherwise (pread) one copyRecord per record. A record that
   * fails its check throws, or, when `skip` is given and the record is corrupt (not a changed file), is
   * reported to it and left out: the records after it move up one slot.
   */
  gather(indices: Uint32Array, keys: readonly string[], images: Uint8Array, labels: Float32Array, skip?: (position: number, err: CorruptRecordError) => void): number {
    const n = indices.length;
    const { imageBytes, labelCount, stride } = this.spec.layout;
    if (images.length < n * imageBytes) throw new RangeError(`images holds ${images.length} bytes, ${n} records need ${n * imageBytes}`);
    if (labels.length < n * labelCount) throw new RangeError(`labels holds ${labels.length} values, ${n} records need ${n * labelCount}`);
    const args = this.gatherArgsFor(indices, keys);
    if (!args) return gatherEach(this, indices, keys, images, labels, skip);
    return this.gatherNative(args, keys, images, labels, skip);
  }

  /**
   * Context batches with mmap: indices hold `width` slices per sample; each sample's slices are gathered and
   * stacked as channels (pixelBytes per pixel) into `images` in the same native call, the slices' labels
   * into `labels` (width x labelCount per sample). False, with nothing read, when the records are not all
   * memory-mapped: the caller then gathers and stacks in two steps. A record failing its check throws.
   */
  gatherStacked(indices: Uint32Array, keys: readonly string[], width: number, pixelBytes: number, images: Uint8Array, labels: Float32Array): boolean {
    const { imageBytes, labelCount } = this.spec.layout;
    if (images.length < indices.length * imageBytes || labels.length < indices.length * labelCount) throw new RangeError(`outputs cannot hold ${indices.length} records`);
    const args = this.gatherArgsFor(indices, keys);
    if (!args) return false;
    this.gatherNative(args, keys, images, labels, undefined, width, pixelBytes);
    return true;
  }

  private gatherNative(args: { shards: Uint32Array; offsets: Float64Array; keyCrcs: Uint32Array }, keys: readonly string[], images: Uint8Array, labels: Float32Array, skip?: (position: number, err: CorruptRecordError) => void, width?: number, pixelBytes?: number): number {
    const { imageBytes, labelCount, stride } = this.spec.layout;
    const { shards, offsets, keyCrcs } = args;
    const n = shards.length;
    let start = 0;
    let out = 0; // records written: behind start once corrupt ones are left out
    while (start < n) {
      let r: number;
      try {
        r = this.addon!.gather(this.handles, shards.subarray(start, n), offsets.subarray(start, n), images.subarray(out * imageBytes), labels.subarray(out * labelCount), this.spec.verify ? keyCrcs.subarray(start, n) : null, this.layoutArg, width, pixelBytes);
      } catch (err) {
        const e = err as { code?: string; record?: number; faultOffset?: number };
        if (e.code !== 'ERR_SHARD_MAPPING_FAULT') throw err;
        const src = this.source(shards[start + e.record!]);
        throw fileChanged(src.path, src.currentSize(), src.size, `SIGBUS reading byte ${e.faultOffset} of its mapping`);
      }
      if (r < 0) return out + n - start;
      const at = start + Math.floor(r / 4);
      out += at - start;
      const shard = shards[at];
      const where = { file: this.spec.shardFiles[shard], record: (offsets[at] - DATA_OFFSET) / stride, key: keys[at] };
      const err = this.refused(shard, r % 4 === 1 ? RECORD_CHECKSUM_MISMATCH : RECORD_OF_ANOTHER_KEY, where);
      if (!(skip && err instanceof CorruptRecordError)) throw err;
      skip(at, err);
      start = at + 1;
    }
    return out;
  }

  /**
   * The native gather's per-record arguments (shard, byte offset, expected key CRC), or undefined when a
   * record's shard is not memory-mapped (pread backend, no addon), which then reads record by record.
   */
  private gatherArgsFor(indices: Uint32Array, keys: readonly string[]): { shards: Uint32Array; offsets: Float64Array; keyCrcs: Uint32Array } | undefined {
    if (!this.addon) return undefined;
    const n = indices.length;
    if (!this.gatherArgs || this.gatherArgs.shards.length < n) {
      this.gatherArgs = { shards: new Uint32Array(n), offsets: new Float64Array(n), keyCrcs: new Uint32Array(n) };
    }
    const { shards, offsets, keyCrcs } = this.gatherArgs;
    const { perShard, size } = this.spec;
    const stride = this.spec.layout.stride;
    const verify = this.spec.verify;
    for (let i = 0; i < n; i++) {
      const index = indices[i];
      if (index >= size) throw new RangeError(`sample ${index} is outside 0..${size - 1}`);
      const shard = Math.floor(index / perShard);
      if (this.handles[shard] === undefined) {
        const handle = mappingOf(this.source(shard));
        if (!handle) return undefined;
        this.handles[shard] = handle;
      }
      shards[i] = shard;
      offsets[i] = DATA_OFFSET + (index - shard * perShard) * stride;
      if (verify) keyCrcs[i] = keyCrc(keys[i], this.seed);
    }
    return { shards: shards.subarray(0, n), offsets: offsets.subarray(0, n), keyCrcs: keyCrcs.subarray(0, n) };
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
    this.handles.length = 0;
  }
}
