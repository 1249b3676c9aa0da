// Fills fresh batch buffers from records: image bytes (optionally with context slices stacked as channels,
// augmented, as float32) and labels.
// Output buffers are fresh unless the consumer released an earlier batch's: a tensor may alias them.
import { DTYPE_BYTES, type Dtype, type RecordLayout } from 'shard-format';
import { augmentImage, type AugmentOptions } from '../augment/augment.js';
import { stackRows } from '../context/stack.js';
import { CorruptRecordError, gatherEach, type RecordStore } from '../store/record-store.js';
import type { AccessHint } from '../io/types.js';
import { floatConverter } from '../io/convert.js';
import { BufferPool } from './buffer-pool.js';
import { pixelView, type Pixels } from '../store/pixels.js';

const toFloat32 = floatConverter();

export interface FloatOutput {
  /** out = value * scale + offset */
  scale: number;
  offset: number;
}

export interface BatchRequest {
  indices: Uint32Array;
  keys: string[];
  /** Set to get Float32 images instead of the stored dtype. */
  float?: FloatOutput;
  augment?: { options: AugmentOptions; seed: number; epoch: number };
  /** Leave corrupt records out of the batch (reported in `corrupt`) instead of failing it. */
  skipCorrupt?: boolean;
  /** Read-ahead/eviction hints to issue before reading (block mode window changes). */
  hints?: { shard: number; hint: AccessHint }[];
  /** Context slices: each sample becomes its `width` series neighbours stacked as channels (itself in the middle). */
  context?: ContextRequest;
}

export interface ContextRequest {
  /** 2k + 1 */
  width: number;
  /** n x width global indices, row i for sample i of the request. */
  neighbours: Uint32Array;
  /** Their keys, same layout (checked against each record's key CRC like the sample's own). */
  keys: string[];
}

export interface BatchData {
  images: Pixels;
  labels: Float32Array;
  /** Positions (in the request) of corrupt records left out under skipCorrupt. */
  corrupt?: CorruptSample[];
}

export interface CorruptSample {
  position: number;
  file: string;
  record: number;
  key: string;
  message: string;
}

/**
 * What assembly reads records through: a dataset's RecordStore (whose gather reads a whole batch in one
 * native call), or a remote batch's fetched records (record by record).
 */
export type RecordReader = Pick<RecordStore, 'copyRecord' | 'advise'> & Partial<Pick<RecordStore, 'gather' | 'gatherStacked'>> & { readonly spec: { readonly layout: RecordLayout } };

type Skip = (position: number, err: CorruptRecordError) => void;

/** store.gather when the reader has it, else the same contract one copyRecord at a time. */
function gather(store: RecordReader, indices: Uint32Array, keys: readonly string[], images: Uint8Array, labels: Float32Array, skip?: Skip): number {
  return store.gather ? store.gather(indices, keys, images, labels, skip) : gatherEach(store, indices, keys, images, labels, skip);
}

export interface ImageSpec {
  dtype: Dtype;
  shape: [number, number, number];
  labelCount: number;
}

/**
 * `pool` supplies output buffers (released ones first); `scratch` holds what never leaves this function
 * (raw pixels when the output is float32, context slices before stacking, the augmentation buffer), so
 * those are always reused.
 */
export function assembleBatch(store: RecordReader, req: BatchRequest, spec: ImageSpec, pool = new BufferPool(0), scratch = new BufferPool(SCRATCH_BUFFERS)): BatchData {
  for (const { shard, hint } of req.hints ?? []) store.advise(shard, hint);
  const [h, w, c] = spec.shape;
  const ctx = req.context;
  const width = ctx?.width ?? 1;
  const pixels = h * w * c * width; // values per output sample
  const shape: [number, number, number] = [h, w, c * width];
  const n = req.indices.length;
  const bytesPer = DTYPE_BYTES[spec.dtype];
  const rawBuffer = (req.float ? scratch : pool).take(n * pixels * bytesPer);
  const raw = pixelView(spec.dtype, rawBuffer);
  const labels = new Float32Array(pool.take(n * spec.labelCount * 4));
  const corrupt: CorruptSample[] = [];
  const skip: Skip | undefined = req.skipCorrupt
    ? (position, err) => corrupt.push({ position, file: err.file!, record: err.record!, key: err.key!, message: err.message })
    : undefined;
  const k = ctx ? readContext(store, req, ctx, spec, raw, labels, scratch, skip) : gather(store, req.indices, req.keys, new Uint8Array(rawBuffer, 0, n * pixels * bytesPer), labels, skip);
  if (req.augment) {
    // One transform for the whole stack: every context channel moves with the sample's own. Output slot
    // `slot` holds the request's sample `i` (behind it once corrupt records were left out).
    const tmpBuffer = scratch.take(pixels * bytesPer);
    const tmp = pixelView(spec.dtype, tmpBuffer);
    for (let i = 0, slot = 0, next = 0; i < n; i++) {
      if (next < corrupt.length && corrupt[next].position === i) {
        next++;
        continue;
      }
      augmentImage(raw.subarray(slot * pixels, (slot + 1) * pixels), tmp, shape, req.augment.options, req.augment.seed, req.augment.epoch, req.indices[i]);
      slot++;
    }
    scratch.give(tmpBuffer);
  }
  const extra = corrupt.length ? { corrupt } : {};
  const labelsOut = labels.subarray(0, k * spec.labelCount);
  if (!req.float) return { images: raw.subarray(0, k * pixels), labels: labelsOut, ...extra };
  const out = new Float32Array(pool.take(n * pixels * 4), 0, k * pixels);
  toFloat32(raw.subarray(0, k * pixels), out, req.float.scale, req.float.offset);
  scratch.give(rawBuffer);
  return { images: out, labels: labelsOut, ...extra };
}

/** Scratch buffers kept per size: raw pixels, context slices and the augmentation buffer can share one size. */
export const SCRATCH_BUFFERS = 3;

/**
 * Context: every slice of the batch (n x width records, the sample itself in the middle of its row) in one
 * call that stacks each row into its output sample as channels (mmap), or gathered into scratch and then
 * stacked (pread). A sample with a corrupt slice is left out whole under skipCorrupt: the batch is then
 * read again sample by sample, which only ever happens on damaged data.
 */
function readContext(store: RecordReader, req: BatchRequest, ctx: ContextRequest, spec: ImageSpec, raw: Pixels, labels: Float32Array, scratch: BufferPool, skip?: Skip): number {
  const { imageBytes } = store.spec.layout;
  const L = spec.labelCount;
  const n = req.indices.length;
  const width = ctx.width;
  const middle = (width - 1) / 2;
  const labelsBuffer = scratch.take(n * width * L * 4);
  const sliceLabels = new Float32Array(labelsBuffer, 0, n * width * L);
  let slicesBuffer: ArrayBuffer | undefined;
  const slices = () => new Uint8Array((slicesBuffer ??= scratch.take(n * width * imageBytes)), 0, n * width * imageBytes);
  try {
    let whole = true;
    const out = new Uint8Array(raw.buffer, raw.byteOffset, n * width * imageBytes);
    try {
      // mmap: gathered and stacked in one native call, each sample's slices stacked while still in cache.
      if (!store.gatherStacked?.(ctx.neighbours, ctx.keys, width, spec.shape[2] * DTYPE_BYTES[spec.dtype], out, sliceLabels)) {
        gather(store, ctx.neighbours, ctx.keys, slices(), sliceLabels);
        stackRows(pixelView(spec.dtype, slicesBuffer!), n, width, raw.subarray(0, n * width * (imageBytes / DTYPE_BYTES[spec.dtype])), spec.shape[2]);
      }
    } catch (err) {
      if (!(skip && err instanceof CorruptRecordError)) throw err;
      whole = false;
    }
    if (!whole) return readContextEach(store, req, ctx, spec, raw, labels, slices(), sliceLabels, skip!);
    for (let i = 0; i < n; i++) labels.set(sliceLabels.subarray((i * width + middle) * L, (i * width + middle + 1) * L), i * L);
    return n;
  } finally {
    if (slicesBuffer) scratch.give(slicesBuffer);
    scratch.give(labelsBuffer);
  }
}

/** readContext one sample at a time, leaving out every sample with a corrupt slice. */
function readContextEach(store: RecordReader, req: BatchRequest, ctx: ContextRequest, spec: ImageSpec, raw: Pixels, labels: Float32Array, slices: Uint8Array, sliceLabels: Float32Array, skip: Skip): number {
  const { imageBytes } = store.spec.layout;
  const L = spec.labelCount;
  const width = ctx.width;
  const middle = (width - 1) / 2;
  const perSample = raw.length / Math.max(req.indices.length, 1);
  const rowBytes = slices.subarray(0, width * imageBytes);
  const rowLabels = sliceLabels.subarray(0, width * L);
  const view = pixelView(spec.dtype, rowBytes.buffer as ArrayBuffer).subarray(0, (width * imageBytes) / DTYPE_BYTES[spec.dtype]);
  let k = 0;
  for (let i = 0; i < req.indices.length; i++) {
    let bad: CorruptRecordError | undefined;
    gather(store, ctx.neighbours.subarray(i * width, (i + 1) * width), ctx.keys.slice(i * width, (i + 1) * width), rowBytes, rowLabels, (_, err) => (bad ??= err));
    if (bad) {
      skip(i, bad);
      continue;
    }
    stackRows(view, 1, width, raw.subarray(k * perSample, (k + 1) * perSample), spec.shape[2]);
    labels.set(rowLabels.subarray(middle * L, (middle + 1) * L), k * L);
    k++;
  }
  return k;
}
