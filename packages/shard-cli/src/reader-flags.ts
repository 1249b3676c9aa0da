// Flags shared by commands that iterate batches the way the reader does (order, bench). Defaults and
// checks are the reader's own (BATCH_DEFAULTS, resolveBatchOptions); only the names in messages are flags.
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  BATCH_DEFAULTS,
  SHUFFLE_MODES,
  defaultReaderWorkers,
  resolveBatchOptions,
  resolveReaderWorkers,
  type BatchOptions,
  type BatchStream,
  type Dataset,
  type OptionName,
  type ResolvedBatchOptions,
  type ShuffleMode,
} from 'shard-reader';
import { asUsage } from './cli-error.js';

export interface ReaderFlags {
  seed: number;
  epoch: number;
  shuffle: ShuffleMode;
  rank: number;
  worldSize: number;
  batchSize: number;
  startBatch: number;
  dropLast?: boolean;
  blockShards: number;
}

/** An integer as typed; whether it is in range is the reader's to say (resolveBatchOptions), in its words. */
export function parseInteger(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(n)) throw new InvalidArgumentError('must be an integer');
  return n;
}

/** A reader option as the user typed it: batchSize -> --batch-size. */
export const flagName: OptionName = (field) => `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

export function addReaderFlags(cmd: Command): Command {
  const d = BATCH_DEFAULTS;
  return cmd
    .option('--seed <n>', 'shuffle seed', parseInteger, d.seed)
    .option('--epoch <n>', 'epoch number', parseInteger, d.epoch)
    .addOption(new Option('--shuffle <mode>', 'sample order').choices(SHUFFLE_MODES).default(d.shuffle))
    .option('--rank <n>', 'this process among --world-size', parseInteger, d.rank)
    .option('--world-size <n>', 'number of ranks sharing the epoch', parseInteger, d.worldSize)
    .option('--batch-size <n>', 'samples per batch', parseInteger, d.batchSize)
    .option('--start-batch <n>', 'resume at this batch of the epoch', parseInteger, d.startBatch)
    .option('--drop-last', 'drop the final partial batch')
    .option('--block-shards <n>', 'shards mixed at a time with --shuffle block', parseInteger, d.blockShards);
}

/**
 * `--workers` of a command that reads: reader batch workers (threads assembling batches), not the
 * build's decode workers. Its default and range are openDataset's (resolveReaderWorkers).
 */
export function readerWorkersOption(): Option {
  return new Option('--workers <n>', 'reader batch workers: threads assembling batches (0 = inline)').argParser(parseInteger).default(defaultReaderWorkers(), 'one per core, up to 4');
}

export function readerWorkers(workers: number, helpFor: string): number {
  return asUsage(helpFor, () => resolveReaderWorkers(workers, flagName));
}

/** The batch options for these flags (and `extra` from the command's own flags), checked as batches() checks them: a bad value is a usage error naming its flag. */
export function batchOptions(f: ReaderFlags, helpFor: string, extra: Pick<BatchOptions, 'prefetch' | 'context'> = {}): ResolvedBatchOptions {
  const o: BatchOptions = {
    seed: f.seed,
    epoch: f.epoch,
    shuffle: f.shuffle,
    rank: f.rank,
    worldSize: f.worldSize,
    batchSize: f.batchSize,
    startBatch: f.startBatch,
    dropLast: f.dropLast ?? false,
    blockShards: f.blockShards,
    ...extra,
  };
  return asUsage(helpFor, () => resolveBatchOptions(o, flagName));
}

/**
 * The batch stream for these options. Building it checks what depends on the dataset (start batch
 * within the epoch) without reading a record, so a RangeError here is a bad flag value: a usage error.
 */
export function batchStream(ds: Dataset, options: BatchOptions, helpFor: string): BatchStream {
  return asUsage(helpFor, () => ds.batches(options));
}
