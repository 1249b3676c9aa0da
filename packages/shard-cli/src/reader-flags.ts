// Flags shared by commands that iterate batches the way the reader does (order, bench).
import { Command, Option } from 'commander';
import { SHUFFLE_MODES, type BatchOptions, type ShuffleMode } from 'shard-reader';
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
    .option('--seed <n>', 'shuffle seed', parseNonNegativeInt('--seed'), 0)
    .option('--epoch <n>', 'epoch number', parseNonNegativeInt('--epoch'), 0)
    .addOption(new Option('--shuffle <mode>', 'sample order').choices(SHUFFLE_MODES).default('global'))
    .option('--rank <n>', 'this process among --world-size', parseNonNegativeInt('--rank'), 0)
    .option('--world-size <n>', 'number of ranks sharing the epoch', parsePositiveInt('--world-size'), 1)
    .option('--batch-size <n>', 'samples per batch', parsePositiveInt('--batch-size'), 32)
    .option('--start-batch <n>', 'resume at this batch of the epoch', parseNonNegativeInt('--start-batch'), 0)
    .option('--drop-last', 'drop the final partial batch')
    .option('--block-shards <n>', 'shards mixed at a time with --shuffle block', parsePositiveInt('--block-shards'), 4);
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
