// Batch assembly for global shuffle over an object store: each batch's records fetched by ranges, then assembled.
import { buildSeed, keyCrc, type Manifest } from 'shard-format';
import { assembleBatch, type BatchRequest, type ImageSpec, type RecordReader } from '../batch/assemble.js';
import { BufferPool } from '../batch/buffer-pool.js';
import type { AssembledBatch, BatchExecutor } from '../batch/executor.js';
import { CorruptRecordError } from '../store/record-store.js';
import { fastCrc32 } from '../io/crc.js';
import { RECORD_CHECKSUM_MISMATCH, RECORD_OF_ANOTHER_KEY } from '../integrity/records.js';
import type { ObjectStore } from './object-store.js';
import type { RangeReader } from './range-reader.js';

/** One batch's fetched records, read the way a RecordStore reads a shard: CRC and key checked on copy. */
class FetchedRecords implements RecordReader {
  private readonly crc = fastCrc32();
  private readonly seed: number;
  readonly spec: { layout: Manifest['schema']['record'] };

  constructor(
    private readonly manifest: Manifest,
    private readonly store: ObjectStore,
    private readonly records: Map<number, Uint8Array>,
    private readonly verify: boolean,
  ) {
    this.spec = { layout: manifest.schema.record };
    this.seed = buildSeed(manifest.buildId);
  }

  copyRecord(index: number, key: string, image: Uint8Array, labels: Float32Array, labelsAt: number): void {
    const layout = this.spec.layout;
    const rec = this.records.get(index)!;
    image.set(rec.subarray(0, layout.imageBytes));
    const dv = new DataView(rec.buffer, rec.byteOffset, rec.length);
    if (this.verify) {
      const shard = Math.floor(index / this.manifest.recordsPerShard);
      const where = { file: this.store.urlOf(this.manifest.shards[shard].file), record: index % this.manifest.recordsPerShard, key };
      if ((this.crc(rec.subarray(0, layout.crcOffset)) >>> 0) !== dv.getUint32(layout.crcOffset, true)) throw new CorruptRecordError(RECORD_CHECKSUM_MISMATCH, where);
      if (dv.getUint32(layout.keyCrcOffset, true) !== keyCrc(key, this.seed)) throw new CorruptRecordError(RECORD_OF_ANOTHER_KEY, where);
    }
    for (let j = 0; j < layout.labelCount; j++) labels[labelsAt + j] = dv.getFloat32(layout.labelsOffset + 4 * j, true);
  }

  advise(): void {}
}

export class RangeExecutor implements BatchExecutor {
  private readonly pool = new BufferPool();
  private readonly scratch = new BufferPool(1);

  constructor(
    private readonly reader: RangeReader,
    private readonly store: ObjectStore,
    private readonly manifest: Manifest,
    private readonly image: ImageSpec,
    private readonly verify: boolean,
  ) {}

  async run(req: BatchRequest): Promise<AssembledBatch> {
    // With context, each sample's series neighbours are read too (the same coalesced requests).
    const wanted = req.context ? [...new Set([...req.indices, ...req.context.neighbours])] : [...req.indices];
    const fetched = await this.reader.read(wanted, req.skipCorrupt === true || !this.verify);
    const records = new Map<number, Uint8Array>();
    fetched.forEach((r, i) => records.set(wanted[i], r));
    const data = assembleBatch(new FetchedRecords(this.manifest, this.store, records, this.verify), req, this.image, this.pool, this.scratch);
    return { ...data, recycle: () => [data.images.buffer, data.labels.buffer].forEach((b) => this.pool.give(b as ArrayBuffer)) };
  }

  async ready(): Promise<void> {}

  async close(): Promise<void> {}
}
