// resolveBatchOptions and resolveReaderWorkers: every default in one place, every bad value refused with
// one message, named in the caller's words (API fields by default, CLI flags when the CLI asks).
import { describe, expect, it } from 'vitest';
import { BATCH_DEFAULTS, MAX_CONTEXT, SHUFFLE_MODES, defaultReaderWorkers, maxReaderWorkers, planEpoch, resolveBatchOptions, resolveReaderWorkers, type BatchOptions } from 'shard-reader';

describe('resolveBatchOptions', () => {
  it('fills every default from BATCH_DEFAULTS and keeps what is given', () => {
    expect(resolveBatchOptions({})).toEqual({ ...BATCH_DEFAULTS, augment: null, float: undefined, weights: null, balance: null });
    const given: BatchOptions = { batchSize: 5, seed: 3, epoch: 2, shuffle: 'block', rank: 1, worldSize: 2, dropLast: true, startBatch: 1, blockShards: 2, prefetch: 1, context: 2 };
    expect(resolveBatchOptions(given)).toMatchObject(given);
  });

  const bad: [string, BatchOptions, string][] = [
    ['batch size 0', { batchSize: 0 }, 'batchSize must be an integer >= 1 (got 0)'],
    ['a fractional batch size', { batchSize: 2.5 }, 'batchSize must be an integer >= 1 (got 2.5)'],
    ['a negative seed', { seed: -1 }, 'seed must be an integer >= 0 (got -1)'],
    ['a negative epoch', { epoch: -2 }, 'epoch must be an integer >= 0 (got -2)'],
    ['world size 0', { worldSize: 0 }, 'worldSize must be an integer >= 1 (got 0)'],
    ['rank at world size', { rank: 2, worldSize: 2 }, 'rank 2 must be below worldSize 2'],
    ['a negative start batch', { startBatch: -1 }, 'startBatch must be an integer >= 0 (got -1)'],
    ['block shards 0', { blockShards: 0 }, 'blockShards must be an integer >= 1 (got 0)'],
    ['prefetch 0', { prefetch: 0 }, 'prefetch must be an integer >= 1 (got 0)'],
    ['too much context', { context: MAX_CONTEXT + 1 }, `context must be an integer from 0 to ${MAX_CONTEXT} (got ${MAX_CONTEXT + 1})`],
    ['an unknown shuffle mode', { shuffle: 'random' as never }, `shuffle must be one of ${SHUFFLE_MODES.join(', ')} (got random)`],
    ['weights and balance', { weights: [1], balance: 'labels' }, 'give weights or balance, not both'],
    ['an unknown balance mode', { balance: 'even' as never }, 'balance must be one of labels (got even)'],
  ];
  for (const [name, options, message] of bad) {
    it(`refuses ${name}`, () => expect(() => resolveBatchOptions(options)).toThrow(new RangeError(message)));
  }

  it('names options the way the caller asks (the CLI passes its flag names)', () => {
    const flag = (f: string) => `--${f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    expect(() => resolveBatchOptions({ batchSize: 0 }, flag)).toThrow('--batch-size must be an integer >= 1 (got 0)');
    expect(() => resolveBatchOptions({ rank: 3 }, flag)).toThrow('--rank 3 must be below --world-size 1');
  });

  it('planEpoch checks its options with the same words', () => {
    const plan = { ...BATCH_DEFAULTS, batchSize: 0 };
    expect(() => planEpoch([4], plan)).toThrow(new RangeError('batchSize must be an integer >= 1 (got 0)'));
  });
});

describe('resolveReaderWorkers', () => {
  it('defaults to one per core, up to 4, and accepts 0 (inline) to four per core', () => {
    expect(resolveReaderWorkers(undefined)).toBe(defaultReaderWorkers());
    expect(defaultReaderWorkers()).toBeLessThanOrEqual(4);
    expect(resolveReaderWorkers(0)).toBe(0);
    expect(resolveReaderWorkers(maxReaderWorkers())).toBe(maxReaderWorkers());
  });

  it('refuses the rest, naming the option as asked', () => {
    const max = maxReaderWorkers();
    expect(() => resolveReaderWorkers(max + 1)).toThrow(new RangeError(`workers must be an integer from 0 to ${max} (got ${max + 1})`));
    expect(() => resolveReaderWorkers(-1, () => '--workers')).toThrow(`--workers must be an integer from 0 to ${max} (got -1)`);
  });
});
