// One record: encode, CRC and key CRC checks, labels, padding.
import { describe, expect, it } from 'vitest';
import { crc32, decodeLabels, buildSeed, encodeRecord, imageBytes, keyCrc, recordCrcOk, storedKeyCrc } from '../src/index.js';
import { schema } from './schema.js';

describe('record', () => {
  it('round-trips image and labels, and its CRC catches any single-byte change', () => {
    const l = schema.record;
    const image = Uint8Array.from({ length: l.imageBytes }, (_, i) => (i * 7) & 255);
    const out = new Uint8Array(l.stride);
    const seed = buildSeed('0123456789abcdef0123456789abcdef');
    encodeRecord(out, l, image, [0, 1, 0.25], 'patient_1/slice_1', seed);
    expect(imageBytes(out, l)).toEqual(image);
    expect([...decodeLabels(out, l)]).toEqual([0, 1, 0.25]);
    // The key CRC is the CRC of the 16 build-id bytes followed by the key's UTF-8 bytes.
    const concat = Buffer.concat([Buffer.from('0123456789abcdef0123456789abcdef', 'hex'), Buffer.from('patient_1/slice_1')]);
    expect(storedKeyCrc(out, l)).toBe(crc32(concat));
    expect(storedKeyCrc(out, l)).toBe(keyCrc('patient_1/slice_1', seed));
    expect(keyCrc('patient_1/slice_1', buildSeed('f'.repeat(32)))).not.toBe(keyCrc('patient_1/slice_1', seed));
    expect(recordCrcOk(out, l)).toBe(true);
    for (const at of [0, l.imageBytes - 1, l.labelsOffset + 5, l.keyCrcOffset, l.crcOffset + 2]) {
      const bad = out.slice();
      bad[at] ^= 0x01;
      expect(recordCrcOk(bad, l), `byte ${at}`).toBe(false);
    }
  });

  it('refuses images and label vectors of the wrong size', () => {
    const l = schema.record;
    expect(() => encodeRecord(new Uint8Array(l.stride), l, new Uint8Array(3), [0, 0, 0], 'k', 0)).toThrow(/image has 3 bytes/);
    expect(() => encodeRecord(new Uint8Array(l.stride), l, new Uint8Array(l.imageBytes), [0], 'k', 0)).toThrow(/got 1 labels/);
  });
});
