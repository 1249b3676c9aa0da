// Checksums: CRC-32 (zlib's polynomial, native in Node >= 20.15) for records, SHA-256 for files.
import { createHash } from 'node:crypto';
import * as zlib from 'node:zlib';

type Crc32 = (data: Uint8Array | string, value?: number) => number;
let nativeCrc32: Crc32 | undefined;

// Looked up at first use, not at import: importing the package (or a CLI's --help) must not throw on an old Node.
function zlibCrc32(): Crc32 {
  if (nativeCrc32) return nativeCrc32;
  const fn = (zlib as unknown as { crc32?: Crc32 }).crc32;
  if (typeof fn !== 'function') throw new Error(`shard-format needs zlib.crc32 (Node.js >= 20.15); this is ${process.versions.node}`);
  return (nativeCrc32 = fn);
}

/** CRC-32 (IEEE 802.3, as zlib/PNG) of `data`, optionally continuing from `value`. */
export function crc32(data: Uint8Array | string, value = 0): number {
  return zlibCrc32()(data, value) >>> 0;
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Incremental SHA-256, for hashing a file (or a plan) piece by piece. */
export function createSha256(): { update(data: Uint8Array): void; hex(): string } {
  const h = createHash('sha256');
  return {
    update: (data) => void h.update(data),
    hex: () => h.digest('hex'),
  };
}
