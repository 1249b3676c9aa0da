// CRC-32 for record checks: the addon's (native/crc32.cc) when loaded, else Node's zlib.crc32; same results.
import { crc32, type Crc32Fn } from 'shard-format';
import { loadMmapAddon } from './addon.js';

/**
 * The fastest CRC-32 available: the addon's (about 3x zlib's on x86-64 with PCLMULQDQ) or Node's zlib.crc32.
 * Both give identical results; SHARD_READER_NO_MMAP=1 disables the addon here too.
 */
export function fastCrc32(): Crc32Fn {
  const addon = loadMmapAddon();
  return addon && typeof addon.crc32 === 'function' ? (data, value) => addon.crc32(data, value) : crc32;
}
