// shard-reader public API, picked by hand: open a dataset, iterate shuffled batches, measure them.
// `shard-reader/verify` and `shard-reader/tfjs` are subpaths; record sources, CRC and conversion stay internal.
export { Dataset, type OpenDatasetOptions } from './dataset/dataset.js';
export { openDataset } from './open-dataset.js';
export { CorruptRecordError } from './store/record-store.js';
export { type Batch, type BatchState, BatchStream } from './batch/batch-stream.js';
export {
  BATCH_DEFAULTS,
  MAX_CONTEXT,
  defaultReaderWorkers,
  maxReaderWorkers,
  resolveBatchOptions,
  resolveReaderWorkers,
  type BatchOptions,
  type OptionName,
  type ResolvedBatchOptions,
} from './batch/options.js';
export { planEpoch, type EpochPlan, type PlanOptions } from './batch/plan.js';
export { SHUFFLE_MODES, blockWindows, getShuffle, type ShuffleMode, type ShuffleFn } from './shuffle/index.js';
export { type AugmentOptions } from './augment/augment.js';
export { pixelView, type Pixels } from './store/pixels.js';
export { shuffleQuality, type ShuffleQuality } from './quality.js';
export { measureThroughput, rawPreadRate, type Throughput, type ThroughputOptions } from './throughput.js';
export { FileChangedError } from './io/file-changed.js';
export type { AccessHint, Backend, BackendChoice } from './io/types.js';
export { liveMappings, mmapUnavailableReason } from './io/addon.js';
export { dropPageCache } from './io/page-cache.js';
export { contextTable, folderOf, naturalCompare, seriesList, stackSlices, type ContextOptions, type ContextTable, type Series, type SeriesOrder } from './context/index.js';
export { BALANCE_MODES, aliasTable, drawWeighted, getBalance, type BalanceMode, type WeightSource } from './sampler/index.js';
// Remote datasets: openDataset takes s3:// and http(s):// URLs; the stores and cache are in 'shard-reader/remote'.
export { isRemoteUrl } from './remote/url.js';
export { CacheFullError, RemoteError } from './remote/errors.js';
