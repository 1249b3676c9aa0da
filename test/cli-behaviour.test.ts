// One CLI behaviour: exit 2 for every usage error and 1 for bad data, one `shard: ...` line for each,
// paths relative to where the user ran the command (INIT_CWD through pnpm), help defaults, counts.
import { cpSync, existsSync, openSync, readdirSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userCwd } from 'shard-cli';
import { makeSyntheticSet } from '../scripts/make-synthetic.js';
import { shard, shardWithEnv, type CliRun } from './helpers/run-cli.js';
import { tempDir } from './helpers/tree.js';

let root = '';
let input = ''; // 1 patient x 1 slice
let one = ''; // its dataset: 1 sample in 1 shard
let multi = ''; // 5 samples over 3 shards (2, 2, 1)
let multiInput = '';

beforeAll(async () => {
  root = tempDir('cli-behaviour-');
  input = path.join(root, 'one-slice');
  multiInput = path.join(root, 'five-slices');
  await makeSyntheticSet({ out: input, patients: 1, slices: 1, size: 16, bits: 8, seed: 3 });
  await makeSyntheticSet({ out: multiInput, patients: 1, slices: 5, size: 48, bits: 8, seed: 4 });
  one = path.join(root, 'one');
  multi = path.join(root, 'multi');
  expect((await shard('build', input, '--out', one, '--size', '16', '-q')).code).toBe(0);
  // 48x48 uint8 records are 2368 bytes: 8 KiB shards hold 2 (header page + 2 records).
  expect((await shard('build', multiInput, '--out', multi, '--size', '48', '--shard-bytes', '9000', '-q')).code).toBe(0);
}, 60_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Exactly one line on stderr, in our style, and nothing from commander's own printer. */
function expectOneLine(r: CliRun): string {
  const lines = r.stderr.split('\n').filter(Boolean);
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^shard: \S/);
  expect(r.stderr).not.toMatch(/(^|\n)error: /);
  expect(r.stderr).not.toContain('    at ');
  return lines[0];
}

describe('exit codes and one message style', () => {
  const out = () => path.join(root, 'never-written');
  const usage: [string, () => string[], RegExp][] = [
    ['unknown flag', () => ['inspect', one, '--bogus'], /unknown option '--bogus'/],
    ['misspelt flag', () => ['order', one, '--sead', '3'], /unknown option '--sead'/],
    ['missing argument', () => ['inspect'], /missing required argument 'dir'/],
    ['missing required option', () => ['build', input], /--out/],
    ['too many arguments', () => ['inspect', one, 'extra'], /too many arguments/],
    ['unknown command', () => ['frob'], /unknown command 'frob'/],
    ['no command', () => [], /missing command: one of build, verify, inspect, export, order, bench/],
    ['help for an unknown command', () => ['help', 'frob'], /unknown command 'frob'/],
    ['bad integer value', () => ['build', input, '--out', out(), '--size', 'abc'], /--size.*'abc'.*positive integer/],
    ['bad choice', () => ['build', input, '--out', out(), '--dtype', 'float64'], /--dtype.*float64/],
    ['bad window', () => ['build', input, '--out', out(), '--window', '1'], /--window/],
    ['bad byte size', () => ['build', input, '--out', out(), '--shard-bytes', '12x'], /--shard-bytes.*12x/],
    ['too small shard size', () => ['build', input, '--out', out(), '--shard-bytes', '12'], /shard size must be from 8192 bytes \(8KiB\) to .* \(got 12\)/],
    ['clashing options', () => ['build', input, '--out', out(), '--dtype', 'uint16', '--window', '40,80'], /--window/],
    ['rank beyond world size', () => ['order', one, '--rank', '3'], /rank 3/],
    ['start batch beyond the epoch', () => ['order', one, '--start-batch', '9'], /startBatch 9/],
    ['bad --seconds', () => ['bench', one, '--seconds', 'abc'], /--seconds.*'abc'/],
    ['too many reader workers', () => ['bench', one, '--workers', '100000'], /--workers.*100000/],
    ['bad --limit', () => ['export', one, '--out', out(), '--limit', '-1'], /--limit/],
  ];
  for (const [name, args, message] of usage) {
    it(`${name}: exit 2, one line with a hint to run --help`, async () => {
      const r = await shard(...args());
      expect(r.code).toBe(2);
      const line = expectOneLine(r);
      expect(line).toMatch(message);
      expect(line).toMatch(/\(run 'shard( [a-z]+)? --help' for usage\)$/);
      expect(existsSync(out())).toBe(false);
    });
  }

  it('names the subcommand whose --help to run', async () => {
    expect(expectOneLine(await shard('build', input, '--out', out(), '--size', '0'))).toContain("run 'shard build --help'");
    expect(expectOneLine(await shard('frob'))).toContain("run 'shard --help'");
  });

  it('no dataset at the path given: exit 2, naming the absolute path looked at', async () => {
    const rel = path.relative(process.cwd(), path.join(root, 'missing'));
    const r = await shardWithEnv({ INIT_CWD: undefined }, 'inspect', rel);
    expect(r.code).toBe(2);
    expect(expectOneLine(r)).toBe(`shard: ${path.join(root, 'missing')}: no such dataset folder`);
  });

  it('a dataset folder given to build as its input: exit 2, saying it is a dataset folder', async () => {
    const r = await shard('build', one, '--out', out(), '-q');
    expect(r.code).toBe(2);
    expect(expectOneLine(r)).toContain(`shard: ${one}: is a shard dataset folder`);
    expect(existsSync(out())).toBe(false);
  });

  it('bad input data: exit 1 naming the file; the same command with a bad flag value: exit 2; one line each', async () => {
    const tree = path.join(root, 'bad-tree');
    cpSync(input, tree, { recursive: true });
    const patient = readdirSync(tree)[0];
    writeFileSync(path.join(tree, patient, 'slice_001.png'), 'not a png');
    const bad = await shard('build', tree, '--out', path.join(root, 'bad-out'), '-q');
    expect(bad.code).toBe(1);
    expect(expectOneLine(bad)).toMatch(new RegExp(`^shard: ${path.join(tree, patient, 'slice_001.png')}: `));
    const usage = await shard('build', tree, '--out', path.join(root, 'bad-out'), '--workers', '0', '-q');
    expect(usage.code).toBe(2);
    expect(expectOneLine(usage)).toMatch(/--workers/);
  });

  it('damage found: exit 1; verify with a bad flag value: exit 2 in one line', async () => {
    const copy = path.join(root, 'damaged');
    cpSync(one, copy, { recursive: true });
    const fd = openSync(path.join(copy, 'shard-00000.bin'), 'r+');
    writeSync(fd, Buffer.from([0xff, 0x00, 0xff]), 0, 3, 4096 + 70);
    closeSync(fd);
    const r = await shard('verify', copy, '-q');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('DAMAGED: ');
    const usage = await shard('verify', copy, '--concurrency', '0');
    expect(usage.code).toBe(2);
    expect(expectOneLine(usage)).toMatch(/--concurrency/);
  });
});

describe('paths are relative to where the user ran the command', () => {
  it('through pnpm (cwd moved to the package root, INIT_CWD the caller): reads and writes there, names absolute paths', async () => {
    const pnpm = { INIT_CWD: root, npm_package_json: path.join(process.cwd(), 'package.json') };
    const i = await shardWithEnv(pnpm, 'inspect', 'one', '--json');
    expect(i.code).toBe(0);
    expect(JSON.parse(i.stdout).dir).toBe(one);

    const b = await shardWithEnv(pnpm, 'build', 'one-slice', '--out', 'rel-out', '--size', '16', '--json', '-q');
    expect(b.code).toBe(0);
    expect(JSON.parse(b.stdout).out).toBe(path.join(root, 'rel-out'));
    expect(existsSync(path.join(root, 'rel-out', 'manifest.json'))).toBe(true);
    expect(existsSync(path.join(process.cwd(), 'rel-out'))).toBe(false);

    const e = await shardWithEnv(pnpm, 'export', 'one', '--out', 'rel-export');
    expect(e.code).toBe(0);
    expect(e.stderr).toBe(`exported 1 sample to ${path.join(root, 'rel-export')} (npy)\n`);

    const m = await shardWithEnv(pnpm, 'verify', 'nowhere');
    expect(m.code).toBe(2);
    expect(expectOneLine(m)).toBe(`shard: ${path.join(root, 'nowhere')}: no such dataset folder`);
  });

  it('INIT_CWD is ignored once a script has moved away from the package root', () => {
    const env = { INIT_CWD: '/home/user/project', npm_package_json: '/repo/package.json' };
    expect(userCwd(env, '/repo')).toBe('/home/user/project');
    expect(userCwd(env, '/repo/sub')).toBe('/repo/sub');
    expect(userCwd({}, '/somewhere')).toBe('/somewhere');
    expect(userCwd({ INIT_CWD: '/home/user' }, '/repo')).toBe('/home/user');
  });
});

/** Option blocks of a help text: an option line and its wrapped continuation lines. */
function optionBlocks(help: string): Map<string, string> {
  const blocks = new Map<string, string>();
  let current = '';
  for (const line of help.split('\n')) {
    const m = /^ {2}((?:-\w, )?--[\w-]+)/.exec(line);
    if (m) {
      current = m[1].replace(/^-\w, /, '');
      blocks.set(current, line.trim());
    } else if (current && /^ {6,}\S/.test(line)) blocks.set(current, `${blocks.get(current)} ${line.trim()}`);
    else current = '';
  }
  return blocks;
}

describe('help', () => {
  it('shows each default once, and the right one; --help exits 0 with nothing on stderr', async () => {
    const all = new Map<string, Map<string, string>>();
    for (const cmd of ['build', 'verify', 'inspect', 'export', 'order', 'bench']) {
      const help = await shard(cmd, '--help');
      expect([help.code, help.stderr]).toEqual([0, '']);
      const blocks = optionBlocks(help.stdout);
      expect(blocks.size).toBeGreaterThan(1);
      for (const [flag, text] of blocks) expect((text.match(/default/g) ?? []).length, `${cmd} ${flag}: ${text}`).toBeLessThanOrEqual(1);
      all.set(cmd, blocks);
    }
    expect(all.get('build')!.get('--workers')).toMatch(/\(default: 2 per core\)$/);
    expect(all.get('build')!.get('--shard-bytes')).toMatch(/\(default: 256MiB\)$/);
    expect(all.get('build')!.get('--size')).toMatch(/\(default: 256\)$/);
    expect(all.get('bench')!.get('--workers')).toMatch(/\(default: one per core, up to 4\)$/);
    expect(all.get('verify')!.get('--concurrency')).toMatch(/\(default: one per core\)$/);
  });
});

describe('counts read right', () => {
  it('"1 shard", "1 sample", "1 input" for a one-sample dataset', async () => {
    const texts = [(await shard('inspect', one)).stdout, (await shard('verify', one, '-q')).stdout, (await shard('build', input, '--out', path.join(root, 'one-again'), '--size', '16', '-q')).stdout];
    for (const t of texts) {
      expect(t).not.toMatch(/\b1 (shards|samples|inputs|problems|warnings)\b/);
      expect(t).toMatch(/\b1 shard\b/);
    }
    expect(texts[1]).toContain('1 sample;');
    expect(texts[2]).toContain('1 input = 1 written');
  });

  it('inspect shows how many samples each shard holds, not the capacity', async () => {
    const text = (await shard('inspect', multi)).stdout;
    expect(text).toContain('samples   5 in 3 shards');
    expect(text).toContain('shards    shard-00000.bin .. shard-00001.bin: 2 samples each (2 shards)');
    expect(text).toContain('          shard-00002.bin: 1 sample\n');
    expect(text).not.toMatch(/\(\d+ per shard\)/);
    const json = JSON.parse((await shard('inspect', multi, '--json')).stdout);
    expect(json.shards.map((s: { samples: number }) => s.samples)).toEqual([2, 2, 1]);
    // The format v2 build id every shard proves it belongs to.
    expect(json.buildId).toMatch(/^[0-9a-f]{32}$/);
    expect(text).toContain(`build id ${json.buildId}`);
  });
});
