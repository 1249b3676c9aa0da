// DICOM RLE Lossless (PS3.5 Annex G): PackBits segments, one per byte plane of each sample.
import type { DecodedFrame, RawSamples } from './raw-samples.js';

export interface RleLayout {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
}

/** Decodes one PackBits segment into `out` (exactly rows*columns bytes), or throws naming what is short. */
function unpackSegment(src: Uint8Array, start: number, end: number, out: Uint8Array): void {
  let i = start;
  let o = 0;
  while (o < out.length && i < end) {
    const n = (src[i++] << 24) >> 24; // signed control byte
    if (n >= 0) {
      const count = n + 1;
      if (i + count > end) throw new Error('RLE literal run runs past its segment');
      out.set(src.subarray(i, i + Math.min(count, out.length - o)), o);
      i += count;
      o += count;
    } else if (n !== -128) {
      // -128 is a no-op by the PackBits definition.
      const count = 1 - n;
      if (i >= end) throw new Error('RLE replicate run has no byte');
      out.fill(src[i++], o, Math.min(o + count, out.length));
      o += count;
    }
  }
  if (o < out.length) throw new Error(`RLE segment decodes to ${o} bytes, ${out.length} expected`);
}

export function decodeRle(frame: Uint8Array, layout: RleLayout): DecodedFrame {
  const { rows, columns, samplesPerPixel, bitsAllocated } = layout;
  const bytesPerSample = bitsAllocated / 8;
  const pixels = rows * columns;
  if (frame.length < 64) throw new Error(`RLE frame of ${frame.length} bytes has no 64-byte header`);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.length);
  const segments = view.getUint32(0, true);
  const expected = samplesPerPixel * bytesPerSample;
  if (segments !== expected) throw new Error(`RLE frame has ${segments} segments, ${expected} expected for ${samplesPerPixel} x ${bitsAllocated}-bit samples`);
  const offsets = Array.from({ length: segments }, (_, s) => view.getUint32(4 + 4 * s, true));
  const samples: RawSamples = bytesPerSample === 1 ? new Uint8Array(pixels * samplesPerPixel) : bytesPerSample === 2 ? new Uint16Array(pixels * samplesPerPixel) : new Uint32Array(pixels * samplesPerPixel);
  const plane = new Uint8Array(pixels);
  for (let s = 0; s < segments; s++) {
    const start = offsets[s];
    const end = s + 1 < segments ? offsets[s + 1] : frame.length;
    if (start < 64 || start > end || end > frame.length) throw new Error(`RLE segment ${s} offset ${start} is outside the frame`);
    unpackSegment(frame, start, end, plane);
    // Segment order: sample 0 most significant byte first, then its lower bytes, then sample 1...
    const sample = Math.floor(s / bytesPerSample);
    const shift = 8 * (bytesPerSample - 1 - (s % bytesPerSample));
    for (let p = 0, o = sample; p < pixels; p++, o += samplesPerPixel) samples[o] += plane[p] * 2 ** shift;
  }
  return { width: columns, height: rows, components: samplesPerPixel, samples, colourConverted: false };
}
