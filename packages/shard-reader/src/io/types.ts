// Types of the record I/O layer: backends, access hints and the RecordSource contract.

/** How a source reads its file: a native read-only memory map, or positioned reads (fs.readSync). */
export type Backend = 'mmap' | 'pread';

/** Backend requested by a caller: 'auto' picks mmap when the native addon is available. */
export type BackendChoice = Backend | 'auto';

/** Access-pattern hint, passed to madvise (mmap) or posix_fadvise (pread). */
export type AccessHint = 'sequential' | 'random' | 'willneed' | 'dontneed';

/** Random access to the bytes of one immutable file (a shard). Offsets are file offsets. */
export interface RecordSource {
  readonly backend: Backend;
  /** The file the source reads; named in every error. */
  readonly path: string;
  /** File size in bytes, taken when the source was opened. */
  readonly size: number;
  /** True once close() has been called. */
  readonly closed: boolean;
  /**
   * Copies bytes [offset, offset + length) into `target` at `targetOffset` (default 0), or into a new
   * Uint8Array when no target is given, and returns the filled part. RangeError when the range is
   * outside the file or does not fit in the target; Error when the source is closed.
   */
  read(offset: number, length: number, target?: Uint8Array, targetOffset?: number): Uint8Array;
  /**
   * Zero-copy view of bytes [offset, offset + length) (mmap only). The view is valid until close():
   * closing detaches the mapping, after which the view has length 0 (never a view of freed memory).
   */
  view?(offset: number, length: number): Uint8Array;
  /** Access-pattern hint for a range (length 0 = to the end of the file). No-op without the native addon. */
  advise(offset: number, length: number, hint: AccessHint): void;
  /** Releases the mapping or file descriptor. Idempotent. */
  close(): void;
}
