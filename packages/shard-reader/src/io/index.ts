// Public surface of the record I/O layer.
export type { AccessHint, Backend, BackendChoice, RecordSource } from './types.js';
export type { MmapAddon } from './native.js';
export { fastCrc32, floatConverter, type FloatConverter, loadMmapAddon, mmapUnavailableReason, liveMappings } from './native.js';
export { openMmapSource } from './mmap-source.js';
export { openPreadSource } from './pread-source.js';
export { openSource } from './open-source.js';
export { dropPageCache } from './page-cache.js';
