// `shard verify` on files it cannot read: "cannot read <file>" and exit 2 (the check could not run), not DAMAGED.
// CI runs as root, whom chmod 000 does not stop, so the command runs as nobody (setpriv) when we are root.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, openSync, readSync, rmSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_OFFSET } from 'shard-format';
import { buildShards } from 'shard-writer';
import { tempDir } from './helpers/tree.js';

const REPO = path.join(import.meta.dirname, '..');
const CLI = path.join(REPO, 'packages/shard-cli/bin/shard.js');
const root = tempDir('verify-unreadable-');
chmodSync(root, 0o755); // nobody must reach the dataset folders
afterAll(() => rmSync(root, { recursive: true, force: true }));

const asRoot = process.getuid?.() === 0;
const hasSetpriv = !asRoot || spawnSync('setpriv', ['--version']).status === 0;

let pristine = '';
beforeAll(async () => {
  // 51 samples of 16x16, 24 per shard: 3 shards.
  pristine = (await buildShards({ input: path.join(import.meta.dirname, 'fixtures/real-mr'), out: path.join(root, 'pristine'), size: 16, shardBytes: 4096 + 24 * 320 })).out;
});

let copies = 0;
function copy(): string {
  const dir = path.join(root, `copy-${copies++}`);
  cpSync(pristine, dir, { recursive: true });
  return dir;
}

/** Runs `shard <args>` as a user the chmod applies to. */
function shard(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const node = [process.execPath, '--conditions=source', '--import', 'tsx', CLI, ...args];
  const [cmd, ...argv] = asRoot ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...node] : node;
  const r = spawnSync(cmd, argv, { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!hasSetpriv)('files shard verify cannot read', () => {
  it('an unreadable shard and an unreadable index: "cannot read" each, exit 2, never DAMAGED', () => {
    const dir = copy();
    chmodSync(path.join(dir, 'shard-00001.bin'), 0o000);
    chmodSync(path.join(dir, 'shard-00002.index.json'), 0o000);
    const r = shard('verify', dir, '-q');
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([
      `shard: cannot read ${path.join(dir, 'shard-00001.bin')}: permission denied (EACCES)`,
      `shard: cannot read ${path.join(dir, 'shard-00002.index.json')}: permission denied (EACCES)`,
    ]);
    expect(r.stdout).toMatch(/^verify .*: cannot read 2 files \(not checked\), no damage in the files read; 3 shards, 51 samples/);
    expect(r.stdout).not.toMatch(/DAMAGED|PROBLEM/);

    const j = shard('verify', dir, '--json');
    expect(j.status).toBe(2);
    const report = JSON.parse(j.stdout);
    expect(report).toMatchObject({ ok: false, problems: [] });
    expect(report.unreadable).toEqual([
      { shard: 'shard-00001.bin', message: 'cannot be read: permission denied (EACCES)' },
      { shard: 'shard-00002.bin', file: 'shard-00002.index.json', message: 'cannot be read: permission denied (EACCES)' },
    ]);
  });

  it('an unreadable manifest: "cannot read" it, exit 2', () => {
    const dir = copy();
    chmodSync(path.join(dir, 'manifest.json'), 0o000);
    const r = shard('verify', dir, '-q');
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toBe(`shard: cannot read ${path.join(dir, 'manifest.json')}: permission denied (EACCES)\n`);
    expect(r.stdout).not.toMatch(/DAMAGED/);
  });

  it('damage found in the files it can read still says DAMAGED and exits 1, and names what it could not read', () => {
    const dir = copy();
    const file = path.join(dir, 'shard-00000.bin');
    const fd = openSync(file, 'r+');
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, DATA_OFFSET + 7);
    writeSync(fd, Buffer.from([b[0] ^ 0x01]), 0, 1, DATA_OFFSET + 7);
    closeSync(fd);
    chmodSync(path.join(dir, 'shard-00001.bin'), 0o000);
    const r = shard('verify', dir, '-q');
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^PROBLEM shard-00000.bin record 0 .*checksum mismatch/m);
    expect(r.stdout).toMatch(/cannot read 1 file \(not checked\), DAMAGED: 2 problems/);
    expect(r.stderr).toBe(`shard: cannot read ${path.join(dir, 'shard-00001.bin')}: permission denied (EACCES)\n`);
  });

  it('the reader names an unreadable shard the same way', () => {
    const dir = copy();
    chmodSync(path.join(dir, 'shard-00001.bin'), 0o000);
    const r = shard('inspect', dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`shard: ${path.join(dir, 'shard-00001.bin')}: cannot be read: permission denied (EACCES)\n`);
  });
});
