// What every codec returns: the integer samples of one frame, interleaved, before sign and BitsStored.

export type RawSamples = Uint8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Int8Array;

export interface DecodedFrame {
  width: number;
  height: number;
  components: number;
  samples: RawSamples;
  /** True when the codec already turned YCbCr into RGB (JPEG baseline, JPEG 2000 with MCT). */
  colourConverted: boolean;
  /** JPEG 2000 only: the codestream's own precision and signedness (can disagree with the header). */
  codestream?: { precision: number; signed: boolean };
}

/** Views decoder output bytes (little endian, as the WASM heap holds them) as samples of their width. */
export function samplesFromBytes(bytes: Uint8Array, bitsPerSample: number, signed: boolean): RawSamples {
  if (bitsPerSample <= 8) return signed ? new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length) : bytes;
  if (bitsPerSample <= 16) {
    const count = bytes.length >> 1;
    return signed ? new Int16Array(bytes.buffer, bytes.byteOffset, count) : new Uint16Array(bytes.buffer, bytes.byteOffset, count);
  }
  const count = bytes.length >> 2;
  return signed ? new Int32Array(bytes.buffer, bytes.byteOffset, count) : new Uint32Array(bytes.buffer, bytes.byteOffset, count);
}
