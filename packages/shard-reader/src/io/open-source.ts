// Chooses the record backend for a file: mmap when the native addon is available, else pread.
import { openMmapSource } from './mmap-source.js';
import { loadMmapAddon } from './native.js';
import { openPreadSource } from './pread-source.js';
import type { BackendChoice, RecordSource } from './types.js';

/**
 * Opens `path` with the requested backend. 'auto' (the default) uses mmap when the addon loads and
 * the file can be mapped, and pread otherwise; 'mmap' throws when mapping is not possible.
 */
export function openSource(path: string, backend: BackendChoice = 'auto'): RecordSource {
  switch (backend) {
    case 'mmap':
      return openMmapSource(path);
    case 'pread':
      return openPreadSource(path);
    case 'auto':
      if (loadMmapAddon()) {
        try {
          return openMmapSource(path);
        } catch {
          // Unmappable file (too large, odd filesystem...): pread reads it, or reports why it cannot.
        }
      }
      return openPreadSource(path);
    default:
      throw new TypeError(`shard-reader: unknown backend '${String(backend)}' (expected 'mmap', 'pread' or 'auto')`);
  }
}
