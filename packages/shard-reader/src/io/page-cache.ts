// Drops a file's pages from the OS page cache (posix_fadvise DONTNEED), for cold-read benchmarks.
import { closeSync, openSync } from 'node:fs';
import { loadMmapAddon } from './addon.js';

/** Asks the kernel to evict `path` from the page cache; false when the native addon is unavailable. */
export function dropPageCache(path: string): boolean {
  const addon = loadMmapAddon();
  if (!addon) return false;
  const fd = openSync(path, 'r');
  try {
    addon.fadvise(fd, 0, 0, 'dontneed');
    return true;
  } finally {
    closeSync(fd);
  }
}
