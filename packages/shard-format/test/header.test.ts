// Shard header: round trip, and the errors hostile header bytes must produce.
import { describe, expect, it } from 'vitest';
import { DATA_OFFSET, crc32, FormatError, HEADER_BYTES, decodeHeader, encodeHeader, FORMAT_VERSION, imageBytes, schemaHash } from '../src/index.js';
import { schema } from './schema.js';

describe('header', () => {
  const fields = {
    schemaHash: schemaHash(schema),
    buildId: '0123456789abcdef0123456789abcdef',
    shardIndex: 3,
    recordCount: 11,
    recordStride: schema.record.stride,
    firstSample: 33,
    imageBytes: schema.record.imageBytes,
    labelCount: 3,
    dtype: 'uint16' as const,
    height: 17,
    width: 21,
    channels: 1,
  };

  it('round-trips every field', () => {
    const bytes = encodeHeader(fields);
    expect(bytes.length).toBe(HEADER_BYTES);
    expect(decodeHeader(bytes, 'x.bin')).toEqual({ ...fields, version: FORMAT_VERSION, dataOffset: DATA_OFFSET });
  });

  it('rejects bad magic, unknown versions and any flipped bit, naming the file', () => {
    const good = encodeHeader(fields);
    const badMagic = good.slice();
    badMagic[0] ^= 1;
    expect(() => decodeHeader(badMagic, 'x.bin')).toThrow('x.bin: not a shard file (bad magic)');
    const v9 = good.slice();
    v9[8] = 9;
    new DataView(v9.buffer).setUint32(124, crc32(v9.subarray(0, 124)), true); // a well-formed header of a newer version
    expect(() => decodeHeader(v9, 'x.bin')).toThrow(/x\.bin: unsupported shard format version 9/);
    for (let byte = 8; byte < HEADER_BYTES; byte++) {
      const flipped = good.slice();
      flipped[byte] ^= 0x10;
      expect(() => decodeHeader(flipped, 'x.bin'), `byte ${byte}`).toThrow(FormatError);
    }
    expect(() => decodeHeader(good.subarray(0, 64), 'x.bin')).toThrow(/truncated/);
  });

  it('refuses non-zero reserved bytes even under a valid header CRC', () => {
    for (const byte of [12, 15, 108, 123]) {
      const h = encodeHeader(fields).slice();
      h[byte] = 1;
      new DataView(h.buffer).setUint32(124, crc32(h.subarray(0, 124)), true);
      expect(() => decodeHeader(h, 'x.bin'), `byte ${byte}`).toThrow(`x.bin: reserved header byte ${byte} is not zero`);
    }
  });
});
