// Typed-array views for each stored dtype, so every reader path (batches, ds.image, augment) agrees on element types.
import { DTYPE_BYTES, type Dtype } from 'shard-format';

/** Pixels in their stored element type: uint8/uint16 display values, int16 or float32 modality values (HU for CT). */
export type Pixels = Uint8Array | Uint16Array | Int16Array | Float32Array;

/** A view of `length` elements of `dtype` at byte `offset` (which must be aligned to the element size). */
export function pixelView(dtype: Dtype, buffer: ArrayBufferLike, offset = 0, length = (buffer.byteLength - offset) / DTYPE_BYTES[dtype]): Pixels {
  switch (dtype) {
    case 'uint8':
      return new Uint8Array(buffer, offset, length);
    case 'uint16':
      return new Uint16Array(buffer, offset, length);
    case 'int16':
      return new Int16Array(buffer, offset, length);
    case 'float32':
      return new Float32Array(buffer, offset, length);
  }
}

/** Little-endian host check: typed arrays use host order and the format is little-endian. */
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('shard-reader needs a little-endian host (the shard format is little-endian)');
