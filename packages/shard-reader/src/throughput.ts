// Measures read throughput: the reader's batches for a while, and the raw pread limit of the same records.
import { closeSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { DATA_OFFSET } from 'shard-format';
import type { BatchOptions } from './batch/batch-stream.js';
import { BATCH_DEFAULTS } from './batch/options.js';
import type { Dataset } from './dataset/dataset.js';

export interface ThroughputOptions extends BatchOptions {
  /** How long to read (epochs follow one another). */
  seconds: number;
  /** Stop earlier after this many samples (e.g. one epoch of cold data). */
  maxSamples?: number;
  /** Hand each batch back for reuse, as a trainer that is done with it does (default true). */
  release?: boolean;
}

export interface Throughput {
  seconds: number;
  samples: number;
  batches: number;
  samplesPerSec: number;
  /** Image bytes delivered per second. */
  bytesPerSec: number;
  batchesPerSec: number;
}

/** Reads batches for `seconds` once the worker threads are up: the steady state, not start-up. */
export async function measureThroughput(ds: Dataset, o: ThroughputOptions): Promise<Throughput> {
  await ds.ready();
  let samples = 0;
  let batches = 0;
  const started = performance.now();
  let epoch = o.epoch ?? BATCH_DEFAULTS.epoch;
  const limit = o.maxSamples ?? Infinity;
  outer: for (let stream = ds.batches(o); ; stream = ds.batches({ ...o, epoch: ++epoch, startBatch: 0 })) {
    for await (const b of stream) {
      samples += b.keys.length;
      batches++;
      if (o.release ?? true) b.release();
      if (performance.now() - started >= o.seconds * 1000 || samples >= limit) break outer;
    }
    if (stream.batchesPerEpoch === 0) break;
  }
  const seconds = (performance.now() - started) / 1000;
  const imageBytes = ds.manifest.schema.record.imageBytes;
  return { seconds, samples, batches, samplesPerSec: samples / seconds, bytesPerSec: (samples * imageBytes) / seconds, batchesPerSec: batches / seconds };
}

/**
 * The I/O limit the reader is compared with: plain pread of the same record-sized ranges, in the same
 * order, into one reused buffer, on one thread. Returns samples per second.
 */
export function rawPreadRate(ds: Dataset, order: Uint32Array, seconds: number, batchSize: number): number {
  const fds = ds.manifest.shards.map((s) => openSync(path.join(ds.dir, s.file), 'r'));
  const { stride, imageBytes } = ds.manifest.schema.record;
  const perShard = ds.manifest.recordsPerShard;
  const buf = Buffer.alloc(batchSize * imageBytes);
  let n = 0;
  const started = performance.now();
  try {
    while (performance.now() - started < seconds * 1000) {
      for (let k = 0; k < 256; k++) {
        const i = order[n % order.length];
        readSync(fds[Math.floor(i / perShard)], buf, (n % batchSize) * imageBytes, imageBytes, DATA_OFFSET + (i % perShard) * stride);
        n++;
      }
    }
  } finally {
    fds.forEach((fd) => closeSync(fd));
  }
  return n / ((performance.now() - started) / 1000);
}
