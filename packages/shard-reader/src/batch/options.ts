// The reader's options and defaults, defined once: resolveBatchOptions (what batches() takes) and the
// batch-worker count (what openDataset takes), used by the reader itself and by the CLI's flags.
import os from 'node:os';
import { checkAugment, type AugmentOptions } from '../augment/augment.js';
import { BALANCE_MODES, type BalanceMode } from '../sampler/index.js';
import { SHUFFLE_MODES, type ShuffleMode } from '../shuffle/index.js';
import type { FloatOutput } from './assemble.js';

export interface BatchOptions {
  batchSize?: number;
  seed?: number;
  epoch?: number;
  shuffle?: ShuffleMode;
  rank?: number;
  worldSize?: number;
  /** Drop the final partial batch (on every rank) instead of yielding it short. */
  dropLast?: boolean;
  /** Resume: the first batch to yield; earlier ones are never read. */
  startBatch?: number;
  /** Shards mixed at a time in block mode. */
  blockShards?: number;
  /** Batches assembled ahead of the consumer. */
  prefetch?: number;
  /** Seeded augmentation; leave unset for validation. */
  augment?: AugmentOptions | null;
  /** Float32 images (value * scale + offset) instead of the stored dtype; used by the tfjs adapter. */
  float?: FloatOutput;
  /**
   * Context slices: each sample comes with its `context` neighbours on each side within its series
   * (its folder), as channels: C becomes (2 x context + 1) x C, the sample itself in the middle.
   */
  context?: number;
  /**
   * Per-sample weights (one per sample, in manifest order): the epoch is then `size` draws with
   * probability proportional to weight, not a permutation (a sample may come several times or not at all).
   */
  weights?: ArrayLike<number> | null;
  /** Weights computed from the index labels: 'labels' draws each label (and 'no label') about equally often. */
  balance?: BalanceMode | null;
}

/** Every default of batches(), in one place (the CLI's --help shows these). */
export const BATCH_DEFAULTS = {
  batchSize: 32,
  seed: 0,
  epoch: 0,
  shuffle: 'global',
  rank: 0,
  worldSize: 1,
  dropLast: false,
  startBatch: 0,
  blockShards: 4,
  prefetch: 4,
  context: 0,
} as const satisfies BatchOptions;

/** The most context slices on each side a sample can have. */
export const MAX_CONTEXT = 64;

export type ResolvedBatchOptions = Required<Omit<BatchOptions, 'float'>> & Pick<BatchOptions, 'float'>;

/** How an option is named in error messages: the API field by default; the CLI passes its flag names. */
export type OptionName = (field: keyof BatchOptions | 'workers') => string;

const asField: OptionName = (field) => field;

/**
 * Applies the defaults and checks every value on its own (integers in range, known modes, rank below
 * worldSize, weights or balance but not both). Throws a RangeError naming the option by `name`. What
 * depends on the dataset (startBatch within the epoch, one weight per sample) is checked by batches().
 */
export function resolveBatchOptions(o: BatchOptions = {}, name: OptionName = asField): ResolvedBatchOptions {
  const d = BATCH_DEFAULTS;
  const r: ResolvedBatchOptions = {
    batchSize: o.batchSize ?? d.batchSize,
    seed: o.seed ?? d.seed,
    epoch: o.epoch ?? d.epoch,
    shuffle: o.shuffle ?? d.shuffle,
    rank: o.rank ?? d.rank,
    worldSize: o.worldSize ?? d.worldSize,
    dropLast: o.dropLast ?? d.dropLast,
    startBatch: o.startBatch ?? d.startBatch,
    blockShards: o.blockShards ?? d.blockShards,
    prefetch: o.prefetch ?? d.prefetch,
    augment: o.augment ?? null,
    float: o.float,
    context: o.context ?? d.context,
    weights: o.weights ?? null,
    balance: o.balance ?? null,
  };
  const int = (field: keyof BatchOptions, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const v = r[field];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
      throw new RangeError(`${name(field)} must be an integer ${range} (got ${String(v)})`);
    }
  };
  int('batchSize', 1);
  int('seed', 0);
  int('epoch', 0);
  int('worldSize', 1);
  int('rank', 0);
  int('startBatch', 0);
  int('blockShards', 1);
  int('prefetch', 1);
  int('context', 0, MAX_CONTEXT);
  if (r.rank >= r.worldSize) throw new RangeError(`${name('rank')} ${r.rank} must be below ${name('worldSize')} ${r.worldSize}`);
  if (!SHUFFLE_MODES.includes(r.shuffle)) throw new RangeError(`${name('shuffle')} must be one of ${SHUFFLE_MODES.join(', ')} (got ${String(r.shuffle)})`);
  if (typeof r.dropLast !== 'boolean') throw new RangeError(`${name('dropLast')} must be true or false (got ${String(r.dropLast)})`);
  if (r.weights && r.balance) throw new RangeError(`give ${name('weights')} or ${name('balance')}, not both`);
  if (r.balance && !BALANCE_MODES.includes(r.balance)) throw new RangeError(`${name('balance')} must be one of ${BALANCE_MODES.join(', ')} (got ${String(r.balance)})`);
  if (r.augment) checkAugment(r.augment);
  if (r.float && !(Number.isFinite(r.float.scale) && Number.isFinite(r.float.offset))) throw new RangeError('float.scale and float.offset must be finite numbers');
  return r;
}

/**
 * Reader batch workers: threads that assemble batches off the main thread (openDataset's `workers`;
 * not the build's decode workers). Default one per core, up to 4: they only work while the prefetch
 * queue has room, so they do not starve a slower training loop.
 */
export function defaultReaderWorkers(): number {
  return Math.min(4, os.availableParallelism());
}

/** The most reader batch workers openDataset accepts: four per core. */
export function maxReaderWorkers(): number {
  return 4 * os.availableParallelism();
}

/** openDataset's `workers` with its default applied; a RangeError naming it by `name` when out of range. */
export function resolveReaderWorkers(workers: number | undefined, name: OptionName = asField): number {
  const w = workers ?? defaultReaderWorkers();
  const max = maxReaderWorkers();
  if (typeof w !== 'number' || !Number.isSafeInteger(w) || w < 0 || w > max) throw new RangeError(`${name('workers')} must be an integer from 0 to ${max} (got ${String(w)})`);
  return w;
}
