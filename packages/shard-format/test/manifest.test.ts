// Manifest: round trip with its checksum, and the errors hostile JSON must produce.
import { describe, expect, it } from 'vitest';
import { DATA_OFFSET, FormatError, decodeManifest, encodeManifest, manifestChecksum, FORMAT_VERSION, recordsPerShard, schemaHash, type Manifest } from '../src/index.js';
import { schema } from './schema.js';

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
