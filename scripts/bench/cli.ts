// Runs the `shard` CLI in a child process (optionally pinned to some cores) and returns its --json output.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'packages/shard-cli/bin/shard.js');

/** `cores`: pin the child to these CPU numbers with taskset (Linux), so "1 core" really is one. */
export async function shardJson<T>(args: string[], cores?: number[]): Promise<T> {
  const node = [process.execPath, '--conditions=source', '--import', 'tsx', CLI, ...args, '--json'];
  const [cmd, ...rest] = cores ? ['taskset', '-c', cores.join(','), ...node] : node;
  const { stdout } = await run(cmd, rest, { cwd: ROOT, maxBuffer: 64 << 20 });
  return JSON.parse(stdout) as T;
}

/** Peak resident memory (KiB) of a child process, via GNU time's %M. */
export async function peakRssKiB(args: string[]): Promise<{ kib: number; stdout: string }> {
  const { stdout, stderr } = await run('/usr/bin/time', ['-f', 'PEAK_RSS_KIB=%M', process.execPath, '--conditions=source', '--import', 'tsx', ...args], { cwd: ROOT, maxBuffer: 64 << 20 });
  const m = /PEAK_RSS_KIB=(\d+)/.exec(stderr);
  if (!m) throw new Error(`no peak RSS in: ${stderr.slice(-500)}`);
  return { kib: Number(m[1]), stdout };
}
