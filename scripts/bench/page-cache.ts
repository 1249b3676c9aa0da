// Puts shard files into, or takes them out of, the page cache, and times a plain sequential read.
import { closeSync, openSync, readSync } from 'node:fs';
import { dropPageCache } from 'shard-reader';

const CHUNK = 8 << 20;

/** Reads every file front to back; returns bytes per second. Warms the cache as a side effect. */
export function sequentialRead(files: string[]): number {
  const buf = Buffer.allocUnsafe(CHUNK);
  let bytes = 0;
  const t = performance.now();
  for (const file of files) {
    const fd = openSync(file, 'r');
    try {
      for (let n; (n = readSync(fd, buf, 0, CHUNK, null)) > 0; ) bytes += n;
    } finally {
      closeSync(fd);
    }
  }
  return bytes / ((performance.now() - t) / 1000);
}

/** Evicts the files from the page cache (posix_fadvise DONTNEED through the addon); false if it cannot. */
export function dropCache(files: string[]): boolean {
  return files.map((f) => dropPageCache(f)).every(Boolean);
}
