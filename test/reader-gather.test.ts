// The reader reads each batch with one native gather (CRC fused with the copy), on the main thread and in
// workers, with the same bytes, labels, skipped records and context stacks as the record-by-record pread path.
import { openSync, readSync, rmSync, writeSync, closeSync, cpSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { openDataset, type Batch, type BatchOptions, type Dataset } from 'shard-reader';
import { loadMmapAddon } from '../packages/shard-reader/src/io/addon.js';
import { realMrShards } from './helpers/real-mr-shards.js';
import { tempDir } from './helpers/tree.js';

const addon = loadMmapAddon();
const shards = realMrShards();
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

type Read = { images: number[][]; labels: number[][]; keys: string[][] };

async function readAll(ds: Dataset, o: BatchOptions): Promise<Read> {
  const out: Read = { images: [], labels: [], keys: [] };
  for await (const b of ds.batches(o) as AsyncIterable<Batch>) {
    out.images.push([...b.images]);
    out.labels.push([...b.labels]);
    out.keys.push(b.keys);
    b.release();
  }
  return out;
}

/** Reads every batch; inline mmap reads must have gone through the native gather (workers: their own addon). */
async function read(dir: string, backend: 'mmap' | 'pread', o: BatchOptions, workers = 0, onCorrupt: 'error' | 'skip' = 'error'): Promise<Read> {
  const gather = vi.spyOn(addon!, 'gather');
  const ds = await openDataset(dir, { backend, workers, onCorrupt });
  try {
    await ds.ready();
    const r = await readAll(ds, o);
    if (workers === 0) expect(gather.mock.calls.length > 0).toBe(backend === 'mmap');
    return r;
  } finally {
    gather.mockRestore();
    await ds.close();
  }
}

/** A copy of the dataset with one byte of sample `index`'s image flipped. */
function damaged(index: number): string {
  const d = tempDir();
  dirs.push(d);
  const copy = path.join(d, 'shards');
  cpSync(shards.dir, copy, { recursive: true });
  const shard = Math.floor(index / 9);
  const file = path.join(copy, `shard-${String(shard).padStart(5, '0')}.bin`);
  const fd = openSync(file, 'r+');
  const b = Buffer.alloc(1);
  const at = 4096 + (index % 9) * 640 + 100;
  readSync(fd, b, 0, 1, at);
  b[0] ^= 0xff;
  writeSync(fd, b, 0, 1, at);
  closeSync(fd);
  return copy;
}

describe.skipIf(!addon)('batch gather', () => {
  it('reads a batch with one native call and no per-record copies on the main thread', async () => {
    const gather = vi.spyOn(addon!, 'gather');
    const copy = vi.spyOn(addon!, 'copy');
    const crc = vi.spyOn(addon!, 'crc32');
    try {
      const ds = await openDataset(shards.dir, { backend: 'mmap', workers: 0 });
      const r = await readAll(ds, { batchSize: 8, seed: 3, shuffle: 'global' });
      await ds.close();
      expect(r.keys.length).toBe(7);
      expect(gather).toHaveBeenCalledTimes(7);
      expect(copy).not.toHaveBeenCalled();
      expect(crc).not.toHaveBeenCalled();
    } finally {
      gather.mockRestore();
      copy.mockRestore();
      crc.mockRestore();
    }
  });

  it('gives the bytes, labels and keys of the pread path, inline and in workers, with and without context', async () => {
    for (const o of [{ batchSize: 8, seed: 1, shuffle: 'global' }, { batchSize: 5, seed: 2, shuffle: 'block', context: 1 }, { batchSize: 7, seed: 4, context: 2, float: { scale: 2, offset: -1 } }] as BatchOptions[]) {
      const want = await read(shards.dir, 'pread', o);
      expect(await read(shards.dir, 'mmap', o, 0)).toEqual(want);
      expect(await read(shards.dir, 'mmap', o, 2)).toEqual(want);
    }
  });

  it('leaves out exactly the corrupt sample under onCorrupt skip, and every sample whose context slice is corrupt', async () => {
    const bad = damaged(20);
    for (const o of [{ batchSize: 8, seed: 1 }, { batchSize: 8, seed: 1, context: 1 }, { batchSize: 6, seed: 5, context: 1, augment: { flipH: true, rot90: true } }] as BatchOptions[]) {
      const want = await read(bad, 'pread', o, 0, 'skip');
      const got = await read(bad, 'mmap', o, 0, 'skip');
      expect(got).toEqual(want);
      const keys = got.keys.flat();
      expect(keys.length).toBeLessThan(51);
      expect(keys.length).toBeGreaterThanOrEqual(o.context ? 48 : 50);
    }
    await expect(read(bad, 'mmap', { batchSize: 8, seed: 1 })).rejects.toThrow(/checksum mismatch \(damaged bytes\)/);
  });

  it('names an intact record of another key (key CRC) as the per-record path does', async () => {
    // Record 1 of shard 2 overwritten with record 0: its own CRC holds, its key CRC is sample 18's.
    const d = tempDir();
    dirs.push(d);
    const mixed = path.join(d, 'mixed');
    cpSync(shards.dir, mixed, { recursive: true });
    const fd = openSync(path.join(mixed, 'shard-00002.bin'), 'r+');
    const record = Buffer.alloc(640);
    readSync(fd, record, 0, 640, 4096);
    writeSync(fd, record, 0, 640, 4096 + 640);
    closeSync(fd);
    for (const backend of ['mmap', 'pread'] as const) {
      await expect(read(mixed, backend, { batchSize: 8, seed: 1 })).rejects.toThrow(/shard-00002\.bin.*record 1.*belongs to another key or another build/);
    }
  });
});
