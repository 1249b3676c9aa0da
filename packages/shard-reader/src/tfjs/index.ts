// The tf.data adapter's public surface, re-exported by `shard-reader/tfjs`.
export { toTfDataset } from './to-tf-dataset.js';
export { floatTransform, type Normalize, type ValueRange } from './normalize.js';
export type { TfLike, TensorLike, TfDatasetOptions, TfBatchInfo, TfDatasetControls, ResumeOptions, ShardTfDataset } from './types.js';
