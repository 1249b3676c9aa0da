// Crash safety: a build killed (SIGKILL) in each phase of its work and run again ends byte-identical to an uninterrupted one.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOURNAL_DIR, LOCK_FILE, MANIFEST_FILE, PARTIAL_SUFFIX, SHARD_FILE_PATTERN } from 'shard-format';
import { buildShards, type BuildOptions } from 'shard-writer';
import { makeSyntheticSet } from '../scripts/make-synthetic.js';
import { folderBytes } from './helpers/read-shards.js';
import { tempDir } from './helpers/tree.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'packages/shard-cli/bin/shard.js');
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

/** A moment of the build, seen from outside: true once the output folder shows it. */
type Phase = (out: string) => boolean;
const staged = (out: string, name: string) => existsSync(path.join(out, JOURNAL_DIR, name));
/** The reference build's shard files, in order (its .bin files; SHARD_FILE_PATTERN also matches index sidecars). */
const shardFiles = () => [...reference.keys()].filter((n) => SHARD_FILE_PATTERN.test(n) && n.endsWith('.bin')).sort();
const shardName = (i: number) => shardFiles().at(i)!;

/**
 * The phases a kill must land in, in build order: each kill waits for its phase to show in the folder
 * (the lock taken, the first shard half written, some shards staged, the last shard staged, the manifest
 * staged, the swap into place begun) and is sent then. Kills chosen by what the build is doing
 * cover every phase on a fast or a loaded machine, where kills at random times cluster wherever it is slow.
 */
const PHASES: [string, Phase][] = [
  ['lock taken', (out) => existsSync(path.join(out, LOCK_FILE))],
  ['first shard being written', (out) => staged(out, `${shardName(0)}${PARTIAL_SUFFIX}`) || staged(out, shardName(0))],
  ['first shard staged', (out) => staged(out, shardName(0))],
  ['half the shards staged', (out) => staged(out, shardName(Math.floor(shardFiles().length / 2)))],
  // A shard's partial file can live for less than a poll: seeing the finished file counts too.
  ['last shard being written', (out) => staged(out, `${shardName(-1)}${PARTIAL_SUFFIX}`) || staged(out, shardName(-1))],
  ['manifest staged', (out) => staged(out, MANIFEST_FILE)],
  ['swap begun', (out) => existsSync(path.join(out, shardName(0)))],
];

/** Starts the CLI build and SIGKILLs it as soon as `phase` shows; resolves once it is dead, with whether the phase was seen before it ended. */
function killAt(out: string, phase: Phase): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args(out), { cwd: ROOT, stdio: 'ignore' });
    let seen = false;
    const poll = setInterval(() => {
      if (seen || !phase(out)) return;
      seen = true;
      child.kill('SIGKILL');
    }, 1);
    child.on('exit', () => {
      clearInterval(poll);
      resolve(seen);
    });
  });
}

/** What a killed build left, as one word: how far it got. */
function leftBehind(out: string): string {
  if (!existsSync(out)) return 'nothing';
  if (existsSync(path.join(out, MANIFEST_FILE))) return existsSync(path.join(out, JOURNAL_DIR)) ? 'swap unfinished' : 'finished';
  if (existsSync(path.join(out, shardName(0)))) return 'swap unfinished';
  const stagedFiles = existsSync(path.join(out, JOURNAL_DIR)) ? readdirSync(path.join(out, JOURNAL_DIR)) : [];
  if (stagedFiles.includes(MANIFEST_FILE)) return 'manifest staged';
  if (stagedFiles.some((n) => SHARD_FILE_PATTERN.test(n))) return 'some shards staged';
  return stagedFiles.some((n) => n.endsWith(PARTIAL_SUFFIX)) ? 'first shard partial' : 'lock only';
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

function expectReference(out: string, trial: string): void {
  const got = folderBytes(out);
  expect([...got.keys()], trial).toEqual([...reference.keys()]);
  for (const [name, bytes] of reference) expect(Buffer.compare(got.get(name)!, bytes), `${trial}: ${name}`).toBe(0);
}

describe('killed builds', () => {
  it(`resume to byte-identical output after SIGKILL in each phase of the build (${PHASES.length} phases)`, async () => {
    const states = new Set<string>();
    let interrupted = 0;
    for (const [t, [name, phase]] of PHASES.entries()) {
      const out = path.join(work, `trial-${t}`);
      expect(await killAt(out, phase), `the build reached "${name}" before it ended`).toBe(true);
      const state = leftBehind(out);
      states.add(state);
      if (state !== 'finished') interrupted++;
      manifestIsWhole(out);
      // Two resumes are killed too (one early in its own run, one late), then finished.
      if (t === 1 || t === 4) {
        await killAt(out, PHASES[(t + 2) % PHASES.length][1]);
        manifestIsWhole(out);
      }
      const summary = await buildShards(opts(out));
      expect(summary.inputs).toBe(summary.written + summary.skipped.length);
      expectReference(out, `killed at ${name} (${state})`);
      rmSync(out, { recursive: true, force: true });
    }
    console.log(`killed builds: ${interrupted} of ${PHASES.length} cut short (${[...states].join(', ')}), all resumed byte-identical`);
    // The kills really landed in different phases: at least four distinct states were left behind.
    expect(interrupted).toBeGreaterThanOrEqual(4);
    expect(states.size).toBeGreaterThanOrEqual(4);
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
