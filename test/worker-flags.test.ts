// Worker threads start under the Node flags users run trainings with: process.execArgv is filtered down to
// what a worker accepts (V8 and per-process flags dropped, loaders and conditions kept).
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildShards } from 'shard-writer';
import { workerExecArgv } from '../packages/shard-reader/src/worker-entry.js';
import { tempDir } from './helpers/tree.js';

const REPO = path.join(import.meta.dirname, '..');
const CHILD = path.join(import.meta.dirname, 'helpers/read-with-workers.ts');
const root = tempDir('worker-flags-');
afterAll(() => rmSync(root, { recursive: true, force: true }));
let data = '';
beforeAll(async () => {
  data = (await buildShards({ input: path.join(import.meta.dirname, 'fixtures/real-mr'), out: path.join(root, 'shards'), size: 16 })).out;
});

/** Flags a worker refuses (ERR_WORKER_INVALID_EXEC_ARGV): V8's and per-process ones. */
const DROPPED = [
  ['--max-old-space-size=4096'],
  ['--expose-gc'],
  ['--title=x'],
  ['--title', 'x'],
  ['--abort-on-uncaught-exception'],
  ['--stack-size=2000'],
  ['--max-semi-space-size=16'],
  ['--jitless'],
  ['--secure-heap', '0'],
  ['--experimental-wasm-stringref'],
  ['--experimental-sea-config=x'],
  ['--watch'],
];
/** Flags a worker accepts and needs to load our modules or to behave like its process. */
const KEPT = [
  ['--conditions=source'],
  ['-C', 'source'],
  ['--import', 'tsx'],
  ['--import=tsx'],
  ['--require=tsx/cjs'],
  ['--experimental-loader=data:text/javascript,'],
  ['--no-warnings'],
  ['--enable-source-maps'],
  ['--disable-warning=ExperimentalWarning'],
  ['--experimental-vm-modules'],
  ['--no-experimental-require-module'],
  ['--trace-warnings'],
  ['--unhandled-rejections=strict'],
];

/** Throws what `new Worker` throws for these flags; the worker itself does nothing. */
function startWith(execArgv: string[]): Promise<void> {
  const w = new Worker('', { eval: true, execArgv });
  return new Promise((resolve, reject) => w.once('exit', () => resolve()).once('error', reject));
}

describe('worker flags', () => {
  for (const flag of DROPPED) {
    it(`drops ${flag.join(' ')} (a worker refuses it), with its value`, async () => {
      expect(() => new Worker('', { eval: true, execArgv: flag })).toThrow(expect.objectContaining({ code: 'ERR_WORKER_INVALID_EXEC_ARGV' }));
      expect(workerExecArgv(['--conditions=source', ...flag, '--no-warnings'])).toEqual(['--conditions=source', '--no-warnings']);
    });
  }
  for (const flag of KEPT) {
    it(`keeps ${flag.join(' ')}, and a worker starts with it`, async () => {
      expect(workerExecArgv([...flag])).toEqual(flag);
      await startWith(workerExecArgv([...flag]));
    });
  }

  // The brief's four, one reader process each, with worker threads: from source and the way dist/ starts them.
  for (const flag of ['--max-old-space-size=4096', '--expose-gc', '--title=shard-flags-test', '--abort-on-uncaught-exception']) {
    it(`a reader started with ${flag} reads with two worker threads`, async () => {
      const scratch = path.join(root, flag.replace(/\W+/g, '_'));
      mkdirSync(scratch);
      const child = spawn(process.execPath, [flag, '--conditions=source', '--import', 'tsx', CHILD, data, scratch], { cwd: REPO });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d));
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      const status = await new Promise((resolve) => child.on('close', resolve));
      expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
      const out = JSON.parse(stdout) as { samples: number; dist: string; execArgv: string[] };
      expect(out).toEqual({ samples: 51, dist: 'up', execArgv: ['--conditions=source', '--import', 'tsx'] });
    });
  }
});
