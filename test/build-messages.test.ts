// Writer messages that used to mislead: permission denied, a full disk while closing a shard or taking the lock.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildShards } from 'shard-writer';
import { LABELS, tempDir, writeLabels } from './helpers/tree.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'packages/shard-cli/bin/shard.js');
const REAL_MR = path.join(import.meta.dirname, 'fixtures/real-mr');
const GOOD = path.join(REAL_MR, 'patient_M02/slice_001.png');
const dirs: string[] = [];
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts) spawnSync('umount', [m]);
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});
const tmp = () => {
  const d = tempDir();
  dirs.push(d);
  return d;
};

/** A fresh tmpfs of `size` (root only); undefined when this machine cannot mount one. */
function smallDisk(size: string): string | undefined {
  const dir = path.join(tmp(), 'disk');
  mkdirSync(dir);
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]).status !== 0) return undefined;
  mounts.push(dir);
  return dir;
}
const canMount = process.getuid?.() === 0 && (() => {
  const d = smallDisk('64k');
  return d !== undefined;
})();
const asNobody = process.getuid?.() === 0 && spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'true']).status === 0;

/** Files this process has open below `dir`. */
function openFilesUnder(dir: string): string[] {
  return readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return '';
      }
    })
    .filter((p) => p.startsWith(dir + '/'));
}

describe('permission denied', () => {
  it.skipIf(!asNobody)('an image the user cannot read says permission denied, exit 1 (run as nobody)', () => {
    const root = tmp();
    chmodSync(root, 0o755);
    const input = path.join(root, 'in');
    mkdirSync(path.join(input, 'p1'), { recursive: true, mode: 0o755 });
    chmodSync(input, 0o755);
    chmodSync(path.join(input, 'p1'), 0o755);
    for (const n of ['a', 'b']) copyFileSync(GOOD, path.join(input, 'p1', `${n}.png`));
    writeLabels(path.join(input, 'p1'), LABELS, [['a.png', 1, 0, 0, 0, 0], ['b.png', 0, 1, 0, 0, 0]]);
    for (const n of ['a.png', 'labels.csv']) chmodSync(path.join(input, 'p1', n), 0o644);
    chmodSync(path.join(input, 'p1/b.png'), 0o000);
    const out = path.join(root, 'out');
    mkdirSync(out, { mode: 0o777 });
    chmodSync(out, 0o777);
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--conditions=source', '--import', 'tsx', CLI, 'build', input, '--out', out, '--size', '8', '-q'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, HOME: '/tmp' } });
    expect(r.stderr).toBe(`shard: ${input}/p1/b.png: cannot be read: permission denied (EACCES)\n`);
    expect(r.status).toBe(1);
  }, 60_000);
});

describe('a full disk', () => {
  it.skipIf(!canMount)('while closing a shard: says so naming the file, and leaves no .partial and no open file behind', async () => {
    const disk = smallDisk('256k')!;
    const out = path.join(disk, 'out');
    // 20 records of 16448 bytes: no flush before the shard closes, and the close needs more than the disk holds.
    const err = await buildShards({ input: REAL_MR, out, size: 128, shardBytes: 4096 + 20 * 16448, workers: 2 }).catch((e: Error) => e);
    expect((err as Error).message).toBe(`${out}/.build/shard-00000.bin.partial: out of disk space (ENOSPC) while writing the dataset; free space and run the same command again to resume`);
    expect(readdirSync(path.join(out, '.build')).filter((n) => n.endsWith('.partial'))).toEqual([]);
    expect(openFilesUnder(disk)).toEqual([]);
    expect(existsSync(path.join(out, '.build.lock'))).toBe(false);
  }, 60_000);

  it.skipIf(!canMount)('while taking the lock: names the lock file', async () => {
    const disk = smallDisk('64k')!;
    const out = path.join(disk, 'out');
    mkdirSync(out);
    try {
      writeFileSync(path.join(disk, 'filler'), Buffer.alloc(1 << 20));
    } catch {
      // the disk is now full, which is the point
    }
    await expect(buildShards({ input: REAL_MR, out, size: 8 })).rejects.toThrow(`${out}/.build.lock: out of disk space (ENOSPC) while taking the build lock; free space and run the same command again`);
    expect(readdirSync(out)).toEqual([]);
  });
});

