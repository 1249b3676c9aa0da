// Entry point of `shard-reader/tfjs`: the tf.data adapter. Never imports TensorFlow.js itself; `tf` is passed in.
export * from './tfjs/index.js';
