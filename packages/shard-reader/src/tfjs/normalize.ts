// Turns the adapter's `normalize` option into the worker-side affine map (value * scale + offset), so no tensor math runs per batch.
import type { Dtype, ValueStats } from 'shard-format';
import type { BatchOptions } from '../batch/batch-stream.js';

/**
 * - `'unit'`: uint8 value / 255, uint16 value / 65535, in [0, 1]. int16 and float32 (modality values such
 *   as HU) have no full scale: 'unit' maps the `range` option's [lo, hi] to [0, 1]; without one, the value
 *   range the build saw (the manifest's `values.min`..`values.max`), so every sample lands in [0, 1].
 * - `'none'`: the stored values, as float32 (HU stay HU).
 * - `{ mean, std }`: (unit value - mean) / std. For uint8/uint16, and for int16/float32 with a `range`, mean
 *   and std are in unit ([0, 1]) terms, like torchvision's Normalize after ToTensor; for int16/float32
 *   without a range they are in stored units (e.g. `{ mean: 40, std: 80 }` in HU).
 */
export type Normalize = 'unit' | 'none' | { mean: number; std: number };

/** [lo, hi] in stored units that 'unit' maps to [0, 1] (values outside are not clipped). */
export type ValueRange = readonly [number, number];

export type FloatTransform = NonNullable<BatchOptions['float']>;

/** The span 'unit' divides by: the dtype's full scale, or the given range for modality values. */
function unitSpan(dtype: Dtype, range: ValueRange | undefined): { lo: number; span: number } | undefined {
  // Only a range the caller gave changes { mean, std } to unit terms; the manifest's fallback is for 'unit' alone.
  if (range !== undefined) {
    const ok = Array.isArray(range) && range.length === 2 && range.every(Number.isFinite) && range[0] < range[1];
    if (!ok) throw new RangeError(`range must be [lo, hi] with finite lo < hi (got ${JSON.stringify(range)})`);
    return { lo: range[0], span: range[1] - range[0] };
  }
  if (dtype === 'uint8') return { lo: 0, span: 255 };
  if (dtype === 'uint16') return { lo: 0, span: 65535 };
  return undefined;
}

/**
 * `seen` is the manifest's value statistics: 'unit' on int16/float32 without a `range` maps its
 * [min, max] to [0, 1] (refused when the build recorded none, or saw one value only).
 */
export function floatTransform(dtype: Dtype, normalize: Normalize = 'unit', range?: ValueRange, seen?: Pick<ValueStats, 'min' | 'max'>): FloatTransform {
  const given = unitSpan(dtype, range);
  if (normalize === 'none') return { scale: 1, offset: 0 };
  if (normalize === 'unit') {
    const fallback = seen && Number.isFinite(seen.min) && Number.isFinite(seen.max) && seen.min < seen.max ? { lo: seen.min, span: seen.max - seen.min } : undefined;
    const unit = given ?? fallback;
    if (!unit) {
      throw new RangeError(
        `normalize 'unit' needs a value range for ${dtype} samples (modality values such as HU have no full scale, ` +
          `and ${seen ? `the build saw one value only (${seen.min})` : 'the manifest records no value range'}): ` +
          `pass range: [lo, hi] (e.g. [-1024, 3071] for CT), normalize: { mean, std } in stored units, or normalize: 'none'`,
      );
    }
    // 1/span then a multiply rounds to the same float32 as value/span for every uint8 and uint16 value (checked exhaustively).
    return { scale: 1 / unit.span, offset: unit.lo === 0 ? 0 : -unit.lo / unit.span };
  }
  if (typeof normalize === 'object' && normalize !== null) {
    const { mean, std } = normalize;
    if (!Number.isFinite(mean)) throw new RangeError(`normalize.mean must be a finite number (got ${mean})`);
    if (!Number.isFinite(std) || std <= 0) throw new RangeError(`normalize.std must be a finite number > 0 (got ${std})`);
    if (!given) return { scale: 1 / std, offset: -mean / std };
    // ((v - lo) / span - mean) / std
    return { scale: 1 / (given.span * std), offset: (-given.lo / given.span - mean) / std };
  }
  throw new RangeError(`normalize must be 'unit', 'none' or { mean, std } (got ${JSON.stringify(normalize)})`);
}
