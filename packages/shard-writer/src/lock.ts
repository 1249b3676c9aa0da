// One build per output folder: an exclusive lock file, taken over only when its owner process is gone.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError } from './errors.js';

export const LOCK_FILE = '.build.lock';

export interface BuildLock {
  release(): void;
}

export function acquireLock(out: string): BuildLock {
  const file = path.join(out, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid, host: os.hostname() }) + '\n');
      closeSync(fd);
      return { release: () => rmSync(file, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = readOwner(file);
      if (owner && ownerAlive(owner)) throw new InputError(out, `another shard build (pid ${owner.pid} on ${owner.host}) is writing here; wait for it or stop it`);
      rmSync(file, { force: true }); // left by a build that was killed
    }
  }
  throw new InputError(out, `cannot take the build lock ${file}`);
}

function readOwner(file: string): { pid: number; host: string } | undefined {
  try {
    const o = JSON.parse(readFileSync(file, 'utf8'));
    return typeof o.pid === 'number' && typeof o.host === 'string' ? o : undefined;
  } catch {
    return undefined; // half-written by a build killed while taking the lock: stale
  }
}

function ownerAlive(owner: { pid: number; host: string }): boolean {
  if (owner.host !== os.hostname()) return true; // cannot tell for another machine: assume it is running
  if (owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
