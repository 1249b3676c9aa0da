// `shard bench <dir>`: read throughput of the reader for given options, beside raw pread of the same records.
import path from 'node:path';
import { Command, Option } from 'commander';
import { BATCH_DEFAULTS, dropPageCache, measureThroughput, rawPreadRate, shuffleQuality, type Dataset, type ResolvedBatchOptions } from 'shard-reader';
import { parsePositiveNumber } from '../format-units.js';
import { addRemoteFlags, datasetLocation, openForCli, type RemoteFlags } from '../open-dataset.js';
import { addReaderFlags, batchOptions, batchStream, parseInteger, readerWorkers, readerWorkersOption, type ReaderFlags } from '../reader-flags.js';

interface BenchFlags extends ReaderFlags, RemoteFlags {
  seconds: number;
  backend: 'mmap' | 'pread' | 'auto';
  workers: number;
  prefetch: number;
  verify: boolean;
  release: boolean;
  baseline?: boolean;
  cold?: boolean;
  json?: boolean;
  context: number;
}

export function benchCommand(): Command {
  return addRemoteFlags(addReaderFlags(
    new Command('bench')
      .description('measure batch read throughput (samples/s, bytes/s) and shuffle quality')
      .argument('<dir>', 'dataset folder, s3://bucket/prefix or https://host/path/')
      .option('--seconds <n>', 'how long to read', parsePositiveNumber, 5)
      .addOption(new Option('--backend <name>', 'record I/O').choices(['mmap', 'pread', 'auto']).default('auto'))
      .addOption(readerWorkersOption())
      .option('--prefetch <n>', 'batches assembled ahead', parseInteger, BATCH_DEFAULTS.prefetch)
      .option('--no-verify', 'skip the per-record CRC check')
      .option('--no-release', 'never hand batch buffers back for reuse (fresh memory for every batch)')
      .option('--baseline', 'also time raw pread of the same records in the same order')
      .option('--cold', 'drop the shards from the page cache first (needs the native addon)')
      .option('--context <k>', 'read each sample with its k series neighbours on each side (reader option context)', parseInteger, BATCH_DEFAULTS.context)
      .option('--json', 'machine-readable output'),
  )).action(async (dirArg: string, flags: BenchFlags) => {
    // Bad flags before any dataset is opened.
    const workers = readerWorkers(flags.workers, 'shard bench');
    const opts = batchOptions(flags, 'shard bench', { prefetch: flags.prefetch, context: flags.context });
    const ds = await openForCli(datasetLocation(dirArg), { backend: flags.backend, workers, verify: flags.verify }, flags);
    try {
      const result = await bench(ds, flags, opts);
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

async function bench(ds: Dataset, f: BenchFlags, opts: ResolvedBatchOptions) {
  const files = ds.manifest.shards.map((s) => path.join(ds.dir, s.file));
  // A remote dataset's cold start is its cache: use an empty --cache-dir for it.
  const dropped = f.cold && !ds.isRemote ? files.every((file) => dropPageCache(file)) : false;
  const plan = batchStream(ds, opts, 'shard bench').plan;
  const t = await measureThroughput(ds, { ...opts, seconds: f.seconds, release: f.release });
  return {
    dir: ds.dir,
    backend: ds.backend,
    shuffle: opts.shuffle,
    batchSize: opts.batchSize,
    workers: ds.isRemote ? 0 : f.workers, // remote datasets assemble on the main thread
    prefetch: f.prefetch,
    verify: f.verify,
    release: f.release,
    context: f.context,
    cold: dropped,
    ...t,
    quality: shuffleQuality(plan, ds.manifest.recordsPerShard),
    rawPreadSamplesPerSec: f.baseline && !ds.isRemote ? rawPreadRate(ds, plan.order, f.seconds, opts.batchSize) : undefined,
  };
}
