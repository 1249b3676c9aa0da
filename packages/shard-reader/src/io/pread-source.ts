// RecordSource over positioned reads (fs.readSync) of an open file descriptor: the portable fallback.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { checkOpen, checkRange, checkTarget } from './bounds.js';
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
  ) {
    this.#fd = fd;
  }

  get closed(): boolean {
    return this.#fd === undefined;
  }

  read(offset: number, length: number, target?: Uint8Array, targetOffset = 0): Uint8Array {
    checkOpen(this.path, this.#fd === undefined);
    checkRange(this.path, this.size, offset, length);
    if (target) checkTarget(this.path, target, targetOffset, length);
    const out = target ?? new Uint8Array(length);
    const at = target ? targetOffset : 0;
    let done = 0;
    while (done < length) {
      const n = readSync(this.#fd!, out, at + done, Math.min(length - done, MAX_CHUNK), offset + done);
      if (n === 0) {
        throw new Error(
          `shard-reader: ${this.path} ended at byte ${offset + done} while reading ${length} bytes at offset ${offset} (${this.size} bytes when opened)`,
        );
      }
      done += n;
    }
    return target ? out.subarray(at, at + length) : out;
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
    closeSync(fd);
  }
}

/** Opens the file for positioned reads; works without the native addon. */
export function openPreadSource(path: string): RecordSource {
  const fd = openSync(path, 'r');
  try {
    return new PreadSource(path, fstatSync(fd).size, fd);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}
