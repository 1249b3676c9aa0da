// RecordStore over a shard built from plain bytes: records located by the spanner, each checked as it is
// read, a damaged or misplaced record refused with the integrity checks' own wording.
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DATA_OFFSET, buildSeed, encodeRecord, recordLayout } from 'shard-format';
import { RECORD_CHECKSUM_MISMATCH, RECORD_OF_ANOTHER_KEY } from '../../src/integrity/records.js';
import { CorruptRecordError, RecordStore, type StoreSpec } from '../../src/store/record-store.js';
import { Spanner } from '../../src/store/spanner.js';

const dir = mkdtempSync(path.join(tmpdir(), 'record-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const layout = recordLayout([4, 4, 1], 'uint8', 2);
const buildId = '0123456789abcdef0123456789abcdef';
const perShard = 3;
const keys = ['a/1', 'a/2', 'a/3', 'b/1', 'b/2'];
const image = (i: number) => Uint8Array.from({ length: layout.imageBytes }, (_, j) => (i * 31 + j) & 255);

/** Shards of `perShard` records each (the header page left zero: the store reads records only). */
function writeShards(name: string, damage?: (bytes: Uint8Array, shard: number) => void): string[] {
  const files: string[] = [];
  for (let s = 0; s * perShard < keys.length; s++) {
    const n = Math.min(perShard, keys.length - s * perShard);
    const bytes = new Uint8Array(DATA_OFFSET + n * layout.stride);
    for (let r = 0; r < n; r++) {
      const i = s * perShard + r;
      encodeRecord(bytes.subarray(DATA_OFFSET + r * layout.stride, DATA_OFFSET + (r + 1) * layout.stride), layout, image(i), [i, -i], keys[i], buildSeed(buildId));
    }
    damage?.(bytes, s);
    const file = `${name}-${s}.bin`;
    writeFileSync(path.join(dir, file), bytes);
    files.push(file);
  }
  return files;
}

const fds: number[] = [];
afterEach(() => fds.splice(0).forEach((fd) => closeSync(fd)));

function storeOf(files: string[]): RecordStore {
  const opened = files.map((f) => openSync(path.join(dir, f), 'r'));
  fds.push(...opened);
  const spec: StoreSpec = {
    dir,
    shardFiles: files,
    fds: opened,
    shardBytes: files.map((_, s) => DATA_OFFSET + Math.min(perShard, keys.length - s * perShard) * layout.stride),
    perShard,
    size: keys.length,
    layout,
    buildId,
    backend: 'pread',
    verify: true,
  };
  return new RecordStore(spec);
}

describe('Spanner', () => {
  it('maps a global index to (shard, record), and names the valid range otherwise', () => {
    const s = new Spanner(5, 3);
    expect([0, 2, 3, 4].map((i) => s.locate(i))).toEqual([{ shard: 0, record: 0 }, { shard: 0, record: 2 }, { shard: 1, record: 0 }, { shard: 1, record: 1 }]);
    expect(() => s.locate(5)).toThrow(new RangeError('sample 5 is outside 0..4'));
    expect(() => s.locate(-1)).toThrow(RangeError);
  });
});

describe('RecordStore', () => {
  it('reads every record by global index: image and labels as written', () => {
    const store = storeOf(writeShards('good'));
    for (let i = 0; i < keys.length; i++) {
      expect(store.record(i, keys[i]).subarray(0, layout.imageBytes)).toEqual(image(i));
      const img = new Uint8Array(layout.imageBytes);
      const labels = new Float32Array(2);
      store.copyRecord(i, keys[i], img, labels, 0);
      expect([img, [...labels]]).toEqual([image(i), [i, -i]]);
    }
  });

  it('refuses a damaged record with the checksum wording verify uses, naming shard, record and key', () => {
    const files = writeShards('flipped', (bytes, s) => void (s === 1 && (bytes[DATA_OFFSET + layout.stride + 3] ^= 1)));
    const store = storeOf(files);
    const where = `${files[1]}, record 1, key ${keys[4]}: `;
    expect(() => store.record(4, keys[4])).toThrow(new CorruptRecordError(RECORD_CHECKSUM_MISMATCH, { file: files[1], record: 1, key: keys[4] }));
    expect(() => store.copyRecord(4, keys[4], new Uint8Array(layout.imageBytes), new Float32Array(2), 0)).toThrow(where + RECORD_CHECKSUM_MISMATCH);
    expect(RECORD_CHECKSUM_MISMATCH).toBe('checksum mismatch (damaged bytes)');
  });

  it("refuses an intact record of another key with verify's wording", () => {
    const store = storeOf(writeShards('swapped'));
    expect(() => store.record(0, keys[1])).toThrow(`${'swapped-0.bin'}, record 0, key ${keys[1]}: ${RECORD_OF_ANOTHER_KEY}`);
    expect(() => store.copyRecord(0, keys[1], new Uint8Array(layout.imageBytes), new Float32Array(2), 0)).toThrow(RECORD_OF_ANOTHER_KEY);
    expect(RECORD_OF_ANOTHER_KEY).toBe('record belongs to another key or another build (shard and index disagree)');
  });
});
