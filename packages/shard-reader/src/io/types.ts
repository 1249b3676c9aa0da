// Types of the record I/O layer: backends, access hints and the RecordSource contract.

/** How a source reads its file: a native read-only memory map, or positioned reads (fs.readSync). */
export type Backend = 'mmap' | 'pread';

/** Backend requested by a caller: 'auto' picks mmap when the native addon is available. */
export type BackendChoice = Backend | 'auto';

/** Access-pattern hint, passed to madvise (mmap) or posix_fadvise (pread). */
export type AccessHint = 'sequential' | 'random' | 'willneed' | 'dontneed';

/**
 * Random access to the bytes of one immutable file (a shard). Offsets are file offsets. Every read is a
 * copy: no backend hands out a view of its file's memory, so a file that changes under a source ends in
 * an Error naming it, never in a signal.
 */
export interface RecordSource {
  readonly backend: Backend;
  /** The file the source reads; named in every error. */
  readonly path: string;
  /** File size in bytes: the size it had when opened (or the size the caller vouched for). */
  readonly size: number;
  /**
   * The file's size now, through the source's descriptor (undefined when the source no longer holds one).
   * Differs from `size` when the file was truncated or grew in place since it was opened.
   */
  currentSize(): number | undefined;
  /** True once close() has been called. */
  readonly closed: boolean;
  /**
   * Copies bytes [offset, offset + length) into `target` at `targetOffset` (default 0), or into a new
   * Uint8Array when no target is given, and returns the filled part. RangeError when the range is
   * outside the file or does not fit in the target; Error when the source is closed.
   */
  read(offset: number, length: number, target?: Uint8Array, targetOffset?: number): Uint8Array;
  /**
   * Copies head.length bytes at `offset` into `head`, then the tail.length bytes after them into `tail`
   * (one guarded copy with mmap, one readv with pread). Same errors as read().
   */
  readSplit(offset: number, head: Uint8Array, tail: Uint8Array): void;
  /** Access-pattern hint for a range (length 0 = to the end of the file). No-op without the native addon. */
  advise(offset: number, length: number, hint: AccessHint): void;
  /** Releases the mapping or file descriptor. Idempotent. */
  close(): void;
}
