// RecordSource over positioned reads (fs.readSync / readvSync) of an open file descriptor: the portable fallback.
import { closeSync, fstatSync, openSync, readSync, readvSync } from 'node:fs';
import { checkOpen, checkRange, checkTarget, sizeOf } from './bounds.js';
import { fileChanged } from './file-changed.js';
import type { FdSourceOptions } from './mmap-source.js';
import { loadMmapAddon } from './native.js';
import type { AccessHint, RecordSource } from './types.js';

const MAX_CHUNK = 1 << 30; // bytes per readSync call

class PreadSource implements RecordSource {
  readonly backend = 'pread' as const;
  #fd: number | undefined;

  constructor(
    readonly path: string,
    readonly size: number,
    fd: number,
    /** False when the caller keeps the descriptor and closes it itself. */
    private readonly ownsFd: boolean,
  ) {
    this.#fd = fd;
  }

  get closed(): boolean {
    return this.#fd === undefined;
  }

  currentSize(): number | undefined {
    return this.#fd === undefined ? undefined : sizeOf(this.#fd);
  }

  read(offset: number, length: number, target?: Uint8Array, targetOffset = 0): Uint8Array {
    checkOpen(this.path, this.#fd === undefined);
    checkRange(this.path, this.size, offset, length);
    if (target) checkTarget(this.path, target, targetOffset, length);
    const out = target ?? new Uint8Array(length);
    const at = target ? targetOffset : 0;
    this.#readFully(out, at, length, offset);
    return target ? out.subarray(at, at + length) : out;
  }

  readSplit(offset: number, head: Uint8Array, tail: Uint8Array): void {
    checkOpen(this.path, this.#fd === undefined);
    checkTarget(this.path, head, 0, head.length);
    checkTarget(this.path, tail, 0, tail.length);
    const total = head.length + tail.length;
    checkRange(this.path, this.size, offset, total);
    if (total === 0) return;
    // One system call for both parts; a short read (only at the end of a file) is finished piece by piece.
    const n = total <= MAX_CHUNK ? readvSync(this.#fd!, [head, tail], offset) : 0;
    if (n === total) return;
    if (n < head.length) {
      this.#readFully(head, n, head.length - n, offset + n);
      this.#readFully(tail, 0, tail.length, offset + head.length);
    } else {
      this.#readFully(tail, n - head.length, total - n, offset + n);
    }
  }

  advise(offset: number, length: number, hint: AccessHint): void {
    checkOpen(this.path, this.#fd === undefined);
    checkRange(this.path, this.size, offset, length);
    loadMmapAddon()?.fadvise(this.#fd!, offset, length, hint);
  }

  close(): void {
    if (this.#fd === undefined) return;
    const fd = this.#fd;
    this.#fd = undefined;
    if (this.ownsFd) closeSync(fd);
  }

  #readFully(out: Uint8Array, at: number, length: number, offset: number): void {
    let done = 0;
    while (done < length) {
      const n = readSync(this.#fd!, out, at + done, Math.min(length - done, MAX_CHUNK), offset + done);
      if (n === 0) throw fileChanged(this.path, this.currentSize(), this.size, `it ended at byte ${offset + done}, reading ${length} bytes at offset ${offset}`);
      done += n;
    }
  }
}

/**
 * Positioned reads of a file the caller keeps open (close() leaves `fd` open): what it reads stays the
 * file `fd` was opened on, even after another file is renamed over its name.
 */
export function preadSourceFromFd(path: string, fd: number, options: FdSourceOptions = {}): RecordSource {
  return new PreadSource(path, options.size ?? fstatSync(fd).size, fd, false);
}

/** Opens the file for positioned reads; works without the native addon. */
export function openPreadSource(path: string): RecordSource {
  const fd = openSync(path, 'r');
  try {
    return new PreadSource(path, fstatSync(fd).size, fd, true);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}
