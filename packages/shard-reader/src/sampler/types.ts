// The signatures of per-sample weight sources and of weighted epoch draws.

/** Per-sample weights computed from the index labels (size x labelCount), without reading images. */
export type WeightSource = (labels: Float32Array, labelCount: number) => Float64Array;

export interface DrawInput {
  /** One non-negative finite weight per sample; at least one positive. */
  weights: ArrayLike<number>;
  /** Draws in the epoch; default: one per sample. */
  count?: number;
  seed: number;
  epoch: number;
}
