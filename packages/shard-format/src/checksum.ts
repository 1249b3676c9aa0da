// Checksums: CRC-32 (zlib's polynomial, native in Node >= 20.15) for records, SHA-256 for files.
import { createHash } from 'node:crypto';
import * as zlib from 'node:zlib';

type Crc32 = (data: Uint8Array | string, value?: number) => number;
const nativeCrc32 = (zlib as unknown as { crc32?: Crc32 }).crc32;
if (typeof nativeCrc32 !== 'function') {
  throw new Error('shard-format needs zlib.crc32 (Node.js >= 20.15)');
}

/** CRC-32 (IEEE 802.3, as zlib/PNG) of `data`, optionally continuing from `value`. */
export function crc32(data: Uint8Array | string, value = 0): number {
  return nativeCrc32!(data, value) >>> 0;
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
