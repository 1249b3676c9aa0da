// Chooses the record backend for a file: mmap when the native addon is available, else pread.
import { mmapSourceFromFd, openMmapSource, type FdSourceOptions } from './mmap-source.js';
import { loadMmapAddon } from './native.js';
import { openPreadSource, preadSourceFromFd } from './pread-source.js';
import type { BackendChoice, RecordSource } from './types.js';

/**
 * Opens `path` with the requested backend. 'auto' (the default) uses mmap when the addon loads and
 * the file can be mapped, and pread otherwise; 'mmap' throws when mapping is not possible.
 */
export function openSource(path: string, backend: BackendChoice = 'auto'): RecordSource {
  switch (checkBackend(backend)) {
    case 'mmap':
      return openMmapSource(path);
    case 'pread':
      return openPreadSource(path);
    default:
      return loadMmapAddon() ? withFallback(() => openMmapSource(path), () => openPreadSource(path)) : openPreadSource(path);
  }
}

/**
 * A source over a descriptor the caller keeps open and closes after the source (datasets open each shard
 * once and read it through that descriptor until they close, whatever happens to the path).
 */
export function sourceFromFd(path: string, fd: number, backend: BackendChoice = 'auto', options: FdSourceOptions = {}): RecordSource {
  switch (checkBackend(backend)) {
    case 'mmap':
      return mmapSourceFromFd(path, fd, options);
    case 'pread':
      return preadSourceFromFd(path, fd, options);
    default:
      return loadMmapAddon() ? withFallback(() => mmapSourceFromFd(path, fd, options), () => preadSourceFromFd(path, fd, options)) : preadSourceFromFd(path, fd, options);
  }
}

function withFallback(mmap: () => RecordSource, fallback: () => RecordSource): RecordSource {
  try {
    return mmap();
  } catch {
    // Unmappable file (odd filesystem, address space...): pread reads it, or reports why it cannot.
    return fallback();
  }
}

function checkBackend(backend: BackendChoice): BackendChoice {
  if (backend === 'mmap' || backend === 'pread' || backend === 'auto') return backend;
  throw new TypeError(`shard-reader: unknown backend '${String(backend)}' (expected 'mmap', 'pread' or 'auto')`);
}
