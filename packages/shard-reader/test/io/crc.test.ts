// The addon's CRC-32 (native/crc32.cc) must give exactly zlib's results; without the addon there is nothing to compare.
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadMmapAddon, mmapUnavailableReason } from '../../src/io/addon.js';
import { fastCrc32 } from '../../src/io/crc.js';

const zcrc = (zlib as unknown as { crc32(d: Uint8Array, v?: number): number }).crc32;
const skipReason = mmapUnavailableReason();
// Without the addon fastCrc32 *is* zlib.crc32: comparing it with itself would pass and prove nothing.
if (skipReason) console.warn(`shard-reader crc tests skipped: ${skipReason}`);

describe.skipIf(skipReason !== undefined)('fastCrc32 (native addon)', () => {
  it('uses the addon, not the zlib fallback', () => {
    expect(loadMmapAddon()?.crc32).toBeTypeOf('function');
    expect(fastCrc32()).not.toBe(zcrc);
  });

  it('matches zlib.crc32 on every length, alignment and start value', () => {
    const crc = fastCrc32();
    expect(crc(Buffer.from('123456789')) >>> 0).toBe(0xcbf43926);
    const data = randomBytes(70_000);
    for (let t = 0; t < 2000; t++) {
      const start = t % 17;
      const len = t < 300 ? t : (t * 7919) % (data.length - 17);
      const view = data.subarray(start, start + len);
      const value = t % 3 === 0 ? 0 : (t * 2654435761) >>> 0;
      expect(crc(view, value) >>> 0, `len ${len} start ${start}`).toBe(zcrc(view, value) >>> 0);
    }
  });

  it('continues a CRC across pieces like zlib', () => {
    const crc = fastCrc32();
    const data = randomBytes(65_600);
    expect(crc(data.subarray(40_000), crc(data.subarray(0, 40_000))) >>> 0).toBe(zcrc(data) >>> 0);
  });
});
