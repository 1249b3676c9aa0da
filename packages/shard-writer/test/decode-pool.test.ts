// The decoder pool sends files in groups and survives a thread that dies: a file it held in a group is
// never failed for another's death (all go back, each to be sent alone), and a file sent alone is the one named.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { DecodePool } from '../src/decode-pool.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'decode-pool-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const files = Array.from({ length: 40 }, (_, i) => {
  const f = path.join(tmp, `f${i}.bin`);
  writeFileSync(f, `file ${i}`);
  return f;
});
const sha = (i: number) => createHash('sha256').update(`file ${i}`).digest('hex');
const workersOf = (pool: DecodePool) => (pool as unknown as { workers: Worker[] }).workers;
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('DecodePool', () => {
  it('answers files sent in groups, each with its own result', async () => {
    const pool = new DecodePool(2);
    try {
      const scans = await Promise.all(files.map((f) => pool.scan(f, false)));
      expect(scans.map((s) => s.content?.sha256)).toEqual(files.map((_, i) => sha(i)));
    } finally {
      await pool.close();
    }
  });

  it('a thread killed while it holds a group fails none of its files: each is sent again, alone', async () => {
    const pool = new DecodePool(2);
    try {
      const scans = files.map((f) => pool.scan(f, false));
      await turn(); // the groups are sent at the end of the turn
      await workersOf(pool)[0].terminate();
      const done = await Promise.allSettled(scans);
      expect(done.filter((d) => d.status === 'rejected')).toEqual([]);
      expect(done.map((d) => (d.status === 'fulfilled' ? d.value.content?.sha256 : undefined))).toEqual(files.map((_, i) => sha(i)));
    } finally {
      await pool.close();
    }
  });

  it('a thread killed while it holds one file sent alone fails that file, naming the thread', async () => {
    const pool = new DecodePool(1);
    try {
      const scan = pool.scan(files[0], false);
      await turn();
      await workersOf(pool)[0].terminate();
      await expect(scan).rejects.toThrow(/decoder thread failed/);
      // The pool goes on with a new thread.
      expect((await pool.scan(files[1], false)).content?.sha256).toBe(sha(1));
    } finally {
      await pool.close();
    }
  });
});
