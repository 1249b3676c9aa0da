// The build lock under contention: two processes taking it at the same instant, hundreds of times, never both own it.
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers/tree.js';

const TRIALS = 300;
let work = '';
let takers: ChildProcess[] = [];

function next(child: ChildProcess): Promise<{ ok?: boolean; message?: string }> {
  return new Promise((resolve) => child.once('message', resolve));
}

beforeAll(async () => {
  work = tempDir();
  takers = [0, 1].map(() => fork(path.join(import.meta.dirname, 'helpers/lock-taker.ts'), [], { execArgv: ['--conditions=source', '--import', 'tsx'] }));
  await Promise.all(takers.map(next));
}, 30_000);
afterAll(() => {
  for (const t of takers) t.send({ op: 'exit' });
  rmSync(work, { recursive: true, force: true });
});

/** Runs TRIALS rounds in fresh folders prepared by `setup`; returns how often both or neither took the lock. */
async function race(name: string, setup: (dir: string) => void) {
  let both = 0;
  let none = 0;
  const refusals = new Set<string>();
  for (let t = 0; t < TRIALS; t++) {
    const dir = path.join(work, `${name}-${t}`);
    mkdirSync(dir);
    setup(dir);
    const at = performance.timeOrigin + performance.now() + 4;
    const results = await Promise.all(takers.map((c) => (c.send({ op: 'take', dir, at }), next(c))));
    const owners = results.filter((r) => r.ok).length;
    if (owners > 1) both++;
    if (owners === 0) none++;
    for (const r of results) if (!r.ok) refusals.add(r.message!.replace(/pid \d+/g, 'pid N').replace(/`[^`]*`/g, '`cmd`').replaceAll(dir, '<dir>'));
    await Promise.all(takers.map((c) => (c.send({ op: 'release' }), next(c))));
    expect(readdirSync(dir), `trial ${t}: the lock and every temp file are gone after release`).toEqual([]);
  }
  return { both, none, refusals: [...refusals] };
}

describe('build lock race', () => {
  it(`two takers at the same instant into an empty folder: exactly one owner in ${TRIALS} trials`, async () => {
    const r = await race('fresh', () => {});
    expect(r).toMatchObject({ both: 0, none: 0 });
    expect(r.refusals).toEqual([
      `<dir>: another shard build (pid N on ${os.hostname()}) is writing here and holds <dir>/.build.lock; wait for it or stop it (\`cmd\` or \`cmd\` on ${os.hostname()} tells whether it is alive; if it is not, delete the lock file)`,
    ]);
  }, 30_000);

  it(`two takers of a dead owner's lock at the same instant: exactly one owner in ${TRIALS} trials`, async () => {
    const dead = spawnSync('true').pid!;
    const r = await race('stale', (dir) => writeFileSync(path.join(dir, '.build.lock'), JSON.stringify({ pid: dead, host: os.hostname() }) + '\n'));
    expect(r).toMatchObject({ both: 0, none: 0 });
  }, 30_000);
});
