// uint8/uint16 -> float32 for batches: the addon's loop (native/convert.cc) when loaded, else JavaScript; same results.
import { loadMmapAddon } from './addon.js';

export type FloatConverter = (src: Uint8Array | Uint16Array, dst: Float32Array, scale: number, offset: number) => void;

/**
 * uint8/uint16 -> float32 conversion: the addon's vectorised loop (about 4x faster) or plain JavaScript;
 * both compute in double and round once, so the results are identical.
 */
export function floatConverter(): FloatConverter {
  const addon = loadMmapAddon();
  if (addon && typeof addon.toFloat32 === 'function') return (src, dst, scale, offset) => addon.toFloat32(src, dst, scale, offset);
  return (src, dst, scale, offset) => (src instanceof Uint8Array ? toFloat8(src, dst, scale, offset) : toFloat16(src, dst, scale, offset));
}

// One small monomorphic loop per input type: inside a bigger function V8 optimised it about 2x worse.
function toFloat8(raw: Uint8Array, out: Float32Array, scale: number, offset: number): void {
  const n = out.length;
  for (let i = 0; i < n; i++) out[i] = raw[i] * scale + offset;
}

function toFloat16(raw: Uint16Array, out: Float32Array, scale: number, offset: number): void {
  const n = out.length;
  for (let i = 0; i < n; i++) out[i] = raw[i] * scale + offset;
}
