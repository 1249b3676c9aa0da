// The small dataset the reader tests share: the real MR fixture at 24x24 uint8, 9 records a shard (51 samples:
// 6 shards, the last one short), built once per test file into a temporary folder and removed after it.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { buildShards } from 'shard-writer';
import { tempDir } from './tree.js';

const REAL_MR = path.join(import.meta.dirname, '../fixtures/real-mr');

/** Registers the build (beforeAll) and the clean-up (afterAll); `dir` is the dataset folder once built. */
export function realMrShards(): { readonly dir: string } {
  let dir = '';
  let tmp: string | undefined;
  beforeAll(async () => {
    tmp = tempDir();
    dir = (await buildShards({ input: REAL_MR, out: path.join(tmp, 'shards'), size: 24, shardBytes: 4096 + 9 * 640 })).out;
  });
  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });
  return {
    get dir() {
      return dir;
    },
  };
}
