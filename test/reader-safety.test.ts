// A running reader never dies of a signal and never yields bytes its manifest does not describe while its
// files change: a shard truncated or overwritten in place (`cp`), another build's shard copied in, a
// rebuild into the same folder. Real reader processes (test/helpers/read-loop.ts), one per backend and
// worker count (inline, two threads), each reading one copy of the dataset per case at once.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32 } from 'shard-format';
import { loadMmapAddon } from '../packages/shard-reader/src/io/addon.js';
import { buildShards } from 'shard-writer';
import { readDataset } from './helpers/read-shards.js';
import { tempDir } from './helpers/tree.js';

const REPO = path.join(import.meta.dirname, '..');
const LOOP = path.join(import.meta.dirname, 'helpers/read-loop.ts');
const REAL_MR = path.join(import.meta.dirname, 'fixtures/real-mr');
// 51 samples of 24x24 uint8 (stride 640), 9 per shard: 6 shards, all but the last the same size.
const BUILD = { size: 24, shardBytes: 4096 + 9 * 640 };
const SHARD = 'shard-00002.bin';

const root = tempDir('reader-safety-');
const children = new Set<ReturnType<typeof spawn>>();
afterAll(() => {
  for (const child of children) child.kill('SIGKILL'); // only readers a failed run left behind
  rmSync(root, { recursive: true, force: true });
});

let pristine = '';
/** The same slices with every label flipped: same keys, schema and sizes, another build. */
let otherInput = '';
let other = '';
/** `key crc labels` of every sample of the pristine build: all a reader of it may ever yield. */
let truth = new Set<string>();

type Expect = 'error' | 'no-error' | 'either';
interface Case {
  name: string;
  /** After the reader opened the dataset, before it reads anything. */
  beforeRead?: (dir: string) => Promise<void> | void;
  /** Once the reader has read a whole epoch; it goes on reading meanwhile. */
  midRead?: (dir: string) => Promise<void> | void;
  expected: Expect;
  /** What the error must say, when there is one. */
  error?: RegExp;
}

const cp = (from: string, to: string) => {
  const r = spawnSync('cp', [from, to], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cp failed: ${r.stderr}`);
};

const CASES: Case[] = [
  { name: 'truncated', midRead: (dir) => truncateSync(path.join(dir, SHARD), 5000), expected: 'error', error: /FileChangedError: .*changed while being read/ },
  { name: 'identical copy', midRead: (dir) => cp(path.join(pristine, SHARD), path.join(dir, SHARD)), expected: 'either' },
  { name: 'other shard', midRead: (dir) => cp(path.join(pristine, 'shard-00003.bin'), path.join(dir, SHARD)), expected: 'error' },
  { name: 'other build, mid-read', midRead: (dir) => cp(path.join(other, SHARD), path.join(dir, SHARD)), expected: 'error', error: /changed while being read|another build/ },
  { name: 'other build, before reading', beforeRead: (dir) => cp(path.join(other, SHARD), path.join(dir, SHARD)), expected: 'error', error: /CorruptRecordError: .*record \d+, key .*another build/ },
  {
    name: 'rebuild',
    beforeRead: async (dir) => {
      await buildShards({ input: otherInput, out: dir, ...BUILD });
      expect(readFileSync(path.join(dir, SHARD)).equals(readFileSync(path.join(other, SHARD)))).toBe(true);
    },
    expected: 'no-error',
  },
];

interface Report {
  dataset: number;
  epochs: number;
  seen: string[];
  error: string | null;
}
interface Run {
  config: string;
  status: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  reports: (Report | undefined)[];
}

let copies = 0;
function copy(): string {
  const dir = path.join(root, `copy-${copies++}`);
  cpSync(pristine, dir, { recursive: true });
  return dir;
}

/** One reader process over a fresh copy per case; each copy is stopped two epochs after its last change. */
function runReader(workers: number, backend: 'mmap' | 'pread'): Promise<Run> {
  const dirs = CASES.map(copy);
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', LOOP, String(workers), backend, ...dirs], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  let stderr = '';
  const reports: (Report | undefined)[] = CASES.map(() => undefined);
  const stopAfter = CASES.map(() => Infinity);
  const latest = CASES.map(() => 0);
  let stepError: unknown;
  const send = (line: string) => child.stdin.writable && child.stdin.write(`${line}\n`);
  const fail = (err: unknown) => {
    stepError ??= err;
    child.stdin.end();
  };
  child.stdin.on('error', () => {}); // the reader may have ended before we say stop
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  createInterface({ input: child.stdout }).on('line', (line) => {
    const [word, a, b] = line.split(' ');
    if (word === 'opened') {
      const i = Number(a);
      void Promise.resolve(CASES[i].beforeRead?.(dirs[i])).then(() => send(`go ${i}`), fail);
    } else if (word === 'epoch') {
      const i = Number(a);
      latest[i] = Number(b);
      if (latest[i] === 1) {
        const mid = CASES[i].midRead;
        // Two more epochs that the reader begins after the change is complete (asked of the reader itself:
        // the epoch lines read here may lag behind it), so it must meet the changed bytes.
        if (mid) void Promise.resolve(mid(dirs[i])).then(() => send(`mark ${i}`), fail);
        else stopAfter[i] = 3;
      }
      if (latest[i] >= stopAfter[i]) send(`stop ${i}`);
    } else if (word === 'marked') {
      const i = Number(a);
      stopAfter[i] = Number(b) + 2;
      if (latest[i] >= stopAfter[i]) send(`stop ${i}`);
    } else if (line.startsWith('{')) {
      const r = JSON.parse(line) as Report;
      reports[r.dataset] = r;
      if (reports.every(Boolean)) child.stdin.end();
    }
  });
  return new Promise((resolve, reject) =>
    child.on('close', (status, signal) => {
      children.delete(child);
      if (stepError) reject(stepError);
      else resolve({ config: `${backend}, ${workers} workers`, status, signal, stderr, reports });
    }),
  );
}

const configs = (['mmap', 'pread'] as const)
  .filter((backend) => backend === 'pread' || loadMmapAddon())
  .flatMap((backend) => [0, 2].map((workers) => ({ backend, workers })));
let runs: Run[] = [];

beforeAll(async () => {
  pristine = (await buildShards({ input: REAL_MR, out: path.join(root, 'pristine'), ...BUILD })).out;
  otherInput = path.join(root, 'other-input');
  cpSync(REAL_MR, otherInput, { recursive: true });
  for (const patient of readdirSync(otherInput)) {
    const csv = path.join(otherInput, patient, 'labels.csv');
    const [header, ...rows] = readFileSync(csv, 'utf8').trim().split('\n');
    writeFileSync(csv, [header, ...rows.map((r) => r.split(',').map((v, i) => (i === 0 ? v : String(1 - Number(v)))).join(','))].join('\n') + '\n');
  }
  other = (await buildShards({ input: otherInput, out: path.join(root, 'other'), ...BUILD })).out;
  truth = new Set(readDataset(pristine).samples.map((s) => `${s.key} ${crc32(s.image)} ${s.labels.join(',')}`));
  expect(readDataset(other).samples.map((s) => s.key)).toEqual(readDataset(pristine).samples.map((s) => s.key));
  runs = await Promise.all(configs.map(({ backend, workers }) => runReader(workers, backend)));
}, 120_000);

describe('files changing under a running reader (mmap and pread, 0 and 2 worker threads)', () => {
  it('no reader process dies of a signal, whatever happens to its files', () => {
    for (const r of runs) expect({ config: r.config, status: r.status, signal: r.signal, stderr: r.stderr }).toEqual({ config: r.config, status: 0, signal: null, stderr: '' });
  });

  /** Never a sample the pristine build does not have; an error only if it names the changed shard. */
  const check = (i: number) => {
    const c = CASES[i];
    for (const run of runs) {
      const report = run.reports[i];
      const where = `${run.config}, ${c.name}`;
      expect(report, `${where}: no report (status ${run.status}, signal ${run.signal})`).toBeDefined();
      expect(report!.seen.filter((s) => !truth.has(s)), `${where}: samples yielded that the manifest does not describe`).toEqual([]);
      if (c.expected === 'error') expect(report!.error, `${where}: read ${report!.epochs} epochs without an error`).not.toBeNull();
      if (c.expected === 'no-error') expect(report!.error, where).toBeNull();
      if (report!.error) {
        expect(report!.error, where).toContain(SHARD);
        if (c.error) expect(report!.error, where).toMatch(c.error);
      }
    }
  };

  it('a shard truncated mid-read: a clear error naming it, never SIGBUS', () => check(0));
  it('the identical file copied over it in place (cp truncates first): correct bytes or a clear error', () => check(1));
  it('another shard of the same build copied over it: an error naming it, never its samples', () => check(2));
  it("another build's shard with the same keys copied over it mid-read: an error naming it, never its samples", () => check(3));
  it("another build's shard copied in before reading: every record refused as another build's, naming shard, record and key", () => check(4));
  it('a rebuild of different data into the same folder: the open dataset keeps yielding the build it opened', () => check(5));
});
