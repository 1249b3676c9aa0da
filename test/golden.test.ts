// Golden bytes: a tiny fixed tree must build into exactly the committed manifest, index and shard
// files. Any change to the format, the preprocessing or the plan shows up here first; if it is
// intended, regenerate with `UPDATE_GOLDEN=1 npx vitest run test/golden.test.ts` and say why in the commit.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildShards } from 'shard-writer';
import { tempDir } from './helpers/tree.js';

const GOLDEN = path.join(import.meta.dirname, 'fixtures/golden');
const root = tempDir('golden-test-');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const variants = {
  uint8: { size: 4, dtype: 'uint8' as const },
  uint16: { size: 4, dtype: 'uint16' as const },
  'window-resized': { size: 3, dtype: 'uint8' as const, window: { center: 30000, width: 40000 } },
};

describe('golden build output', () => {
  for (const [name, opts] of Object.entries(variants)) {
    it(`${name}: byte for byte the committed files`, async () => {
      const out = path.join(root, name);
      await buildShards({ input: path.join(GOLDEN, 'input'), out, shardBytes: 8192, workers: 2, ...opts });
      const expectedDir = path.join(GOLDEN, 'expected', name);
      const files = readdirSync(out).filter((f) => !f.startsWith('.')).sort();
      if (process.env.UPDATE_GOLDEN === '1') {
        rmSync(expectedDir, { recursive: true, force: true });
        mkdirSync(expectedDir, { recursive: true });
        for (const f of files) writeFileSync(path.join(expectedDir, f), readFileSync(path.join(out, f)));
      }
      expect(existsSync(expectedDir), `${expectedDir} (run with UPDATE_GOLDEN=1 once)`).toBe(true);
      expect(files).toEqual(readdirSync(expectedDir).sort());
      for (const f of files) {
        const got = readFileSync(path.join(out, f));
        const want = readFileSync(path.join(expectedDir, f));
        if (!got.equals(want)) {
          let i = 0;
          while (i < got.length && got[i] === want[i]) i++;
          expect.fail(`${name}/${f} differs from the golden file at byte ${i} (${got.length} vs ${want.length} bytes)`);
        }
      }
    });
  }
});
