// A shard's SHA-256 in its entry is the file's, whichever way the writer got it: hashed as written (the
// header it began with came true) or read back (the count was not the one expected).
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DATA_OFFSET, recordLayout, type Schema } from 'shard-format';
import { ShardSetWriter } from '../src/shard-set-writer.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'shard-set-writer-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const schema: Schema = {
  shape: [8, 8, 1],
  dtype: 'uint8',
  labelNames: ['x'],
  record: recordLayout([8, 8, 1], 'uint8', 1),
  preprocess: { size: 8, fit: 'contain', kernel: 'lanczos3', window: null, windows: null, rescale: null, intensity: 'auto' },
} as unknown as Schema;

async function write(dir: string, samples: number, perShard: number, remaining?: (written: number) => number) {
  const writer: ShardSetWriter = new ShardSetWriter(dir, schema, 'ab'.repeat(32), 'cd'.repeat(16), perShard, [], undefined, undefined, remaining && ((): number => remaining(writer.written)));
  for (let i = 0; i < samples; i++) await writer.add(new Uint8Array(64).fill(i % 251), [i], `k${String(i).padStart(4, '0')}`);
  return writer.finish();
}

describe('ShardSetWriter hashes', () => {
  it('gives each shard the SHA-256 of its file: exact, too low, too high and unknown counts ahead, full and short last shards', async () => {
    const cases: [string, number, number, ((written: number) => number) | undefined][] = [
      ['exact', 23, 10, (n) => 23 - n],
      ['too few expected', 23, 10, (n) => 20 - n],
      ['too many expected', 23, 10, (n) => 40 - n],
      ['unknown', 23, 10, undefined],
      ['whole shards only', 20, 10, (n) => 20 - n],
      ['one short shard', 3, 10, (n) => 3 - n],
    ];
    for (const [name, samples, perShard, remaining] of cases) {
      const dir = mkdtempSync(path.join(tmp, 'case-'));
      const entries = await write(dir, samples, perShard, remaining);
      expect(entries.reduce((n, e) => n + e.samples, 0), name).toBe(samples);
      for (const e of entries) {
        const bytes = readFileSync(path.join(dir, e.file));
        expect(bytes.length, name).toBe(e.bytes);
        expect(e.bytes, name).toBe(DATA_OFFSET + e.samples * schema.record.stride);
        expect(e.sha256, `${name}: ${e.file}`).toBe(createHash('sha256').update(bytes).digest('hex'));
      }
    }
  });
});
