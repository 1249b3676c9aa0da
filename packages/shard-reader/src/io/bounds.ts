// Argument and range checks shared by the record sources: every error names the file.
import { fstatSync } from 'node:fs';

function checkIndex(path: string, name: string, value: number): void {
  if (typeof value !== 'number') throw new TypeError(`shard-reader: ${name} must be a number reading ${path}, got ${typeof value}`);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`shard-reader: ${name} must be a non-negative integer reading ${path}, got ${value}`);
  }
}

/** Throws unless [offset, offset + length) lies inside a file of `size` bytes. */
export function checkRange(path: string, size: number, offset: number, length: number): void {
  checkIndex(path, 'offset', offset);
  checkIndex(path, 'length', length);
  if (offset > size || length > size - offset) {
    throw new RangeError(
      `shard-reader: read of ${length} bytes at offset ${offset} is past the end of ${path} (${size} bytes)`,
    );
  }
}

/** Throws unless `length` bytes fit in `target` at `targetOffset`. */
export function checkTarget(path: string, target: Uint8Array, targetOffset: number, length: number): void {
  if (!(target instanceof Uint8Array)) throw new TypeError(`shard-reader: target must be a Uint8Array reading ${path}`);
  checkIndex(path, 'targetOffset', targetOffset);
  if (targetOffset > target.length || length > target.length - targetOffset) {
    throw new RangeError(
      `shard-reader: ${length} bytes do not fit in the target (${target.length} bytes) at ${targetOffset} reading ${path}`,
    );
  }
}

/** Throws the error for use after close(). */
export function checkOpen(path: string, closed: boolean): void {
  if (closed) throw new Error(`shard-reader: ${path} is closed`);
}

/** fstat size of an open descriptor, or undefined when it cannot be taken (only used to explain errors). */
export function sizeOf(fd: number): number | undefined {
  try {
    return fstatSync(fd).size;
  } catch {
    return undefined;
  }
}
