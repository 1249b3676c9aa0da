// Interleaves 2k+1 H x W x C slices into one H x W x ((2k+1) x C) image: channel j x C + c of each
// pixel is channel c of slice j, so the sample's own slice sits in the middle channels.

type Pixels = Uint8Array | Uint16Array | Float32Array;

/** `slices[j]` are H x W x C; `out` is H x W x (slices.length x C), same element type. */
export function stackSlices(slices: readonly Pixels[], out: Pixels, channels: number): void {
  const m = slices.length;
  const pixels = slices[0].length / channels;
  if (out.length !== pixels * m * channels) throw new RangeError(`stacked output holds ${out.length} values, needs ${pixels * m * channels}`);
  const stride = m * channels;
  for (let j = 0; j < m; j++) {
    const src = slices[j];
    if (src.length !== pixels * channels) throw new RangeError(`slice ${j} holds ${src.length} values, needs ${pixels * channels}`);
    const base = j * channels;
    if (channels === 1) {
      for (let p = 0; p < pixels; p++) out[p * stride + base] = src[p];
    } else {
      for (let p = 0; p < pixels; p++) for (let c = 0; c < channels; c++) out[p * stride + base + c] = src[p * channels + c];
    }
  }
}
