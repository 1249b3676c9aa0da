// Fills fresh batch buffers from records: image bytes (optionally augmented, optionally as float32) and labels.
// Output buffers are fresh unless the consumer released an earlier batch's: a tensor may alias them.
import { decodeLabels, type Dtype } from 'shard-format';
import { augmentImage, type AugmentOptions } from '../augment/augment.js';
import type { RecordStore } from '../dataset/record-store.js';
import type { AccessHint } from '../io/types.js';
import { BufferPool } from './buffer-pool.js';

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
  /** Read-ahead/eviction hints to issue before reading (block mode window changes). */
  hints?: { shard: number; hint: AccessHint }[];
}

export interface BatchData {
  images: Uint8Array | Uint16Array | Float32Array;
  labels: Float32Array;
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
  for (let i = 0; i < n; i++) {
    const rec = store.record(req.indices[i], req.keys[i]);
    const dst = new Uint8Array(raw.buffer, i * pixels * raw.BYTES_PER_ELEMENT, layout.imageBytes);
    dst.set(rec.subarray(0, layout.imageBytes));
    decodeLabels(rec, layout, labels, i * spec.labelCount);
    if (req.augment) {
      const img = raw.subarray(i * pixels, (i + 1) * pixels);
      augmentImage(img, tmp!, spec.shape, req.augment.options, req.augment.seed, req.augment.epoch, req.indices[i]);
    }
  }
  if (!req.float) return { images: raw, labels };
  const out = new Float32Array(pool.take(n * pixels * 4));
  const { scale, offset } = req.float;
  for (let i = 0; i < out.length; i++) out[i] = raw[i] * scale + offset;
  scratch.give(rawBuffer);
  return { images: out, labels };
}
