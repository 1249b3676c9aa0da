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
  /** CT window applied to stored values before mapping to uint8; null when not windowed. */
  window: { center: number; width: number } | null;
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
