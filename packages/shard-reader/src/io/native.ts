// Loads the optional native mmap addon (build/Release/shard_mmap.node); undefined when it is absent or disabled.
import { createRequire } from 'node:module';
import { crc32, type Crc32Fn } from 'shard-format';
import type { AccessHint } from './types.js';

/** An opaque handle to a read-only mapping (native/mmap.cc). JavaScript can never see the mapped bytes. */
export type MappingHandle = object & { readonly __mapping: unique symbol };

/** The addon's API (native/mmap.cc). */
export interface MmapAddon {
  /** Read-only MAP_SHARED mapping of [offset, offset + length); offset page-aligned, range inside the file. */
  map(fd: number, offset: number, length: number): MappingHandle;
  /**
   * Copies mapping bytes [offset, offset + length) into target at targetOffset, then (when given) the next
   * length2 bytes into target2 at target2Offset, under the SIGBUS guard. A file that shrank under the
   * mapping throws an Error with code ERR_SHARD_MAPPING_FAULT (and `faultOffset`) instead of killing the process.
   */
  copy(mapping: MappingHandle, offset: number, target: Uint8Array, targetOffset: number, length: number, target2?: Uint8Array, target2Offset?: number, length2?: number): void;
  /** Unmaps now; false (a no-op) when it is already unmapped. */
  unmap(mapping: MappingHandle): boolean;
  /** madvise on [offset, offset + length) of a mapping; offset is rounded down to a page. */
  advise(mapping: MappingHandle, offset: number, length: number, hint: AccessHint): void;
  /** posix_fadvise on a file; length 0 means to the end of the file. */
  fadvise(fd: number, offset: number, length: number, hint: AccessHint): void;
  /** Mappings currently mapped in this process. */
  liveMappings(): number;
  readonly pageSize: number;
  /** CRC-32 with zlib's results (PCLMULQDQ folding where the CPU has it). */
  crc32(data: ArrayBufferView, value?: number): number;
  /** True when crc32 uses the carry-less multiply path. */
  readonly crc32Simd: boolean;
  /** dst[i] = src[i] * scale + offset for every element of dst, computed in double like JavaScript. */
  toFloat32(src: Uint8Array | Uint16Array | Int16Array | Float32Array, dst: Float32Array, scale: number, offset: number): void;
}

// Two levels below the package root from both src/io and dist/io.
const ADDON_PATH = '../../build/Release/shard_mmap.node';

let loaded: { addon?: MmapAddon; error?: string } | undefined;

function load(): { addon?: MmapAddon; error?: string } {
  if (!loaded) {
    try {
      const addon = createRequire(import.meta.url)(ADDON_PATH) as MmapAddon;
      // An addon built from older sources handed JavaScript raw views of the mapping: never use one.
      loaded = typeof addon.copy === 'function' ? { addon } : { error: 'the built addon is out of date (no guarded copy); rebuild it' };
    } catch (error) {
      loaded = { error: error instanceof Error ? error.message.split('\n')[0] : String(error) };
    }
  }
  return loaded;
}

/** The native addon, or undefined when it was not built, fails to load, or SHARD_READER_NO_MMAP=1. */
export function loadMmapAddon(): MmapAddon | undefined {
  if (process.env.SHARD_READER_NO_MMAP === '1') return undefined;
  return load().addon;
}

/** Why loadMmapAddon() returns undefined, or undefined when the addon is available. */
export function mmapUnavailableReason(): string | undefined {
  if (process.env.SHARD_READER_NO_MMAP === '1') return 'disabled by SHARD_READER_NO_MMAP=1';
  const { addon, error } = load();
  return addon ? undefined : `native addon not loadable (run pnpm install to build it): ${error}`;
}

/** Mappings currently mapped by the addon in this process (0 without the addon). */
export function liveMappings(): number {
  return load().addon?.liveMappings() ?? 0;
}

/**
 * The fastest CRC-32 available: the addon's (about 3x zlib's on x86-64 with PCLMULQDQ) or Node's zlib.crc32.
 * Both give identical results; SHARD_READER_NO_MMAP=1 disables the addon here too.
 */
export function fastCrc32(): Crc32Fn {
  const addon = loadMmapAddon();
  return addon && typeof addon.crc32 === 'function' ? (data, value) => addon.crc32(data, value) : crc32;
}

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
