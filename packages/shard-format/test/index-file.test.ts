// Index sidecar: round trip, and the key and label rules a decoded index must keep.
import { describe, expect, it } from 'vitest';
import { decodeShardIndex, encodeShardIndex } from '../src/index.js';

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
