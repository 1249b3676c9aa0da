// RecordSource over a read-only memory map of a whole file, through the native addon.
import { constants as bufferConstants } from 'node:buffer';
import { closeSync, fstatSync, openSync } from 'node:fs';
import { checkOpen, checkRange, checkTarget } from './bounds.js';
import { loadMmapAddon, mmapUnavailableReason, type MmapAddon } from './native.js';
import type { AccessHint, RecordSource } from './types.js';

class MmapSource implements RecordSource {
  readonly backend = 'mmap' as const;
  #addon: MmapAddon;
  #mapping: ArrayBuffer | undefined;
  #bytes: Uint8Array;
  #closed = false;

  constructor(
    readonly path: string,
    readonly size: number,
    addon: MmapAddon,
    mapping: ArrayBuffer | undefined,
  ) {
    this.#addon = addon;
    this.#mapping = mapping;
    this.#bytes = mapping ? new Uint8Array(mapping) : new Uint8Array(0);
  }

  get closed(): boolean {
    return this.#closed;
  }

  read(offset: number, length: number, target?: Uint8Array, targetOffset = 0): Uint8Array {
    checkOpen(this.path, this.#closed);
    checkRange(this.path, this.size, offset, length);
    const bytes = this.#bytes.subarray(offset, offset + length);
    if (!target) return bytes.slice();
    checkTarget(this.path, target, targetOffset, length);
    target.set(bytes, targetOffset);
    return target.subarray(targetOffset, targetOffset + length);
  }

  view(offset: number, length: number): Uint8Array {
    checkOpen(this.path, this.#closed);
    checkRange(this.path, this.size, offset, length);
    return this.#bytes.subarray(offset, offset + length);
  }

  advise(offset: number, length: number, hint: AccessHint): void {
    checkOpen(this.path, this.#closed);
    checkRange(this.path, this.size, offset, length);
    if (!this.#mapping) return;
    this.#addon.advise(this.#mapping, offset, length === 0 ? this.size - offset : length, hint);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#bytes = new Uint8Array(0);
    if (this.#mapping) this.#addon.unmap(this.#mapping);
    this.#mapping = undefined;
  }
}

/**
 * Maps the whole file read-only. Throws when the addon is unavailable, or (RangeError) when the file
 * is larger than one typed array can view; openSource('auto') then uses pread instead.
 */
export function openMmapSource(path: string): RecordSource {
  const addon = loadMmapAddon();
  if (!addon) throw new Error(`shard-reader: cannot mmap ${path}: ${mmapUnavailableReason()}`);
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > bufferConstants.MAX_LENGTH) {
      throw new RangeError(
        `shard-reader: ${path} is ${size} bytes, more than one mapping can view (${bufferConstants.MAX_LENGTH}); use the pread backend`,
      );
    }
    // The mapping outlives the descriptor, so the file is closed at once.
    return new MmapSource(path, size, addon, size > 0 ? addon.map(fd, 0, size) : undefined);
  } finally {
    closeSync(fd);
  }
}
