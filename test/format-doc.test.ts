// docs/FORMAT.md is enough to write a reader: a Python reader written from it agrees with ours on every sample.
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { buildShards } from 'shard-writer';
import { openDataset } from 'shard-reader';
import { tempDir } from './helpers/tree.js';

const hasPython = spawnSync('python3', ['--version']).status === 0;
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

it.skipIf(!hasPython)('a Python reader following FORMAT.md reads the same pixels and labels', async () => {
  const out = tempDir();
  dirs.push(out);
  for (const dtype of ['uint8', 'uint16'] as const) {
    const dir = path.join(out, dtype);
    await buildShards({ input: path.join(import.meta.dirname, 'fixtures/real-mr'), out: dir, size: 20, dtype, shardBytes: 12_000 });
    const py = JSON.parse(execFileSync('python3', [path.join(import.meta.dirname, 'python/read_shards.py'), dir], { encoding: 'utf8' })) as Record<string, [number, number[]]>;
    const ds = await openDataset(dir, { workers: 0 });
    expect(Object.keys(py).length).toBe(ds.size);
    for (let i = 0; i < ds.size; i++) {
      const sum = (ds.image(i) as Uint8Array).reduce((a: number, v: number) => a + v, 0);
      expect(py[ds.keys[i]], ds.keys[i]).toEqual([sum, [...ds.recordLabels(i)]]);
    }
    await ds.close();
  }
});
