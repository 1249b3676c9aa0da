// `shard bench <dir>`: read throughput of the reader for given options, beside raw pread of the same records.
import { closeSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { DATA_OFFSET } from 'shard-format';
import { dropPageCache, shuffleQuality, type Dataset } from 'shard-reader';
import { parseNonNegativeInt, parsePositiveInt } from '../format-units.js';
import { openForCli } from '../open-dataset.js';
import { addReaderFlags, batchOptions, type ReaderFlags } from '../reader-flags.js';

interface BenchFlags extends ReaderFlags {
  seconds: number;
  backend: 'mmap' | 'pread' | 'auto';
  workers: number;
  prefetch: number;
  verify: boolean;
  release: boolean;
  baseline?: boolean;
  cold?: boolean;
  json?: boolean;
}

export function benchCommand(): Command {
  return addReaderFlags(
    new Command('bench')
      .description('measure batch read throughput (samples/s, bytes/s) and shuffle quality')
      .argument('<dir>', 'dataset folder')
      .option('--seconds <n>', 'how long to read', Number, 5)
      .addOption(new Option('--backend <name>', 'record I/O').choices(['mmap', 'pread', 'auto']).default('auto'))
      .option('--workers <n>', 'batch assembly threads (0 = inline)', parseNonNegativeInt('--workers'), 1)
      .option('--prefetch <n>', 'batches assembled ahead', parsePositiveInt('--prefetch'), 4)
      .option('--no-verify', 'skip the per-record CRC check')
      .option('--no-release', 'never hand batch buffers back for reuse (fresh memory for every batch)')
      .option('--baseline', 'also time raw pread of the same records in the same order')
      .option('--cold', 'drop the shards from the page cache first (needs the native addon)')
      .option('--json', 'machine-readable output'),
  ).action(async (dir: string, flags: BenchFlags) => {
    const ds = await openForCli(dir, { backend: flags.backend, workers: flags.workers, verify: flags.verify });
    try {
      const result = await bench(ds, flags);
      if (flags.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
      else
        process.stdout.write(
          `${result.shuffle} batch ${result.batchSize} via ${result.backend}${flags.verify ? '' : ' (no CRC)'}: ${result.samplesPerSec.toFixed(0)} samples/s, ` +
            `${(result.bytesPerSec / 1e6).toFixed(0)} MB/s, ${result.batchesPerSec.toFixed(1)} batches/s` +
            (result.rawPreadSamplesPerSec ? `; raw pread ${result.rawPreadSamplesPerSec.toFixed(0)} samples/s (reader at ${(100 * result.samplesPerSec / result.rawPreadSamplesPerSec).toFixed(0)}%)` : '') +
            `\nshuffle quality: ${result.quality.meanShardsPerBatch.toFixed(2)} shards per batch, position correlation ${result.quality.positionCorrelation.toFixed(3)}\n`,
        );
    } finally {
      await ds.close();
    }
  });
}

async function bench(ds: Dataset, f: BenchFlags) {
  const files = ds.manifest.shards.map((s) => path.join(ds.dir, s.file));
  const dropped = f.cold ? files.every((file) => dropPageCache(file)) : false;
  const opts = batchOptions(f);
  const first = ds.batches({ ...opts, prefetch: f.prefetch });
  const quality = shuffleQuality(first.plan, ds.manifest.recordsPerShard);
  let samples = 0;
  let batches = 0;
  let started = 0;
  let epoch = opts.epoch!;
  let stream = first;
  outer: for (;;) {
    for await (const b of stream) {
      if (started === 0) started = performance.now(); // the first batch pays worker start-up; time the steady state
      else {
        samples += b.indices.length;
        batches++;
      }
      if (f.release) b.release(); // what a trainer does once the batch is consumed
      if (started && performance.now() - started >= f.seconds * 1000) break outer;
    }
    stream = ds.batches({ ...opts, epoch: ++epoch, startBatch: 0, prefetch: f.prefetch });
  }
  const seconds = (performance.now() - started) / 1000;
  const recordBytes = ds.manifest.schema.record.imageBytes;
  const result = {
    dir: ds.dir,
    backend: ds.backend,
    shuffle: opts.shuffle!,
    batchSize: opts.batchSize!,
    workers: f.workers,
    prefetch: f.prefetch,
    verify: f.verify,
    release: f.release,
    cold: dropped,
    seconds,
    samples,
    batches,
    samplesPerSec: samples / seconds,
    bytesPerSec: (samples * recordBytes) / seconds,
    batchesPerSec: batches / seconds,
    quality,
    rawPreadSamplesPerSec: undefined as number | undefined,
  };
  if (f.baseline) result.rawPreadSamplesPerSec = rawPread(ds, files, first.plan.order, f.seconds, opts.batchSize!);
  return result;
}

/** The I/O limit: pread of the same record-sized ranges in the same order into one reused buffer. */
function rawPread(ds: Dataset, files: string[], order: Uint32Array, seconds: number, batchSize: number): number {
  const fds = files.map((file) => openSync(file, 'r'));
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
