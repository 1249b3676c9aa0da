// Record layout: label alignment, stride, records per shard.
import { describe, expect, it } from 'vitest';
import { DATA_OFFSET, RECORD_ALIGN, recordLayout, recordsPerShard } from '../src/index.js';
import { schema } from './schema.js';

describe('record layout', () => {
  it('aligns labels to 4 bytes and the stride to 64 bytes', () => {
    const l = schema.record;
    expect(l.imageBytes).toBe(17 * 21 * 2);
    expect(l.labelsOffset % 4).toBe(0);
    expect(l.labelsOffset).toBeGreaterThanOrEqual(l.imageBytes);
    expect(l.crcOffset).toBe(l.keyCrcOffset + 4);
    expect(l.stride % RECORD_ALIGN).toBe(0);
    expect(l.stride).toBeGreaterThanOrEqual(l.crcOffset + 4);
    expect(recordLayout([256, 256, 1], 'uint8', 5).stride).toBe(65536 + 64);
  });

  it('fits whole records into the target shard size, at least one', () => {
    expect(recordsPerShard(DATA_OFFSET + 10 * 128 + 5, DATA_OFFSET, 128)).toBe(10);
    expect(recordsPerShard(100, DATA_OFFSET, 1 << 20)).toBe(1);
  });
});
