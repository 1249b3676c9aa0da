// The DICOM series order a build writes into index metadata (`series`, `position`), gathered while
// the indexes are loaded: 8 bytes a sample, and nothing at all for datasets without it (PNG, NIfTI).
import type { SampleMeta } from 'shard-format';

/** Per sample: its DICOM series number and rank in it, -1 for samples without (ordered by folder). */
export interface SeriesOrder {
  series: Int32Array;
  position: Int32Array;
}

/** Collects the order of each shard's samples as its index is decoded (shards may arrive in any order). */
export class SeriesOrderCollector {
  private order: SeriesOrder | undefined;

  constructor(private readonly size: number) {}

  note(firstSample: number, meta: readonly SampleMeta[] | undefined): void {
    if (!meta) return;
    for (let r = 0; r < meta.length; r++) {
      const m = meta[r];
      if (m.series === undefined || m.position === undefined) continue;
      this.order ??= { series: new Int32Array(this.size).fill(-1), position: new Int32Array(this.size).fill(-1) };
      this.order.series[firstSample + r] = m.series;
      this.order.position[firstSample + r] = m.position;
    }
  }

  result(): SeriesOrder | undefined {
    return this.order;
  }
}
