// Entry point of `shard-reader/tfjs`: the tf.data adapter, picked by hand. Never imports TensorFlow.js itself; `tf` is passed in.
export { toTfDataset } from './tfjs/to-tf-dataset.js';
export { floatTransform, type Normalize, type ValueRange } from './tfjs/normalize.js';
export type { ResumeOptions, ShardTfDataset, TensorLike, TfBatchInfo, TfDatasetControls, TfDatasetOptions, TfLike } from './tfjs/types.js';
