// Flags shared by commands that iterate batches the way the reader does (order, bench).
import { Command, Option } from 'commander';
import { SHUFFLE_MODES, type BatchOptions, type BatchStream, type Dataset, type ShuffleMode } from 'shard-reader';
import { asUsage } from './cli-error.js';
import { parseNonNegativeInt, parsePositiveInt } from './format-units.js';

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

export function addReaderFlags(cmd: Command): Command {
  return cmd
    .option('--seed <n>', 'shuffle seed', parseNonNegativeInt, 0)
    .option('--epoch <n>', 'epoch number', parseNonNegativeInt, 0)
    .addOption(new Option('--shuffle <mode>', 'sample order').choices(SHUFFLE_MODES).default('global'))
    .option('--rank <n>', 'this process among --world-size', parseNonNegativeInt, 0)
    .option('--world-size <n>', 'number of ranks sharing the epoch', parsePositiveInt, 1)
    .option('--batch-size <n>', 'samples per batch', parsePositiveInt, 32)
    .option('--start-batch <n>', 'resume at this batch of the epoch', parseNonNegativeInt, 0)
    .option('--drop-last', 'drop the final partial batch')
    .option('--block-shards <n>', 'shards mixed at a time with --shuffle block', parsePositiveInt, 4);
}

export function batchOptions(f: ReaderFlags): BatchOptions {
  return {
    seed: f.seed,
    epoch: f.epoch,
    shuffle: f.shuffle,
    rank: f.rank,
    worldSize: f.worldSize,
    batchSize: f.batchSize,
    startBatch: f.startBatch,
    dropLast: f.dropLast ?? false,
    blockShards: f.blockShards,
  };
}

/**
 * The batch stream for these flags. Building it checks every option against the dataset (rank below
 * world size, start batch within the epoch) without reading a record, so a RangeError here is a bad
 * flag value: a usage error.
 */
export function batchStream(ds: Dataset, options: BatchOptions, helpFor: string): BatchStream {
  return asUsage(helpFor, () => ds.batches(options));
}
