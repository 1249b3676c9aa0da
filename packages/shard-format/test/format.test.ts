// Format round trips and the errors hostile bytes and JSON must produce.
import { describe, expect, it } from 'vitest';
import {
  DATA_OFFSET,
  crc32,
  FormatError,
  HEADER_BYTES,
  RECORD_ALIGN,
  decodeHeader,
  decodeLabels,
  decodeManifest,
  decodeShardIndex,
  encodeHeader,
  encodeManifest,
  manifestChecksum,
  buildSeed,
  encodeRecord,
  FORMAT_VERSION,
  encodeShardIndex,
  imageBytes,
  keyCrc,
  recordCrcOk,
  recordLayout,
  recordsPerShard,
  schemaHash,
  storedKeyCrc,
  type Manifest,
  type Schema,
} from '../src/index.js';

const schema: Schema = {
  shape: [17, 21, 1],
  dtype: 'uint16',
  labelNames: ['a', 'b', 'c'],
  record: recordLayout([17, 21, 1], 'uint16', 3),
  preprocess: { size: 17, fit: 'contain', kernel: 'lanczos3', window: null, windows: null, rescale: null, intensity: 'auto' },
};

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

function manifest(): Omit<Manifest, 'checksum'> {
  const stride = schema.record.stride;
  const perShard = recordsPerShard(DATA_OFFSET + 2 * stride, DATA_OFFSET, stride);
  const entry = (i: number, samples: number) => ({
    file: `shard-0000${i}.bin`,
    bytes: DATA_OFFSET + samples * stride,
    sha256: 'a'.repeat(64),
    samples,
    firstSample: i * 2,
    index: { file: `shard-0000${i}.index.json`, bytes: 10, sha256: 'b'.repeat(64) },
  });
  return {
    format: 'ct-shards',
    version: FORMAT_VERSION,
    schema,
    schemaHash: schemaHash(schema),
    buildId: '0123456789abcdef0123456789abcdef',
    samples: 3,
    recordsPerShard: perShard,
    dataOffset: DATA_OFFSET,
    build: { tool: 't', shardBytes: DATA_OFFSET + 2 * stride, inputs: 4, written: 3, skipped: [{ file: 'p/x.png', reason: 'bad' }] },
    shards: [entry(0, 2), entry(1, 1)],
  };
}

describe('manifest', () => {
  it('round-trips, with a checksum over every field', () => {
    const m = manifest();
    const decoded = decodeManifest(encodeManifest(m), 'manifest.json');
    expect(decoded).toEqual({ ...m, checksum: decoded.checksum });
    expect(decoded.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it('rejects any edit the structure alone would accept', () => {
    const m = JSON.parse(encodeManifest(manifest()));
    m.build.tool = 'someone else';
    expect(() => decodeManifest(JSON.stringify(m), 'm.json')).toThrow('m.json: checksum does not match the manifest content (edited or damaged)');
  });

  const cases: [string, (m: any) => void, RegExp][] = [
    ['path traversal', (m) => (m.shards[0].file = '../etc/passwd'), /shards\[0\]\.file must be a plain file name/],
    ['absolute path', (m) => (m.shards[1].index.file = '/tmp/x'), /shards\[1\]\.index\.file must be a plain file name/],
    ['unknown version', (m) => (m.version = 9), /unsupported manifest version 9/],
    ['wrong type', (m) => (m.samples = '3'), /samples must be an integer/],
    ['absurd count', (m) => (m.shards[0].samples = 1e12), /shards\[0\]\.samples is 1000000000000, outside/],
    ['schema tampered', (m) => (m.schema.labelNames[0] = 'z'), /schemaHash does not match the schema/],
    ['gap in samples', (m) => (m.shards[1].firstSample = 5), /shards\[1\]\.firstSample is 5, expected 2/],
    ['wrong byte size', (m) => (m.shards[0].bytes += 1), /shards\[0\]\.bytes is/],
    ['counts do not add up', (m) => (m.build.inputs = 9), /counts do not add up/],
    ['record layout lies', (m) => (m.schema.record.stride = 64), /schema\.record\.stride must be/],
    ['huge shape', (m) => (m.schema.shape = [1e6, 1e6, 1]), /schema\.shape\[0\] is 1000000, outside/],
    ['an unknown top-level field', (m) => (m.extra = 1), /manifest has unknown field "extra"/],
    ['an unknown nested field', (m) => (m.shards[1].index.note = 'x'), /shards\[1\]\.index has unknown field "note"/],
    ['a build id that is not hex', (m) => (m.buildId = 'x'.repeat(32)), /buildId must be 32 lowercase hex digits/],
  ];
  for (const [name, mutate, message] of cases) {
    it(`rejects ${name} naming the file and field`, () => {
      const m = JSON.parse(encodeManifest(manifest()));
      mutate(m);
      m.checksum = manifestChecksum(m); // a consistent forgery, so the field checks themselves are exercised
      const error = catchError(() => decodeManifest(JSON.stringify(m), 'data/manifest.json'));
      expect(error).toBeInstanceOf(FormatError);
      expect(error.message).toMatch(/^data\/manifest\.json: /);
      expect(error.message).toMatch(message);
    });
  }

  it('rejects text that is not JSON', () => {
    expect(() => decodeManifest('{"format":', 'm.json')).toThrow(/^m\.json: not valid JSON/);
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('index sidecar', () => {
  const expectOf = { shard: 'shard-00000.bin', firstSample: 0, samples: 2, labelCount: 2 };
  it('round-trips and checks counts against the manifest', () => {
    const text = encodeShardIndex({ shard: 'shard-00000.bin', firstSample: 0, keys: ['a/1', 'a/2'], labels: [[0, 1], [1, 0]] });
    expect(decodeShardIndex(text, 'i.json', expectOf).keys).toEqual(['a/1', 'a/2']);
    expect(() => decodeShardIndex(text, 'i.json', { ...expectOf, samples: 3 })).toThrow(/i\.json: keys has 2 entries, the manifest says 3/);
    for (const key of ['../x', '/etc/passwd', 'a//b', 'a/./b', 'a\\b', '']) {
      const hostile = encodeShardIndex({ shard: 'shard-00000.bin', firstSample: 0, keys: ['a/1', key], labels: [[0, 1], [1, 0]] });
      expect(() => decodeShardIndex(hostile, 'i.json', expectOf), JSON.stringify(key)).toThrow(/^i\.json: keys\[1\] /);
    }
    for (const [keys, what] of [[['a/1', 'a/1'], 'appears twice'], [['a/2', 'a/1'], 'is out of order']] as const) {
      const text2 = encodeShardIndex({ shard: 'shard-00000.bin', firstSample: 0, keys: [...keys], labels: [[0, 1], [1, 0]] });
      expect(() => decodeShardIndex(text2, 'i.json', expectOf)).toThrow(`i.json: keys[1] "a/1" ${what}: keys are unique and sorted`);
    }
    const long = 'é'.repeat(2049); // 2,049 characters, 4,098 UTF-8 bytes: the limit counts bytes
    const tooLong = encodeShardIndex({ shard: 'shard-00000.bin', firstSample: 0, keys: ['a/1', long], labels: [[0, 1], [1, 0]] });
    expect(() => decodeShardIndex(tooLong, 'i.json', expectOf)).toThrow(/keys\[1\] is longer than 4096 UTF-8 bytes/);
    const bad = encodeShardIndex({ shard: 'shard-00000.bin', firstSample: 0, keys: ['a/1', 'a/2'], labels: [[0, 1], [1]] });
    expect(() => decodeShardIndex(bad, 'i.json', expectOf)).toThrow(/labels\[1\] must be an array of 2 numbers/);
  });
});
