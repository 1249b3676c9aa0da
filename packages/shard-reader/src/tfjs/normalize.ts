// Turns the adapter's `normalize` option into the worker-side affine map (value * scale + offset), so no tensor math runs per batch.
import type { Dtype } from 'shard-format';
import type { BatchOptions } from '../batch/batch-stream.js';

/**
 * - `'unit'`: value / 255 (uint8) or value / 65535 (uint16), in [0, 1].
 * - `'none'`: the stored integer values, as float32.
 * - `{ mean, std }`: (unit value - mean) / std; mean and std are in unit ([0, 1]) terms, like torchvision's Normalize after ToTensor.
 */
export type Normalize = 'unit' | 'none' | { mean: number; std: number };

export type FloatTransform = NonNullable<BatchOptions['float']>;

export function floatTransform(dtype: Dtype, normalize: Normalize = 'unit'): FloatTransform {
  const full = dtype === 'uint16' ? 65535 : 255;
  if (normalize === 'none') return { scale: 1, offset: 0 };
  // 1/full then a multiply rounds to the same float32 as value/full for every uint8 and uint16 value (checked exhaustively).
  if (normalize === 'unit') return { scale: 1 / full, offset: 0 };
  if (typeof normalize === 'object' && normalize !== null) {
    const { mean, std } = normalize;
    if (!Number.isFinite(mean)) throw new RangeError(`normalize.mean must be a finite number (got ${mean})`);
    if (!Number.isFinite(std) || std <= 0) throw new RangeError(`normalize.std must be a finite number > 0 (got ${std})`);
    return { scale: 1 / (full * std), offset: -mean / std };
  }
  throw new RangeError(`normalize must be 'unit', 'none' or { mean, std } (got ${JSON.stringify(normalize)})`);
}
