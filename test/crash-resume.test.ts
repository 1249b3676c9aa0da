// Crash safety: a build killed (SIGKILL) at random moments and run again ends byte-identical to an uninterrupted one.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildShards, type BuildOptions } from 'shard-writer';
import { makeSyntheticSet } from '../scripts/make-synthetic.js';
import { folderBytes } from './helpers/read-shards.js';
import { tempDir } from './helpers/tree.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'packages/shard-cli/bin/shard.js');
const TRIALS = 14; // sized to keep the suite short; each trial kills a real build at a random moment
let work = '';
let input = '';
let reference: Map<string, Buffer>;
const opts = (out: string): BuildOptions => ({ input, out, size: 48, shardBytes: 4096 + 6 * 2368, workers: 2, onError: 'skip' });
const args = (out: string) => ['--conditions=source', '--import', 'tsx', CLI, 'build', input, '--out', out, '--size', '48', '--shard-bytes', String(4096 + 6 * 2368), '--workers', '2', '--on-error', 'skip', '-q'];

beforeAll(async () => {
  work = tempDir();
  input = path.join(work, 'slices');
  await makeSyntheticSet({ out: input, patients: 4, slices: 30, size: 96, bits: 16, seed: 3 });
  reference = folderBytes((await buildShards(opts(path.join(work, 'reference')))).out);
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * Starts the CLI build and SIGKILLs it `ms` after it started (`from: 'spawn'`) or after it took its
 * lock and began writing (`from: 'lock'`); resolves once it is dead, with how long writing had lasted.
 * Counting from the lock keeps start-up time (which varies with machine load) out of the kill window.
 */
function killAfter(out: string, ms: number, from: 'spawn' | 'lock' = 'spawn'): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args(out), { cwd: ROOT, stdio: 'ignore' });
    const lock = path.join(out, '.build.lock');
    let locked = 0;
    let timer: NodeJS.Timeout | undefined;
    const poll = setInterval(() => {
      if (locked || !existsSync(lock)) return;
      locked = performance.now();
      if (from === 'lock') timer = setTimeout(() => child.kill('SIGKILL'), ms);
    }, 2);
    if (from === 'spawn') timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', () => {
      clearTimeout(timer);
      clearInterval(poll);
      resolve(locked ? performance.now() - locked : 0);
    });
  });
}

function manifestIsWhole(out: string): void {
  const file = path.join(out, 'manifest.json');
  if (!existsSync(file)) return;
  const m = JSON.parse(readFileSync(file, 'utf8'));
  for (const s of m.shards) {
    expect(statSync(path.join(out, s.file)).size).toBe(s.bytes);
    expect(statSync(path.join(out, s.index.file)).size).toBe(s.index.bytes);
  }
}

describe('killed builds', () => {
  it(`resume to byte-identical output after SIGKILL at ${TRIALS} random moments`, async () => {
    // Time one whole CLI run, and the part of it after the lock, where the build writes.
    const t0 = performance.now();
    const writing = await killAfter(path.join(work, 'timing'), 600_000);
    const full = performance.now() - t0;
    expect(writing).toBeGreaterThan(0);
    expect(folderBytes(path.join(work, 'timing'))).toEqual(reference);
    let rng = 12345;
    const rand = () => ((rng = (Math.imul(rng, 1103515245) + 12345) >>> 0) / 2 ** 32);
    let interrupted = 0;
    for (let t = 0; t < TRIALS; t++) {
      const out = path.join(work, `trial-${t}`);
      // Kills land anywhere in the writing phase (and a little after it, where there is nothing left to cut).
      await killAfter(out, rand() * writing * 1.1, 'lock');
      if (existsSync(out) && !existsSync(path.join(out, 'manifest.json'))) interrupted++;
      manifestIsWhole(out);
      // Sometimes kill the resumed run too, at any moment from its start, then finish.
      if (t % 4 === 0) {
        await killAfter(out, rand() * full);
        manifestIsWhole(out);
      }
      const summary = await buildShards(opts(out));
      expect(summary.inputs).toBe(summary.written + summary.skipped.length);
      const got = folderBytes(out);
      expect([...got.keys()]).toEqual([...reference.keys()]);
      for (const [name, bytes] of reference) expect(Buffer.compare(got.get(name)!, bytes), `trial ${t}: ${name}`).toBe(0);
      rmSync(out, { recursive: true, force: true });
    }
    console.log(`killed builds: ${interrupted} of ${TRIALS} cut short before their manifest, all resumed byte-identical`);
    expect(interrupted).toBeGreaterThan(TRIALS / 4); // the trials really cut builds short
  }, 300_000);

  it('refuses a second build into a folder a live build holds, and takes over a dead one\'s lock', async () => {
    const out = path.join(work, 'locked');
    mkdirSync(out, { recursive: true });
    const holder = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      writeFileSync(path.join(out, '.build.lock'), JSON.stringify({ pid: holder.pid, host: os.hostname() }));
      await expect(buildShards(opts(out))).rejects.toThrow(`${out}: another shard build (pid ${holder.pid} on ${os.hostname()}) is writing here`);
    } finally {
      holder.kill('SIGKILL');
    }
    await new Promise((r) => holder.on('exit', r));
    const summary = await buildShards(opts(out)); // the holder is gone: its lock is stale
    expect(summary.written).toBeGreaterThan(0);
    expect(existsSync(path.join(out, '.build.lock'))).toBe(false);
  }, 60_000);
});
