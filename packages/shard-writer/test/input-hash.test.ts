// Planning reads: an input's plan hash in one read for a small file, streamed for a large one, the same either way.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hashInput } from '../src/input-hash.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'build-reads-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('planning reads', () => {
  it('hashInput gives size and SHA-256 of small and large files, and undefined for a missing one', async () => {
    for (const [name, size] of [['small', 1000], ['large', (16 << 20) + 12345]] as const) {
      const file = path.join(tmp, name);
      const bytes = Buffer.alloc(size, 7);
      bytes.write('header');
      writeFileSync(file, bytes);
      expect(await hashInput(file)).toEqual({ size, sha256: createHash('sha256').update(bytes).digest('hex') });
    }
    expect(await hashInput(path.join(tmp, 'missing'))).toBeUndefined();
  });
});
