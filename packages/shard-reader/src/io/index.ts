// Public surface of the record I/O layer.
export type { AccessHint, Backend, BackendChoice, RecordSource } from './types.js';
export type { MappingHandle, MmapAddon } from './native.js';
export { fastCrc32, floatConverter, type FloatConverter, loadMmapAddon, mmapUnavailableReason, liveMappings } from './native.js';
export { mmapSourceFromFd, openMmapSource, type FdSourceOptions } from './mmap-source.js';
export { openPreadSource, preadSourceFromFd } from './pread-source.js';
export { openSource, sourceFromFd } from './open-source.js';
export { FileChangedError } from './file-changed.js';
export { dropPageCache } from './page-cache.js';
