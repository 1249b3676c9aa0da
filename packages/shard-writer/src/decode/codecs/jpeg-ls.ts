// JPEG-LS (lossless and near-lossless) through CharLS compiled to WASM (@cornerstonejs/codec-charls).
/// <reference path="./vendor.d.ts" />
import { samplesFromBytes, type DecodedFrame } from './raw-samples.js';
import { wasmCodec } from './wasm-codec.js';

const run = wasmCodec(async () => (await import('@cornerstonejs/codec-charls/decodewasmjs')).default, 'JpegLSDecoder');

export interface JpegLsFrame extends DecodedFrame {
  /** Interleave mode none: a colour frame comes back as planes (RRR..GGG..BBB). */
  planar: boolean;
}

export async function decodeJpegLs(encoded: Uint8Array, signed: boolean): Promise<JpegLsFrame> {
  const { info, bytes, interleaveMode } = await run(encoded);
  return {
    width: info.width,
    height: info.height,
    components: info.componentCount,
    samples: samplesFromBytes(bytes, info.bitsPerSample, signed),
    colourConverted: false,
    planar: info.componentCount > 1 && interleaveMode === 0,
  };
}
