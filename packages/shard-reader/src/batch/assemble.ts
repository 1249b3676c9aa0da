// Fills fresh batch buffers from records: image bytes (optionally augmented, optionally as float32) and labels.
// Output buffers are fresh unless the consumer released an earlier batch's: a tensor may alias them.
import type { Dtype } from 'shard-format';
import { augmentImage, type AugmentOptions } from '../augment/augment.js';
import { CorruptRecordError, type RecordStore } from '../store/record-store.js';
import type { AccessHint } from '../io/types.js';
import { floatConverter } from '../io/convert.js';
import { BufferPool } from './buffer-pool.js';

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
}

export interface BatchData {
  images: Uint8Array | Uint16Array | Float32Array;
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

export interface ImageSpec {
  dtype: Dtype;
  shape: [number, number, number];
  labelCount: number;
}

/**
 * `pool` supplies output buffers (released ones first); `scratch` holds the raw pixels when the output
 * is float32, which never leave this function and so are always reused.
 */
export function assembleBatch(store: RecordStore, req: BatchRequest, spec: ImageSpec, pool = new BufferPool(0), scratch = new BufferPool(1)): BatchData {
  for (const { shard, hint } of req.hints ?? []) store.advise(shard, hint);
  const [h, w, c] = spec.shape;
  const pixels = h * w * c;
  const n = req.indices.length;
  const wide = spec.dtype === 'uint16';
  const bytesPer = wide ? 2 : 1;
  const rawBuffer = (req.float ? scratch : pool).take(n * pixels * bytesPer);
  const raw = wide ? new Uint16Array(rawBuffer) : new Uint8Array(rawBuffer);
  const labels = new Float32Array(pool.take(n * spec.labelCount * 4));
  const layout = store.spec.layout;
  const tmp = req.augment ? (wide ? new Uint16Array(pixels) : new Uint8Array(pixels)) : undefined;
  const corrupt: CorruptSample[] = [];
  let k = 0; // output slot: behind i once corrupt records are left out
  for (let i = 0; i < n; i++) {
    const dst = new Uint8Array(raw.buffer, k * pixels * raw.BYTES_PER_ELEMENT, layout.imageBytes);
    try {
      store.copyRecord(req.indices[i], req.keys[i], dst, labels, k * spec.labelCount);
    } catch (err) {
      if (!(req.skipCorrupt && err instanceof CorruptRecordError)) throw err;
      corrupt.push({ position: i, file: err.file!, record: err.record!, key: err.key!, message: err.message });
      continue;
    }
    if (req.augment) {
      const img = raw.subarray(k * pixels, (k + 1) * pixels);
      augmentImage(img, tmp!, spec.shape, req.augment.options, req.augment.seed, req.augment.epoch, req.indices[i]);
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

