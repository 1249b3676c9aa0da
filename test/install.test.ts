// The packages as a user gets them: release:pack, npm install of the tarballs into a fresh project, then
// `npx shard` (help, version, build, verify, through a symlink) and a plain-node fitDataset with @tensorflow/tfjs.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, writeLabels, writePng } from './helpers/tree.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const PACKAGES = ['shard-format', 'shard-writer', 'shard-reader', 'shard-cli'];
const BIN = path.join(ROOT, 'packages', 'shard-cli', 'bin', 'shard.js');
const run = promisify(execFile);
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8'));
const cliVersion = readJson(path.join(ROOT, 'packages', 'shard-cli', 'package.json')).version as string;

/**
 * The environment of a user's shell: no pnpm/npm script variables (npm reads npm_config_* as settings),
 * no NODE_OPTIONS or conditions from the test runner, so `node` below is plain node.
 */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|pnpm_|NODE_OPTIONS$|INIT_CWD$|VITEST|TSX)/i.test(k)));
  // Nor the repository's node_modules/.bin (pnpm puts it on PATH), which holds a `shard` of its own.
  env.PATH = (env.PATH ?? '').split(path.delimiter).filter((dir) => !dir.startsWith(ROOT + path.sep)).join(path.delimiter);
  return { ...env, ...extra };
}

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; a non-zero exit is a result here, not an exception. */
async function exec(file: string, args: string[], cwd: string, env = userEnv(), timeout = 120_000): Promise<Ran> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd, env, timeout, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; message: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const show = (r: Ran) => `exit ${r.code}\nstdout: ${r.stdout.slice(-2000)}\nstderr: ${r.stderr.slice(-4000)}`;

describe('the shard bin, before anything is installed', () => {
  it('refuses an old Node with one line and exit 2, before loading anything that would crash', async () => {
    const oldNode = 'data:text/javascript,Object.defineProperty(process.versions,"node",{value:"18.19.1"})';
    const r = await exec(process.execPath, ['--import', oldNode, BIN, '--help'], ROOT);
    expect(r.code, show(r)).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('shard: needs Node.js >= 20.15 (zlib.crc32); this is 18.19.1\n');
  });

  it('every package states the Node it really needs (zlib.crc32: 20.15)', () => {
    for (const dir of [ROOT, ...PACKAGES.map((p) => path.join(ROOT, 'packages', p))]) {
      expect(readJson(path.join(dir, 'package.json')).engines?.node, dir).toBe('>=20.15');
    }
  });
});

describe('installed from the packed tarballs into a separate npm project', () => {
  let work = '';
  let project = '';
  let tarballs: string[] = [];

  beforeAll(async () => {
    work = tempDir('shards-install-');
    const pack = await exec('npx', ['-y', 'pnpm@12.4.2', 'run', 'release:pack'], ROOT, userEnv(), 240_000);
    expect(pack.code, show(pack)).toBe(0);
    tarballs = PACKAGES.map((name) => path.join(ROOT, 'packed', `${name}-${readJson(path.join(ROOT, 'packages', name, 'package.json')).version}.tgz`));
    for (const t of tarballs) expect(existsSync(t), t).toBe(true);

    project = path.join(work, 'my-project');
    mkdirSync(project);
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'my-project', private: true, type: 'module' }));
    // Only our four tarballs are installed (and their dependencies, from a cache of our own kept between
    // runs): that is what this test proves. tfjs is the user's own dependency, an optional peer we never
    // import: the project gets the repository's copy of the same version, linked, not 290 MB unpacked again.
    const cache = path.join(os.tmpdir(), 'ct-shards-install-test-npm-cache');
    const install = await exec('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--cache', cache, ...tarballs], project, userEnv(), 300_000);
    expect(install.code, show(install)).toBe(0);
    const tfjs = realpathSync(path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs'));
    expect(readJson(path.join(tfjs, 'package.json')).version).toBe(readJson(path.join(ROOT, 'package.json')).devDependencies['@tensorflow/tfjs']);
    mkdirSync(path.join(project, 'node_modules', '@tensorflow'), { recursive: true });
    symlinkSync(tfjs, path.join(project, 'node_modules', '@tensorflow', 'tfjs'), 'dir');
  }, 600_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('packs exports without the source condition and every workspace: version resolved', () => {
    for (const name of PACKAGES) {
      const installed = readJson(path.join(project, 'node_modules', name, 'package.json'));
      expect(JSON.stringify(installed.exports), name).not.toContain('source');
      expect(JSON.stringify(installed.dependencies ?? {}), name).not.toContain('workspace:');
      expect(existsSync(path.join(project, 'node_modules', name, 'dist')), `${name} dist`).toBe(true);
    }
  });

  it('built the native addon from the tarball at install', () => {
    expect(existsSync(path.join(project, 'node_modules', 'shard-reader', 'build', 'Release', 'shard_mmap.node'))).toBe(true);
  });

  it('npx shard --help and --version answer', { timeout: 120_000 }, async () => {
    const help = await exec('npx', ['shard', '--help'], project);
    expect(help.code, show(help)).toBe(0);
    expect(help.stdout).toMatch(/^Usage: shard /);
    for (const cmd of ['build', 'verify', 'inspect', 'export', 'order', 'bench']) expect(help.stdout).toContain(cmd);
    const version = await exec('npx', ['shard', '--version'], project);
    expect(version.code, show(version)).toBe(0);
    expect(version.stdout.trim()).toBe(cliVersion);
  });

  it('npx shard build + verify a tiny tree; the bin also runs through a symlink of another name; plain node trains from the shards', { timeout: 240_000 }, async () => {
    const tree = path.join(project, 'data', 'train');
    for (let p = 0; p < 2; p++) {
      const dir = path.join(tree, `patient_00${p + 1}`);
      const rows: (string | number)[][] = [];
      for (let s = 0; s < 5; s++) {
        writePng(path.join(dir, `slice_00${s + 1}.png`), { width: 24, height: 24, depth: 8, channels: 1, value: (x, y) => (x * 7 + y * 3 + s * 11 + p * 50) & 255 });
        rows.push([`slice_00${s + 1}.png`, (s + p) % 2, s % 3 === 0 ? 1 : 0]);
      }
      writeLabels(dir, ['slice', 'effusion', 'nodule'], rows);
    }

    const build = await exec('npx', ['shard', 'build', 'data/train', '--out', 'shards/train', '--size', '16', '--json'], project);
    expect(build.code, show(build)).toBe(0);
    const summary = JSON.parse(build.stdout);
    expect(summary).toMatchObject({ inputs: 10, written: 10, skipped: [] });
    expect(readdirSync(path.join(project, 'shards', 'train'))).toContain('manifest.json');

    const verify = await exec('npx', ['shard', 'verify', 'shards/train'], project);
    expect(verify.code, show(verify)).toBe(0);

    // A link whose name is not the module's: what npm's .bin, npm link and global installs all make.
    const linkDir = path.join(work, 'bin');
    mkdirSync(linkDir, { recursive: true });
    const link = path.join(linkDir, 'ct-shard');
    symlinkSync(path.join(project, 'node_modules', 'shard-cli', 'bin', 'shard.js'), link);
    const inspect = await exec(link, ['inspect', path.join(project, 'shards', 'train'), '--json'], work);
    expect(inspect.code, show(inspect)).toBe(0);
    expect(JSON.parse(inspect.stdout)).toMatchObject({ samples: 10, shape: [16, 16, 1], dtype: 'uint8', labelNames: ['effusion', 'nodule'] });

    // A user's training script: plain node, packages resolved from node_modules, worker threads from dist.
    writeFileSync(
      path.join(project, 'train.mjs'),
      `import * as tf from '@tensorflow/tfjs';
import { crc32 } from 'shard-format';
import * as writer from 'shard-writer';
import { main } from 'shard-cli';
import { openDataset } from 'shard-reader';
import { toTfDataset } from 'shard-reader/tfjs';

const ds = await openDataset('shards/train', { workers: 2 });
const [h, w, c] = ds.shape;
const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [h, w, c] }), tf.layers.dense({ units: ds.labelNames.length, activation: 'sigmoid' })] });
model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
const history = await model.fitDataset(toTfDataset(ds, tf, { batchSize: 4, seed: 7, shuffle: 'global' }), { epochs: 1, verbose: 0 });
await ds.close();
console.log(JSON.stringify({ loss: history.history.loss, size: ds.size, crc: crc32('abc'), writer: Object.keys(writer).length, main: typeof main }));
`,
    );
    const train = await exec(process.execPath, ['train.mjs'], project);
    expect(train.code, show(train)).toBe(0);
    const result = JSON.parse(train.stdout.trim().split('\n').pop()!);
    expect(result.size).toBe(10);
    expect(result.loss).toHaveLength(1);
    expect(Number.isFinite(result.loss[0])).toBe(true);
    expect(result.crc).toBe(0x352441c2);
    expect(result.writer).toBeGreaterThan(0);
    expect(result.main).toBe('function');
  });

  it('from the repository too, plain node imports shard-reader and shard-reader/tfjs (built dist, no tsx)', async () => {
    const r = await exec(process.execPath, ['--input-type=module', '-e', "const r = await import('shard-reader'); const t = await import('shard-reader/tfjs'); console.log(typeof r.openDataset, typeof t.toTfDataset);"], ROOT);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout.trim()).toBe('function function');
  });
});
