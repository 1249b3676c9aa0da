// The dataset schema (shape, dtype, labels, preprocessing) and its hash, stored in every shard header.
import { canonicalJson } from './canonical-json.js';
import { sha256Hex } from './checksum.js';
import type { Dtype } from './constants.js';
import type { RecordLayout, Shape } from './layout.js';

export type Fit = 'contain' | 'cover' | 'fill';

export interface Preprocess {
  /** Output side in pixels (square). */
  size: number;
  /** How a non-square or differently sized slice reaches size x size. */
  fit: Fit;
  /** libvips resampling kernel used when a slice is resized. */
  kernel: string;
  /** DICOM linear VOI window on modality values, to uint8; `dicom`: each file's own; null when not windowed. */
  window: { center: number; width: number } | 'dicom' | null;
  /** One uint8 channel per window (shape[2] of them); null for one channel. */
  windows: { center: number; width: number }[] | null;
  /** PNG/TIFF stored -> modality values (DICOM/NIfTI use their own); null for identity. */
  rescale: { slope: number; intercept: number } | null;
  /** uint8 without a window: `auto`, `stored`, `minmax`, `percentile:<lo>,<hi>` or `dataset:<lo>,<hi>` (one range for every image). */
  intensity: string;
}

export interface Schema {
  shape: Shape;
  dtype: Dtype;
  labelNames: string[];
  record: RecordLayout;
  preprocess: Preprocess;
}

/** SHA-256 of the canonical JSON of the schema, hex. A shard whose header hash differs belongs to another dataset. */
export function schemaHash(schema: Schema): string {
  return sha256Hex(canonicalJson(schema));
}
