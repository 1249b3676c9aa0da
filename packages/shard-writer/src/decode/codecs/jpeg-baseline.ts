// JPEG baseline (8-bit) through libjpeg-turbo WASM; 12-bit JPEG extended goes to our own sequential decoder.
/// <reference path="./vendor.d.ts" />
import { decodeJpegExtended } from './jpeg-extended.js';
import { samplesFromBytes, type DecodedFrame } from './raw-samples.js';
import { wasmCodec } from './wasm-codec.js';

const run = wasmCodec(async () => (await import('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs')).default, 'JPEGDecoder');

export interface JpegMarkers {
  /** Sample precision from the frame header (SOFn: length(2), precision(1)). */
  precision?: number;
  jfif: boolean;
  adobe: boolean;
}

/** Walks the marker segments before the first scan: what the frame header and APPn segments say. */
export function jpegMarkers(encoded: Uint8Array): JpegMarkers {
  const found: JpegMarkers = { jfif: false, adobe: false };
  for (let i = 2; i + 4 < encoded.length; ) {
    if (encoded[i] !== 0xff) break;
    const marker = encoded[i + 1];
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0xda) break; // start of scan
    if (marker === 0xe0) found.jfif = true;
    if (marker === 0xee) found.adobe = true;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) found.precision = encoded[i + 4];
    i += 2 + ((encoded[i + 2] << 8) | encoded[i + 3]);
  }
  return found;
}

/** APP14 "Adobe" segment with transform 0: tells libjpeg the three components are not YCbCr. */
const ADOBE_NO_TRANSFORM = Uint8Array.of(0xff, 0xee, 0x00, 0x0e, 0x41, 0x64, 0x6f, 0x62, 0x65, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00);

/**
 * DICOM says RGB when the JPEG components were not colour-transformed (PS3.5 8.2.1), but a stream
 * with neither JFIF nor Adobe marker makes libjpeg assume YCbCr and convert. Say so in the stream.
 */
function markAsRgb(encoded: Uint8Array): Uint8Array {
  const out = new Uint8Array(encoded.length + ADOBE_NO_TRANSFORM.length);
  out.set(encoded.subarray(0, 2));
  out.set(ADOBE_NO_TRANSFORM, 2);
  out.set(encoded.subarray(2), 2 + ADOBE_NO_TRANSFORM.length);
  return out;
}

export async function decodeJpegBaseline(encoded: Uint8Array, photometric: string): Promise<DecodedFrame> {
  const markers = jpegMarkers(encoded);
  // libjpeg-turbo's 8-bit build refuses precision 12.
  if ((markers.precision ?? 8) > 8) return decodeJpegExtended(encoded);
  const rgb = photometric === 'RGB' && !markers.jfif && !markers.adobe;
  const { info, bytes } = await run(rgb ? markAsRgb(encoded) : encoded);
  return {
    width: info.width,
    height: info.height,
    components: info.componentCount,
    samples: samplesFromBytes(bytes, 8, false),
    // libjpeg-turbo returns RGB for 3-component JPEGs (converting YCbCr unless told it is RGB).
    colourConverted: info.componentCount === 3,
  };
}
