// toTfDataset: a shard-reader Dataset as a tf.data.Dataset of pre-batched { xs, ys } for model.fitDataset.
//
// Epochs are claimed lazily. fitDataset calls dataset.iterator() once before training and, without
// batchesPerEpoch, again at every epoch, and never reads the first one. tf.data.generator calls our
// function on iterator(); an async generator's body only starts at its first next(), so the epoch
// number is taken there, and an iterator that is never read never uses one up.
import type { BatchOptions, BatchState } from '../batch/batch-stream.js';
import { BATCH_DEFAULTS } from '../batch/options.js';
import type { Dataset } from '../dataset/dataset.js';
import { floatTransform } from './normalize.js';
import type { ResumeOptions, ShardTfDataset, TensorLike, TfDatasetControls, TfDatasetOptions, TfLike } from './types.js';

/** `manifest.values` (the value range the build saw) is what 'unit' falls back to for int16/float32. */
type Source = Pick<Dataset, 'batches' | 'shape' | 'dtype' | 'labelNames'> & { manifest?: Pick<Dataset['manifest'], 'values'> };

/**
 * Wraps `ds` for tf.data. `tf` is the caller's TensorFlow.js namespace (tfjs, tfjs-node or tfjs-node-gpu).
 * xs: float32 [batch, H, W, C] (scaled per `normalize`; C is (2k+1) x the stored channels with `context: k`); ys: float32 [batch, labels].
 * Options are checked here, so a bad one throws now rather than inside fitDataset.
 */
export function toTfDataset<X extends TensorLike, Y extends TensorLike, D extends object>(ds: Source, tf: TfLike<X, Y, D>, options: TfDatasetOptions = {}): ShardTfDataset<D> {
  const { normalize, range, repeat = false, startEpoch = 0, startBatch = 0, onBatch, ...batchOptions } = options;
  const base: BatchOptions = { ...batchOptions, float: floatTransform(ds.dtype, normalize, range, ds.manifest?.values) };
  // Building a stream validates every option (epoch, startBatch, rank...) without reading a record.
  const batchesPerEpoch = ds.batches({ ...base, epoch: startEpoch, startBatch }).batchesPerEpoch;
  if (repeat && batchesPerEpoch === 0) throw new RangeError('repeat needs at least one batch per epoch (the dataset is smaller than one batch and dropLast is set)');
  const [h, w, stored] = ds.shape;
  const c = stored * (2 * (batchOptions.context ?? BATCH_DEFAULTS.context) + 1); // context slices arrive as extra channels
  const labelCount = ds.labelNames.length;

  const recycler = new BufferRecycler(tf);
  let claimed = 0;
  // A copy, so a stream closed early (return() marks it finished) does not move the resume point.
  let last: BatchState | undefined;

  function claim(): { epoch: number; from: number } {
    const from = claimed === 0 ? startBatch : 0;
    return { epoch: startEpoch + claimed++, from };
  }

  async function* epochBatches(epoch: number, from: number): AsyncGenerator<{ xs: X; ys: Y }, void, undefined> {
    const stream = ds.batches({ ...base, epoch, startBatch: from });
    last = stream.state();
    try {
      for (;;) {
        const t0 = performance.now();
        recycler.sweep();
        const r = await stream.next();
        const waitMs = performance.now() - t0;
        last = stream.state();
        if (r.done) return;
        const b = r.value;
        if (!(b.images instanceof Float32Array)) throw new TypeError('shard-reader/tfjs: expected float32 images from the batch worker');
        const n = b.keys.length;
        onBatch?.({ epoch, batch: b.batch, keys: b.keys, indices: b.indices, waitMs });
        // Straight from the batch's own buffers: no intermediate tensors, nothing to tidy. Every backend,
        // tfjs-node included, may keep a reference to the values until the tensor's data is freed, so the
        // buffers are only recycled once no tensor refers to them any more (see recycler).
        const xs = tf.tensor4d(b.images, [n, h, w, c], 'float32');
        let ys: Y;
        try {
          ys = tf.tensor2d(b.labels, [n, labelCount], 'float32');
        } catch (err) {
          xs.dispose();
          throw err;
        }
        recycler.track(xs, ys, b.release);
        yield { xs, ys };
      }
    } finally {
      // Runs on exhaustion, on error, and when a consumer calls return() early: stop prefetching.
      await stream.return();
    }
  }

  async function* oneEpoch(): AsyncGenerator<{ xs: X; ys: Y }, void, undefined> {
    const { epoch, from } = claim();
    yield* epochBatches(epoch, from);
  }

  async function* forever(): AsyncGenerator<{ xs: X; ys: Y }, void, undefined> {
    for (;;) {
      const { epoch, from } = claim();
      yield* epochBatches(epoch, from);
    }
  }

  const dataset = tf.data.generator(repeat ? forever : oneEpoch);
  const resumeOptions = (): ResumeOptions => {
    if (!last) return { startEpoch: startEpoch + claimed, startBatch: claimed === 0 ? startBatch : 0 };
    if (last.nextBatch >= last.batchesPerEpoch) return { startEpoch: last.epoch + 1, startBatch: 0 };
    return { startEpoch: last.epoch, startBatch: last.nextBatch };
  };
  // Read-only extras on tf's own Dataset object, so the result goes straight into fitDataset.
  Object.defineProperties(dataset, {
    batchesPerEpoch: { value: batchesPerEpoch, enumerable: true },
    epochsStarted: { get: () => claimed, enumerable: true },
    state: { value: (): BatchState | undefined => (last ? { ...last } : undefined) },
    resumeOptions: { value: resumeOptions },
  } satisfies Record<keyof TfDatasetControls, PropertyDescriptor>);
  // tf.data's own size (batches per iteration) feeds fitDataset's progress reporting and derived datasets' sizes.
  if ('size' in dataset) Object.defineProperty(dataset, 'size', { value: repeat ? Infinity : batchesPerEpoch, writable: true, configurable: true, enumerable: true });
  return dataset as ShardTfDataset<D>;
}

/**
 * Hands a batch's buffers back to the reader once both its tensors are disposed and their data has no
 * other reference (a clone shares data: the backend's refCount says when it is really gone). Fresh
 * multi-megabyte buffers per batch cost more than the float conversion itself. Backends without
 * refCount are never recycled: always safe, just slower.
 */
class BufferRecycler {
  private readonly live: { xs: TensorLike; ys: TensorLike; release: () => void }[] = [];
  private static readonly MAX_TRACKED = 64;

  constructor(private readonly tf: { engine?(): { backend?: { refCount?(dataId: object): number } } }) {}

  track(xs: TensorLike, ys: TensorLike, release: () => void): void {
    this.live.push({ xs, ys, release });
    // A consumer that keeps its tensors: stop watching the oldest (they are simply never recycled).
    if (this.live.length > BufferRecycler.MAX_TRACKED) this.live.shift();
  }

  sweep(): void {
    const backend = this.tf.engine?.().backend;
    if (typeof backend?.refCount !== 'function') return;
    const gone = (t: TensorLike) => t.isDisposed === true && t.dataId !== undefined && backend.refCount!(t.dataId) === 0;
    for (let i = this.live.length - 1; i >= 0; i--) {
      const e = this.live[i];
      if (gone(e.xs) && gone(e.ys)) {
        e.release();
        this.live.splice(i, 1);
      }
    }
  }
}
