// shard-reader public API: open a dataset, iterate shuffled batches, and the record I/O beneath.
export { openDataset, defaultReaderWorkers, Dataset, type OpenDatasetOptions } from './dataset/dataset.js';
export { CorruptRecordError } from './dataset/record-store.js';
export { type Batch, type BatchOptions, type BatchState, BatchStream } from './batch/batch-stream.js';
export { planEpoch, type EpochPlan, type PlanOptions } from './batch/plan.js';
export { SHUFFLE_MODES, blockWindows, getShuffle, type ShuffleMode, type ShuffleFn } from './shuffle/index.js';
export { type AugmentOptions } from './augment/augment.js';
export { pixelView, type Pixels } from './batch/pixels.js';
export { shuffleQuality, type ShuffleQuality } from './quality.js';
export { measureThroughput, rawPreadRate, type Throughput, type ThroughputOptions } from './throughput.js';
export * from './verify.js';
export * from './io/index.js';
export { contextTable, folderOf, naturalCompare, stackSlices, type ContextOptions, type ContextTable } from './context/index.js';
export { BALANCE_MODES, aliasTable, drawWeighted, getBalance, type BalanceMode, type WeightSource } from './sampler/index.js';
// Remote datasets: openDataset takes s3:// and http(s):// URLs; the stores and cache are in 'shard-reader/remote'.
export { isRemoteUrl } from './remote/url.js';
export { CacheFullError, RemoteError } from './remote/errors.js';
