// One build per output folder: a lock file that appears complete or not at all, taken over only from a dead owner.
import { linkSync, readFileSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError } from './errors.js';
import { LOCK_FILE } from 'shard-format';

export { LOCK_FILE };
/** Where a taker writes its owner record before linking it to LOCK_FILE (same folder, so link() works). */
const TEMP_RE = /^\.build\.lock\.(\d+)-[0-9a-z]+\.tmp$/;

export interface BuildLock {
  /** The lock file. */
  readonly file: string;
  release(): void;
}

interface Owner {
  pid: number;
  host: string;
}

let takers = 0;

/**
 * Takes `<out>/.build.lock`. The owner record is written to a private temp file first and then
 * link()ed to the lock name, so a rival never sees an empty or half-written lock: EEXIST means held.
 */
export function acquireLock(out: string): BuildLock {
  const file = path.join(out, LOCK_FILE);
  const me: Owner = { pid: process.pid, host: os.hostname() };
  const temp = path.join(out, `${LOCK_FILE}.${process.pid}-${(takers++).toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`);
  try {
    try {
      writeFileSync(temp, JSON.stringify(me) + '\n', { flag: 'wx' });
    } catch (err) {
      throw lockError(err, file);
    }
    // A few rounds: each takeover of a stale lock is followed by a fresh attempt to link ours.
    for (let attempt = 0; attempt < 5; attempt++) {
      let ino: number;
      try {
        linkSync(temp, file);
        ino = statSync(temp).ino;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw lockError(err, file);
        ino = -1;
      }
      if (ino >= 0) {
        clearDeadTemps(out);
        return { file, release: () => releaseIfOurs(file, ino) };
      }
      const held = readLock(file);
      if (!held) continue; // vanished between link and read: try again
      if (held.owner && ownerAlive(held.owner)) throw busy(out, file, held.owner);
      if (!held.owner) throw new InputError(file, `exists but is not a shard build lock (${held.why}); if no build is running here, delete it`);
      takeOver(out, file, held.ino);
    }
    throw new InputError(file, 'cannot take the build lock: other builds keep taking it; try again');
  } finally {
    rmSync(temp, { force: true });
  }
}

/**
 * Removes a stale lock without ever removing a fresh one: the lock is renamed to a private name and
 * kept only if it is the very file (inode) judged stale; a rival's fresh lock moved by mistake goes back.
 */
function takeOver(out: string, file: string, staleIno: number): void {
  const aside = path.join(out, `${LOCK_FILE}.${process.pid}-stale${Math.random().toString(36).slice(2, 8)}.tmp`);
  try {
    renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // a rival removed it first
    throw lockError(err, file);
  }
  if (statSync(aside).ino === staleIno) {
    unlinkSync(aside);
    return;
  }
  // A rival took the lock after we judged it stale: put its lock back (link fails only if yet another took the name).
  try {
    linkSync(aside, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw lockError(err, file);
  } finally {
    unlinkSync(aside);
  }
}

function releaseIfOurs(file: string, ino: number): void {
  try {
    if (statSync(file).ino === ino) unlinkSync(file);
  } catch {
    // already gone: nothing to release
  }
}

/** Temp owner records left by takers killed mid-way: ours by name and content, and their process is gone. */
function clearDeadTemps(out: string): void {
  for (const name of readdirSync(out)) {
    const m = TEMP_RE.exec(name);
    if (!m || Number(m[1]) === process.pid) continue;
    try {
      const owner = parseOwner(readFileSync(path.join(out, name), 'utf8'));
      if (owner && Number(m[1]) === owner.pid && !ownerAlive(owner)) rmSync(path.join(out, name), { force: true });
    } catch {
      // a live rival's temp file, gone already: not ours to clear
    }
  }
}

function readLock(file: string): { ino: number; owner?: Owner; why?: string } | undefined {
  try {
    const ino = statSync(file).ino;
    const text = readFileSync(file, 'utf8');
    if (statSync(file).ino !== ino) return undefined; // replaced while reading
    const owner = parseOwner(text);
    return owner ? { ino, owner } : { ino, why: text.length === 0 ? 'it is empty' : 'it holds no owner pid and host' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw lockError(err, file);
  }
}

function parseOwner(text: string): Owner | undefined {
  try {
    const o = JSON.parse(text);
    return Number.isInteger(o?.pid) && typeof o.host === 'string' ? { pid: o.pid, host: o.host } : undefined;
  } catch {
    return undefined;
  }
}

function ownerAlive(owner: Owner): boolean {
  if (owner.host !== os.hostname()) return true; // cannot tell for another machine: assume it is running
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function busy(out: string, file: string, o: Owner): InputError {
  return new InputError(
    out,
    `another shard build (pid ${o.pid} on ${o.host}) is writing here and holds ${file}; wait for it or stop it ` +
      `(\`kill -0 ${o.pid}\` or \`ps -p ${o.pid}\` on ${o.host} tells whether it is alive; if it is not, delete the lock file)`,
  );
}

function lockError(err: unknown, file: string): unknown {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new InputError(file, `out of disk space (${code}) while taking the build lock; free space and run the same command again`);
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return new InputError(file, `cannot take the build lock (${code}): the output folder is not writable`);
  return err;
}
