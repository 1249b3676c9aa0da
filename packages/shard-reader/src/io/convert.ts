// uint8/uint16/int16/float32 -> float32 for batches: the addon's loop (native/convert.cc) when loaded, else JavaScript; same results.
import { loadMmapAddon } from './addon.js';

export type FloatConverter = (src: Uint8Array | Uint16Array | Int16Array | Float32Array, dst: Float32Array, scale: number, offset: number) => void;

/**
 * uint8/uint16/int16/float32 -> float32 conversion: the addon's vectorised loop (about 4x faster) or plain
 * JavaScript; both compute in double and round once (float32 with scale 1 and offset 0 is a plain copy in
 * both, so -0 stays -0), so the results are identical.
 */
export function floatConverter(): FloatConverter {
  const addon = loadMmapAddon();
  if (addon && typeof addon.toFloat32 === 'function') return (src, dst, scale, offset) => addon.toFloat32(src, dst, scale, offset);
  return jsFloatConverter;
}

/** The JavaScript conversion the addon must match (exported for the tests that compare them). */
export const jsFloatConverter: FloatConverter = (src, dst, scale, offset) => {
  if (src.length < dst.length) throw new RangeError('toFloat32: src is shorter than dst');
  if (src instanceof Uint8Array) toFloat8(src, dst, scale, offset);
  else if (src instanceof Uint16Array) toFloatU16(src, dst, scale, offset);
  else if (src instanceof Int16Array) toFloatI16(src, dst, scale, offset);
  else if (scale === 1 && offset === 0) dst.set(src.subarray(0, dst.length));
  else toFloatF32(src, dst, scale, offset);
};

// One small monomorphic loop per input type: inside a bigger function V8 optimised it about 2x worse.
function toFloat8(raw: Uint8Array, out: Float32Array, scale: number, offset: number): void {
  const n = out.length;
  for (let i = 0; i < n; i++) out[i] = raw[i] * scale + offset;
}

function toFloatU16(raw: Uint16Array, out: Float32Array, scale: number, offset: number): void {
  const n = out.length;
  for (let i = 0; i < n; i++) out[i] = raw[i] * scale + offset;
}

function toFloatI16(raw: Int16Array, out: Float32Array, scale: number, offset: number): void {
  const n = out.length;
  for (let i = 0; i < n; i++) out[i] = raw[i] * scale + offset;
}

function toFloatF32(raw: Float32Array, out: Float32Array, scale: number, offset: number): void {
  const n = out.length;
  for (let i = 0; i < n; i++) out[i] = raw[i] * scale + offset;
}
