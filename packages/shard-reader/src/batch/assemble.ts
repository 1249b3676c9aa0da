// Fills fresh batch buffers from records: image bytes (optionally with context slices stacked as channels,
// augmented, as float32) and labels.
// Output buffers are fresh unless the consumer released an earlier batch's: a tensor may alias them.
import { DTYPE_BYTES, type Dtype, type RecordLayout } from 'shard-format';
import { augmentImage, type AugmentOptions } from '../augment/augment.js';
import { stackSlices } from '../context/stack.js';
import { CorruptRecordError, type RecordStore } from '../dataset/record-store.js';
import type { AccessHint } from '../io/types.js';
import { floatConverter } from '../io/native.js';
import { BufferPool } from './buffer-pool.js';
import { pixelView, type Pixels } from './pixels.js';

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

/** What assembly reads records through: a dataset's RecordStore, or a remote batch's fetched records. */
export type RecordReader = Pick<RecordStore, 'copyRecord' | 'advise'> & { readonly spec: { readonly layout: RecordLayout } };

export interface ImageSpec {
  dtype: Dtype;
  shape: [number, number, number];
  labelCount: number;
}

/**
 * `pool` supplies output buffers (released ones first); `scratch` holds the raw pixels when the output
 * is float32, which never leave this function and so are always reused.
 */
export function assembleBatch(store: RecordReader, req: BatchRequest, spec: ImageSpec, pool = new BufferPool(0), scratch = new BufferPool(1)): BatchData {
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
  const layout = store.spec.layout;
  const tmp = req.augment ? pixelView(spec.dtype, new ArrayBuffer(pixels * bytesPer)) : undefined;
  // Context: each neighbour is read into its own slice, then all are interleaved into the output.
  const slices = ctx ? Array.from({ length: width }, () => pixelView(spec.dtype, new ArrayBuffer(h * w * c * bytesPer))) : [];
  const neighbourLabels = new Float32Array(spec.labelCount);
  const middle = (width - 1) / 2;
  const corrupt: CorruptSample[] = [];
  let k = 0; // output slot: behind i once corrupt records are left out
  for (let i = 0; i < n; i++) {
    try {
      if (!ctx) {
        store.copyRecord(req.indices[i], req.keys[i], new Uint8Array(raw.buffer, k * pixels * bytesPer, layout.imageBytes), labels, k * spec.labelCount);
      } else {
        for (let j = 0; j < width; j++) {
          const bytes = new Uint8Array(slices[j].buffer, 0, layout.imageBytes);
          // The sample's own labels go to the batch; a neighbour's are read (and checked) but not kept.
          if (j === middle) store.copyRecord(req.indices[i], req.keys[i], bytes, labels, k * spec.labelCount);
          else store.copyRecord(ctx.neighbours[i * width + j], ctx.keys[i * width + j], bytes, neighbourLabels, 0);
        }
        stackSlices(slices, raw.subarray(k * pixels, (k + 1) * pixels), c);
      }
    } catch (err) {
      if (!(req.skipCorrupt && err instanceof CorruptRecordError)) throw err;
      corrupt.push({ position: i, file: err.file!, record: err.record!, key: err.key!, message: err.message });
      continue;
    }
    if (req.augment) {
      // One transform for the whole stack: every context channel moves with the sample's own.
      const img = raw.subarray(k * pixels, (k + 1) * pixels);
      augmentImage(img, tmp!, shape, req.augment.options, req.augment.seed, req.augment.epoch, req.indices[i]);
    }
    k++;
  }
  const extra = corrupt.length ? { corrupt } : {};
  const labelsOut = labels.subarray(0, k * spec.labelCount);
  if (!req.float) return { images: raw.subarray(0, k * pixels), labels: labelsOut, ...extra };
  const out = new Float32Array(pool.take(n * pixels * 4), 0, k * pixels);
  toFloat32(raw, out, req.float.scale, req.float.offset);
  scratch.give(rawBuffer);
  return { images: out, labels: labelsOut, ...extra };
}

