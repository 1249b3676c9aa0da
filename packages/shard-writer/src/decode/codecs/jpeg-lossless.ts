// JPEG lossless (Process 14, any predictor) through jpeg-lossless-decoder-js.
/// <reference path="./vendor.d.ts" />
import { Decoder } from 'jpeg-lossless-decoder-js';
import type { DecodedFrame } from './raw-samples.js';

export interface JpegLosslessLayout {
  rows: number;
  columns: number;
  bitsAllocated: number;
}

export function decodeJpegLossless(encoded: Uint8Array, layout: JpegLosslessLayout): DecodedFrame {
  const decoder = new Decoder();
  // The decoder reads from an ArrayBuffer: give it exactly this frame's bytes.
  const own = new Uint8Array(encoded); // a copy: a Buffer's .buffer is the whole pool
  const samples = decoder.decode(own.buffer, 0, own.length, layout.bitsAllocated > 8 ? 2 : 1);
  return { width: layout.columns, height: layout.rows, components: decoder.numComp, samples, colourConverted: false };
}
