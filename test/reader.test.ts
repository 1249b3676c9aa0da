// shard-reader semantics on a real dataset: batches, resume, determinism, augmentation, I/O backends, damage.
// The pure plans (every shuffle mode, rank partitions) are unit-tested in packages/shard-reader/test/{shuffle,batch}.
import { appendFileSync, copyFileSync, cpSync, openSync, readFileSync, rmSync, truncateSync, writeSync, closeSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CorruptRecordError, SHUFFLE_MODES, liveMappings, openDataset, type Batch, type BatchOptions, type Dataset } from 'shard-reader';
// Internal: the raw addon, to know whether the mmap paths can run here.
import { loadMmapAddon } from '../packages/shard-reader/src/io/addon.js';
import { readDataset } from './helpers/read-shards.js';
import { realMrShards } from './helpers/real-mr-shards.js';
import { tempDir } from './helpers/tree.js';

const shards = realMrShards();
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function collect(ds: Dataset, o: BatchOptions): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of ds.batches(o)) out.push(b);
  return out;
}
const keysOf = (batches: Batch[]) => batches.flatMap((b) => b.keys);

describe('reading batches', () => {
  it('yields every sample exactly once per epoch with the bytes and labels on disk', async () => {
    const truth = new Map(readDataset(shards.dir).samples.map((s) => [s.key, s]));
    const ds = await openDataset(shards.dir, { workers: 1 });
    try {
      for (const shuffle of SHUFFLE_MODES) {
        const batches = await collect(ds, { batchSize: 8, seed: 1, shuffle });
        expect(keysOf(batches).sort()).toEqual([...truth.keys()].sort());
        for (const b of batches) {
          b.keys.forEach((k, j) => {
            expect(b.images.subarray(j * 576, (j + 1) * 576), k).toEqual(truth.get(k)!.image);
            expect([...b.labels.subarray(j * 5, (j + 1) * 5)], k).toEqual(truth.get(k)!.labels);
          });
        }
      }
    } finally {
      await ds.close();
    }
  });

  it('gives the same order and bytes whatever the prefetch depth and worker count', async () => {
    const o: BatchOptions = { batchSize: 5, seed: 11, epoch: 3, shuffle: 'global', worldSize: 2, rank: 1 };
    const runs: Batch[][] = [];
    for (const [workers, prefetch] of [[0, 1], [1, 1], [1, 8], [2, 3]]) {
      const ds = await openDataset(shards.dir, { workers });
      runs.push(await collect(ds, { ...o, prefetch }));
      await ds.close();
    }
    for (const r of runs.slice(1)) {
      expect(keysOf(r)).toEqual(keysOf(runs[0]));
      r.forEach((b, i) => expect(b.images).toEqual(runs[0][i].images));
    }
  });

  it('recycles released buffers without changing a single byte, and detaches what was released', async () => {
    for (const workers of [0, 1]) {
      const ds = await openDataset(shards.dir, { workers });
      await ds.ready(); // batches come from the worker from here on
      const o: BatchOptions = { batchSize: 4, seed: 9, shuffle: 'global' };
      const fresh = (await collect(ds, o)).map((b) => ({ keys: b.keys, images: b.images.slice(), labels: b.labels.slice() }));
      let i = 0;
      for await (const b of ds.batches(o)) {
        expect(b.keys).toEqual(fresh[i].keys);
        expect(b.images).toEqual(fresh[i].images);
        expect(b.labels).toEqual(fresh[i].labels);
        const images = b.images;
        b.release();
        b.release(); // idempotent
        if (workers > 0) expect(images.length).toBe(0); // handed back to the worker: detached, never silently reused
        i++;
      }
      expect(i).toBe(fresh.length);
      await ds.close();
    }
  });

  it('resumes at startBatch with exactly the suffix of the epoch, and exposes the state to checkpoint', async () => {
    const ds = await openDataset(shards.dir, { workers: 0 });
    try {
      const o: BatchOptions = { batchSize: 4, seed: 5, epoch: 1, shuffle: 'block', blockShards: 2 };
      const full = await collect(ds, o);
      const stream = ds.batches(o);
      await stream.next();
      await stream.next();
      const state = stream.state();
      expect(state).toMatchObject({ epoch: 1, nextBatch: 2, batchesPerEpoch: full.length, seed: 5, shuffle: 'block' });
      const resumed = await collect(ds, { ...o, startBatch: state.nextBatch });
      expect(resumed.map((b) => b.keys)).toEqual(full.slice(2).map((b) => b.keys));
      expect(resumed[0].batch).toBe(2);
    } finally {
      await ds.close();
    }
  });

  it('gives concurrent next() calls distinct, correctly labelled batches; return() keeps the resume point', async () => {
    const ds = await openDataset(shards.dir, { workers: 1 });
    try {
      const o: BatchOptions = { batchSize: 4, seed: 4, shuffle: 'global' };
      const full = await collect(ds, o);
      const stream = ds.batches(o);
      const [a, b] = await Promise.all([stream.next(), stream.next()]);
      expect([a.value!.batch, b.value!.batch]).toEqual([0, 1]);
      expect(b.value!.keys).toEqual(full[1].keys);
      expect(b.value!.images).toEqual(full[1].images);
      await stream.return();
      expect(stream.state().nextBatch).toBe(2);
      expect((await stream.next()).done).toBe(true);
    } finally {
      await ds.close();
    }
  });

  it('augments deterministically per (seed, epoch, sample), and never in place of the stored shards.dir', async () => {
    const ds = await openDataset(shards.dir, { workers: 1 });
    try {
      const aug = { flipH: true, flipV: true, rot90: true, cropPad: 2, scale: [0.9, 1.1] as [number, number], noise: 0.01 };
      const o: BatchOptions = { batchSize: 8, seed: 2, shuffle: 'none', augment: aug };
      const a = await collect(ds, o);
      const b = await collect(ds, o);
      const c = await collect(ds, { ...o, epoch: 1 });
      const plain = await collect(ds, { ...o, augment: null });
      expect(a.map((x) => x.images)).toEqual(b.map((x) => x.images));
      expect(a.map((x) => x.images)).not.toEqual(c.map((x) => x.images));
      expect(a.map((x) => x.images)).not.toEqual(plain.map((x) => x.images));
      expect(plain[0].images.subarray(0, 576)).toEqual(ds.image(0));
    } finally {
      await ds.close();
    }
  });

  it('refuses augmentation options that would silently damage images', async () => {
    const ds = await openDataset(shards.dir, { workers: 0 });
    for (const augment of [{ noise: NaN }, { cropPad: 1.5 }, { scale: [2, 1] as [number, number] }, { shift: [0, Infinity] as [number, number] }]) {
      expect(() => ds.batches({ augment }), JSON.stringify(augment)).toThrow(RangeError);
    }
    await ds.close();
  });

  it('flipH mirrors each row exactly', async () => {
    const ds = await openDataset(shards.dir, { workers: 0 });
    try {
      // Every sample flips with probability 1/2: over 51 samples some must flip, and a flip must be an exact mirror.
      const plain = await collect(ds, { batchSize: 51, shuffle: 'none' });
      const flipped = await collect(ds, { batchSize: 51, shuffle: 'none', augment: { flipH: true } });
      let mirrored = 0;
      for (let s = 0; s < 51; s++) {
        const p = plain[0].images.subarray(s * 576, (s + 1) * 576);
        const f = flipped[0].images.subarray(s * 576, (s + 1) * 576);
        const mirror = Uint8Array.from({ length: 576 }, (_, i) => p[Math.floor(i / 24) * 24 + 23 - (i % 24)]);
        const same = Buffer.compare(Buffer.from(f), Buffer.from(p)) === 0;
        const isMirror = Buffer.compare(Buffer.from(f), Buffer.from(mirror)) === 0;
        expect(same || isMirror, `sample ${s}`).toBe(true);
        if (isMirror && !same) mirrored++;
      }
      expect(mirrored).toBeGreaterThan(5);
    } finally {
      await ds.close();
    }
  });
});

describe('I/O backends', () => {
  const hasMmap = Boolean(loadMmapAddon());
  it.skipIf(!hasMmap)('mmap and pread give identical bytes', async () => {
    const m = await openDataset(shards.dir, { backend: 'mmap', workers: 0 });
    const p = await openDataset(shards.dir, { backend: 'pread', workers: 0 });
    expect(m.backend).toBe('mmap');
    expect(p.backend).toBe('pread');
    for (let i = 0; i < m.size; i++) expect(m.image(i)).toEqual(p.image(i));
    await m.close();
    await p.close();
  });

  it.skipIf(!hasMmap)('close() releases every mapping', async () => {
    const before = liveMappings();
    const ds = await openDataset(shards.dir, { backend: 'mmap', workers: 0 });
    for (let i = 0; i < ds.size; i++) ds.image(i);
    await collect(ds, { batchSize: 16 });
    expect(liveMappings()).toBeGreaterThan(before);
    await ds.close();
    expect(liveMappings()).toBe(before);
    expect(() => ds.image(0)).toThrow(/closed/);
  });
});

describe('shutdown', () => {
  it('close() with batches still in flight resolves, and the program goes on after it', () => {
    const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', path.join(import.meta.dirname, 'helpers/close-early.ts'), shards.dir], { encoding: 'utf8', cwd: path.join(import.meta.dirname, '..'), timeout: 60_000 });
    expect({ status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, signal: null, stdout: 'after close\n', stderr: '' });
  });
});

describe('damaged datasets', () => {
  function copy(): string {
    const d = tempDir();
    dirs.push(d);
    cpSync(shards.dir, d, { recursive: true });
    return d;
  }

  it('refuses at open a shard shorter than the manifest says, naming it', async () => {
    const d = copy();
    truncateSync(path.join(d, 'shard-00002.bin'), 5000);
    await expect(openDataset(d)).rejects.toThrow(`${path.join(d, 'shard-00002.bin')}: is 5000 bytes, the manifest says 9856 (truncated: records 1..8 of 9 missing or incomplete)`);
  });

  it('refuses a shard whose header disagrees with the manifest', async () => {
    const d = copy();
    copyFileSync(path.join(d, 'shard-00001.bin'), path.join(d, 'shard-00000.bin'));
    await expect(openDataset(d)).rejects.toThrow(/shard-00000\.bin: header shard index is 1, the manifest says 0/);
  });

  it('raises a CorruptRecordError naming shard, record and key for a flipped byte', async () => {
    const d = copy();
    const fd = openSync(path.join(d, 'shard-00003.bin'), 'r+');
    const at = 4096 + 4 * 640 + 100; // record 4, inside the image
    const byte = readFileSync(path.join(d, 'shard-00003.bin'))[at];
    writeSync(fd, Buffer.from([byte ^ 0xff]), 0, 1, at);
    closeSync(fd);
    const ds = await openDataset(d, { workers: 1 });
    const key = ds.keys[3 * 9 + 4];
    await expect(collect(ds, { batchSize: 8, shuffle: 'none' })).rejects.toThrow(`shard-00003.bin, record 4, key ${key}: checksum mismatch (damaged bytes)`);
    await expect(collect(ds, { batchSize: 8, shuffle: 'none' })).rejects.toBeInstanceOf(CorruptRecordError);
    await ds.close();
    const unchecked = await openDataset(d, { workers: 0, verify: false });
    expect((await collect(unchecked, { batchSize: 8 })).length).toBe(7);
    await unchecked.close();
  });

  it("onCorrupt 'skip' leaves corrupt records out, counts them and warns once per shard", async () => {
    const d = copy();
    const file = path.join(d, 'shard-00001.bin');
    const fd = openSync(file, 'r+');
    for (const r of [2, 7]) writeSync(fd, Buffer.from([0x5a]), 0, 1, 4096 + r * 640 + 3);
    closeSync(fd);
    for (const workers of [0, 1]) {
      const warnings: string[] = [];
      const ds = await openDataset(d, { workers, onCorrupt: 'skip', onWarning: (w) => warnings.push(w) });
      const bad = [ds.keys[9 + 2], ds.keys[9 + 7]];
      const batches = await collect(ds, { batchSize: 8, shuffle: 'global', seed: 3 });
      const keys = keysOf(batches);
      expect(keys.length).toBe(49);
      for (const k of bad) expect(keys).not.toContain(k);
      for (const b of batches) expect(b.images.length).toBe(b.keys.length * 576);
      expect(ds.corruptSkipped).toBe(2);
      expect(warnings.length).toBe(1);
      expect(warnings[0]).toMatch(/shard-00001\.bin/);
      await ds.close();
    }
  });

  it('names a missing manifest', async () => {
    const d = copy();
    rmSync(path.join(d, 'manifest.json'));
    appendFileSync(path.join(d, 'x'), '');
    await expect(openDataset(d)).rejects.toThrow(/no manifest\.json/);
  });
});
