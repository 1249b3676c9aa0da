// Global-shuffle reads from an object store: a batch's records fetched by coalesced range requests, each checked.
import { DATA_OFFSET, buildSeed, keyCrc, recordCrcOk, storedKeyCrc, type Manifest } from 'shard-format';
import { RECORD_CHECKSUM_MISMATCH, RECORD_OF_ANOTHER_KEY } from '../integrity/records.js';
import { CorruptRecordError } from '../store/record-store.js';
import type { ObjectStore } from './object-store.js';

export interface RangeReaderOptions {
  /** Records closer than this many bytes apart are fetched in one request, gap included (default 256 KiB). */
  coalesceGap?: number;
  /** Largest single request (default 16 MiB). */
  maxRequest?: number;
  /** Requests in flight at once (default 8). */
  concurrency?: number;
}

interface Run {
  shard: number;
  start: number;
  end: number;
  /** [position in the request list, record offset in the shard] */
  members: [number, number][];
}

/**
 * Reads whole records (stride bytes) by global sample index. A record whose CRC or key check fails is fetched
 * once more on its own (bytes damaged in transit); failing again it is a CorruptRecordError naming the shard's
 * URL, record and key, exactly as a local read reports it.
 */
export class RangeReader {
  private readonly stride: number;
  private readonly seed: number;
  private readonly gap: number;
  private readonly maxRequest: number;
  private readonly concurrency: number;

  constructor(
    private readonly store: ObjectStore,
    private readonly manifest: Manifest,
    private readonly keys: readonly string[],
    o: RangeReaderOptions = {},
  ) {
    this.stride = manifest.schema.record.stride;
    this.seed = buildSeed(manifest.buildId);
    this.gap = o.coalesceGap ?? 256 * 1024;
    this.maxRequest = Math.max(o.maxRequest ?? 16 * 1024 * 1024, this.stride);
    this.concurrency = o.concurrency ?? 8;
  }

  /** Runs of byte ranges that cover `indices` in as few requests as the gap and size limits allow. */
  plan(indices: ArrayLike<number>): Run[] {
    const per = this.manifest.recordsPerShard;
    const items = Array.from(indices, (g, pos) => ({ pos, shard: Math.floor(g / per), offset: DATA_OFFSET + (g % per) * this.stride }));
    items.sort((a, b) => a.shard - b.shard || a.offset - b.offset);
    const runs: Run[] = [];
    for (const it of items) {
      const last = runs[runs.length - 1];
      const end = it.offset + this.stride;
      if (last && last.shard === it.shard && it.offset - last.end <= this.gap && Math.max(end, last.end) - last.start <= this.maxRequest) {
        last.end = Math.max(last.end, end);
        last.members.push([it.pos, it.offset]);
      } else runs.push({ shard: it.shard, start: it.offset, end, members: [[it.pos, it.offset]] });
    }
    return runs;
  }

  /**
   * The records of `indices`, in that order, each `stride` bytes, checked. With `keepBad`, a record still
   * bad after its re-read is returned as it is (for a caller that reports and skips it) instead of thrown.
   */
  async read(indices: ArrayLike<number>, keepBad = false): Promise<Uint8Array[]> {
    const out: Uint8Array[] = new Array(indices.length);
    const runs = this.plan(indices);
    let next = 0;
    const worker = async () => {
      for (let r = next++; r < runs.length; r = next++) {
        const run = runs[r];
        const file = this.manifest.shards[run.shard].file;
        const bytes = await this.store.getRange(file, run.start, run.end - run.start);
        for (const [pos, offset] of run.members) {
          const rec = bytes.subarray(offset - run.start, offset - run.start + this.stride);
          out[pos] = this.check(indices[pos], rec) ? rec : await this.reread(indices[pos], file, offset, keepBad);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, runs.length) }, worker));
    return out;
  }

  private check(index: number, rec: Uint8Array): boolean {
    const layout = this.manifest.schema.record;
    return recordCrcOk(rec, layout) && storedKeyCrc(rec, layout) === keyCrc(this.keys[index], this.seed);
  }

  private async reread(index: number, file: string, offset: number, keepBad: boolean): Promise<Uint8Array> {
    const rec = await this.store.getRange(file, offset, this.stride);
    if (this.check(index, rec) || keepBad) return rec;
    const layout = this.manifest.schema.record;
    const record = (offset - DATA_OFFSET) / this.stride;
    const where = { file: this.store.urlOf(file), record, key: this.keys[index] };
    if (!recordCrcOk(rec, layout)) throw new CorruptRecordError(RECORD_CHECKSUM_MISMATCH, where);
    throw new CorruptRecordError(RECORD_OF_ANOTHER_KEY, where);
  }
}
