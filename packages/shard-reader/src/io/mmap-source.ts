// RecordSource over a read-only memory map of a whole file, through the native addon's guarded copies.
import { closeSync, fstatSync, openSync } from 'node:fs';
import { checkOpen, checkRange, checkTarget, sizeOf } from './bounds.js';
import { fileChanged } from './file-changed.js';
import { loadMmapAddon, mmapUnavailableReason, type MappingHandle, type MmapAddon } from './addon.js';
import type { AccessHint, RecordSource } from './types.js';

/** The mapping behind each open mmap source, for batch gathers (mappingOf). */
const mappings = new WeakMap<RecordSource, MappingHandle>();

/**
 * The addon's mapping handle behind an open mmap source, for the one-call batch gather (addon.gather);
 * undefined for any other source, a closed one, or an empty file.
 */
export function mappingOf(source: RecordSource): MappingHandle | undefined {
  return source.closed ? undefined : mappings.get(source);
}

class MmapSource implements RecordSource {
  readonly backend = 'mmap' as const;
  #addon: MmapAddon;
  #mapping: MappingHandle | undefined;
  #closed = false;

  constructor(
    readonly path: string,
    readonly size: number,
    addon: MmapAddon,
    mapping: MappingHandle | undefined,
    /** The descriptor the mapping was made from, when it is still open (for error messages only). */
    private readonly fd: number | undefined,
  ) {
    this.#addon = addon;
    this.#mapping = mapping;
    if (mapping) mappings.set(this, mapping);
  }

  get closed(): boolean {
    return this.#closed;
  }

  currentSize(): number | undefined {
    return this.fd === undefined ? undefined : sizeOf(this.fd);
  }

  read(offset: number, length: number, target?: Uint8Array, targetOffset = 0): Uint8Array {
    checkOpen(this.path, this.#closed);
    checkRange(this.path, this.size, offset, length);
    const out = target ?? new Uint8Array(length);
    const at = target ? targetOffset : 0;
    if (target) checkTarget(this.path, target, targetOffset, length);
    if (length > 0) this.#copy(offset, out, at, length);
    return out.subarray(at, at + length);
  }

  readSplit(offset: number, head: Uint8Array, tail: Uint8Array): void {
    checkOpen(this.path, this.#closed);
    checkTarget(this.path, head, 0, head.length);
    checkTarget(this.path, tail, 0, tail.length);
    checkRange(this.path, this.size, offset, head.length + tail.length);
    if (head.length + tail.length > 0) this.#copy(offset, head, 0, head.length, tail);
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
    if (this.#mapping) this.#addon.unmap(this.#mapping);
    this.#mapping = undefined;
    mappings.delete(this);
  }

  #copy(offset: number, target: Uint8Array, at: number, length: number, tail?: Uint8Array): void {
    try {
      if (tail) this.#addon.copy(this.#mapping!, offset, target, at, length, tail, 0, tail.length);
      else this.#addon.copy(this.#mapping!, offset, target, at, length);
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_SHARD_MAPPING_FAULT') throw err;
      const byte = (err as { faultOffset?: number }).faultOffset;
      throw fileChanged(this.path, this.currentSize(), this.size, `SIGBUS reading byte ${byte} of its mapping`);
    }
  }
}

export interface FdSourceOptions {
  /** The size to read the file as (validated by the caller); default: its size now. */
  size?: number;
}

/**
 * Maps a file the caller keeps open (the source never closes `fd`; the mapping itself keeps the file's
 * pages reachable, so what it reads stays the file `fd` was opened on even after a rename over its name).
 * Throws when the addon is unavailable or the file is now shorter than `size`; openSource('auto') then
 * uses pread instead.
 */
export function mmapSourceFromFd(path: string, fd: number, options: FdSourceOptions = {}): RecordSource {
  return mapFd(path, fd, options.size, false);
}

/** Maps the whole file read-only; the descriptor is closed at once (the mapping outlives it). */
export function openMmapSource(path: string): RecordSource {
  requireAddon(path);
  const fd = openSync(path, 'r');
  try {
    return mapFd(path, fd, undefined, true);
  } finally {
    closeSync(fd);
  }
}

function requireAddon(path: string): MmapAddon {
  const addon = loadMmapAddon();
  if (!addon) throw new Error(`shard-reader: cannot mmap ${path}: ${mmapUnavailableReason()}`);
  return addon;
}

function mapFd(path: string, fd: number, size: number | undefined, fdClosesNow: boolean): RecordSource {
  const addon = requireAddon(path);
  const now = fstatSync(fd).size;
  const bytes = size ?? now;
  if (now < bytes) throw fileChanged(path, now, bytes, 'before it could be mapped');
  const mapping = bytes > 0 ? addon.map(fd, 0, bytes) : undefined;
  return new MmapSource(path, bytes, addon, mapping, fdClosesNow ? undefined : fd);
}
