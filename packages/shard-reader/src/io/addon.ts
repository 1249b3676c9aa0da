// Loads the optional native addon (build/Release/shard_mmap.node: mmap.cc, crc32.cc, convert.cc); undefined when absent or disabled.
import { createRequire } from 'node:module';
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
  /**
   * One batch in one call (native/gather.cc): record i (at byte offsets[i] of mappings[shards[i]]) has its
   * image copied to images[i * imageBytes...] and its labels to labels[i * labelCount...], its CRC-32 taken
   * in the same pass and checked, and its key CRC compared with keyCrcs[i] (keyCrcs null: no checks).
   * layout is [imageBytes, stride, labelsOffset, labelCount, keyCrcOffset, crcOffset]. Returns -1 when all
   * passed, else 4 * i + reason for the first failing record i (1: CRC, 2: key CRC); a SIGBUS throws
   * ERR_SHARD_MAPPING_FAULT with `record` = i. With stackWidth > 1 every run of stackWidth records is one
   * sample's context slices, stacked as channels (pixelBytes per pixel) into images as they are gathered.
   */
  gather(mappings: readonly (MappingHandle | undefined)[], shards: Uint32Array, offsets: Float64Array, images: Uint8Array, labels: Float32Array, keyCrcs: Uint32Array | null, layout: Uint32Array, stackWidth?: number, pixelBytes?: number): number;
  /**
   * Context stacking for a batch (native/interleave.cc): src holds samples x width slices back to back,
   * each `pixels` pixels of pixelBytes bytes; out gets, per sample, every pixel's width slices side by side.
   */
  interleave(src: ArrayBufferView, out: ArrayBufferView, samples: number, width: number, pixels: number, pixelBytes: number): void;
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
  /** Whether context stacking uses SSSE3 shuffles (false without SSSE3 or with SHARD_READER_PORTABLE=1). */
  readonly interleaveSimd: boolean;
  /** dst[i] = src[i] * scale + offset for every element of dst, computed in double like JavaScript. */
  toFloat32(src: Uint8Array | Uint16Array | Int16Array | Float32Array, dst: Float32Array, scale: number, offset: number): void;
  /** A fresh SHA-256 state (OpenSSL's, as node:crypto's) for sha256Update/sha256Hex and pump (native/pump.cc). Absent in older builds. */
  sha256New?(): ArrayBuffer;
  sha256Update?(state: ArrayBuffer, bytes: Uint8Array): void;
  /** The digest in hex; the state is finished. */
  sha256Hex?(state: ArrayBuffer): string;
  /**
   * Receives up to `length` bytes from the socket in a native thread (reads of 256 KiB), writing each at
   * fileOffset + bytes so far and then hashing it into `state`; calls back once on this thread. The thread
   * works on its own duplicates of both descriptors. `state` must not be used until the callback.
   */
  pump?(socketFd: number, fileFd: number, fileOffset: number, length: number, state: ArrayBuffer, timeoutMs: number, done: (r: PumpResult) => void): PumpHandle;
  /** Ends a pump at its next wait: its callback then says 'cancelled'. */
  pumpCancel?(handle: PumpHandle): void;
}

export type PumpHandle = object & { readonly __pump: unique symbol };

/** How a pump ended: `bytes` were written and hashed, whatever the end. */
export interface PumpResult {
  bytes: number;
  end: 'done' | 'closed' | 'long' | 'timeout' | 'cancelled' | 'read' | 'write';
  /** errno name for 'read' and 'write'. */
  code?: string;
  /** Its text ("No space left on device"). */
  message?: string;
}

/** The addon when it has the download pump (native/pump.cc) and SHARD_READER_NO_PUMP is not 1. */
export type PumpAddon = MmapAddon & Required<Pick<MmapAddon, 'sha256New' | 'sha256Update' | 'sha256Hex' | 'pump' | 'pumpCancel'>>;

export function loadPumpAddon(): PumpAddon | undefined {
  if (process.env.SHARD_READER_NO_PUMP === '1') return undefined;
  const a = loadMmapAddon();
  return a && typeof a.pump === 'function' && typeof a.sha256New === 'function' ? (a as PumpAddon) : undefined;
}

// Two levels below the package root from both src/io and dist/io.
const ADDON_PATH = '../../build/Release/shard_mmap.node';

let loaded: { addon?: MmapAddon; error?: string } | undefined;

function load(): { addon?: MmapAddon; error?: string } {
  if (!loaded) {
    try {
      const addon = createRequire(import.meta.url)(ADDON_PATH) as MmapAddon;
      // An addon built from older sources handed JavaScript raw views of the mapping: never use one.
      loaded =
        typeof addon.copy !== 'function' ? { error: 'the built addon is out of date (no guarded copy); rebuild it' }
        : typeof addon.gather !== 'function' ? { error: 'the built addon is out of date (no batch gather); rebuild it' }
        : { addon };
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
