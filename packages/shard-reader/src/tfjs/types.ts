// Structural types for the tf.data adapter: the few parts of a TensorFlow.js namespace it calls, its options and its controls.
// Typed structurally so the package has no type or runtime dependency on any one tfjs flavour (tfjs, tfjs-node, -node-gpu).
import type { BatchOptions, BatchState } from '../batch/batch-stream.js';
import type { Normalize, ValueRange } from './normalize.js';

/** All the adapter needs of a tensor: disposing one it built, and telling when its data is truly gone. */
export interface TensorLike {
  dispose(): void;
  readonly isDisposed?: boolean;
  readonly dataId?: object;
}

/**
 * The parts of `tf` the adapter calls. `import * as tf from '@tensorflow/tfjs'` (or `-node`, `-node-gpu`) fits;
 * X, Y and D are inferred from it, so the result is that flavour's own `tf.data.Dataset<{ xs: Tensor4D; ys: Tensor2D }>`.
 */
export interface TfLike<X extends TensorLike, Y extends TensorLike, D> {
  tensor4d(values: Float32Array, shape: [number, number, number, number], dtype: 'float32'): X;
  tensor2d(values: Float32Array, shape: [number, number], dtype: 'float32'): Y;
  data: { generator(generator: () => AsyncIterator<{ xs: X; ys: Y }>): D };
  /** Used to see when a batch's buffers are no longer referenced by any tensor, so they can be reused. */
  engine?(): { backend?: { refCount?(dataId: object): number } };
}

/** What a consumer saw, reported just before each batch is handed to tf.data. */
export interface TfBatchInfo {
  epoch: number;
  /** Position of the batch in its epoch on this rank. */
  batch: number;
  keys: string[];
  /** Global sample indices. */
  indices: Uint32Array;
  /** Milliseconds the adapter waited for the batch after tf.data asked for it: near 0 while prefetch keeps ahead of training. */
  waitMs: number;
}

export interface TfDatasetOptions extends Omit<BatchOptions, 'epoch' | 'startBatch' | 'float'> {
  /** Image scaling, applied in the batch worker (default 'unit': [0, 1]). */
  normalize?: Normalize;
  /**
   * int16/float32 datasets: the stored values (e.g. HU) that normalize 'unit' maps to 0 and 1, and that
   * { mean, std } are then relative to. Also accepted for uint8/uint16 (replacing 0..255 / 0..65535).
   * Without it, 'unit' on int16/float32 maps the value range the build saw (manifest `values`) to [0, 1].
   */
  range?: ValueRange;
  /**
   * false (default): each iterator is one epoch, for `fitDataset(ds, { epochs })`.
   * true: one iterator runs epoch after epoch forever, for `fitDataset(ds, { epochs, batchesPerEpoch })`.
   */
  repeat?: boolean;
  /** Epoch number of the first iterator read (default 0); later ones count up from it. */
  startEpoch?: number;
  /** Resume inside the first epoch read: its first batch (default 0). Later epochs start at 0. */
  startBatch?: number;
  /** Called for every batch handed to tf.data (after it has been read, before its tensors exist). */
  onBatch?: (info: TfBatchInfo) => void;
}

/** Pass these back as options to continue exactly after the last batch handed out. */
export interface ResumeOptions {
  startEpoch: number;
  startBatch: number;
}

/** Extra read-only members on the dataset toTfDataset returns (lost by derived datasets such as `.map()` or `.take()`). */
export interface TfDatasetControls {
  /** Batches in a full epoch on this rank. */
  readonly batchesPerEpoch: number;
  /** Epochs claimed so far (an epoch is claimed when an iterator is first read, not when it is created). */
  readonly epochsStarted: number;
  /** Position of the most recently read epoch, or undefined before the first batch is asked for. */
  state(): BatchState | undefined;
  /** Where to resume: the batch after the last one handed out, rolled over to the next epoch at an epoch's end. */
  resumeOptions(): ResumeOptions;
}

export type ShardTfDataset<D> = D & TfDatasetControls;
