// JPEG 2000 (lossless and lossy) through OpenJPEG compiled to WASM (@cornerstonejs/codec-openjpeg).
/// <reference path="./vendor.d.ts" />
import { samplesFromBytes, type DecodedFrame } from './raw-samples.js';
import { wasmCodec } from './wasm-codec.js';

const run = wasmCodec(async () => (await import('@cornerstonejs/codec-openjpeg/decodewasmjs')).default, 'J2KDecoder');

export async function decodeJpeg2000(encoded: Uint8Array): Promise<DecodedFrame> {
  const { info, bytes } = await run(encoded);
  const signed = Boolean(info.isSigned);
  return {
    width: info.width,
    height: info.height,
    components: info.componentCount,
    samples: samplesFromBytes(bytes, info.bitsPerSample, signed),
    // OpenJPEG undoes the codestream's multiple-component transform (YBR_RCT / YBR_ICT) itself.
    colourConverted: info.componentCount === 3,
    codestream: { precision: info.bitsPerSample, signed },
  };
}
