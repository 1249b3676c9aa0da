// `pnpm run release:pack`: one installable .tgz per package in ./packed/, from the dist that script just built.
// pnpm pack resolves `workspace:` versions and applies publishConfig (exports without the `source` condition);
// this script then checks each tarball's manifest, so a broken tarball fails here and not in a user's project.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const OUT = path.join(ROOT, 'packed');
const PACKAGES = ['shard-format', 'shard-writer', 'shard-reader', 'shard-cli'];

type Exports = Record<string, Record<string, string>>;
interface Manifest {
  name: string;
  version: string;
  exports: Exports;
  publishConfig?: { exports?: Exports };
  dependencies?: Record<string, string>;
}

function fail(message: string): never {
  process.stderr.write(`release:pack: ${message}\n`);
  process.exit(1);
}

const manifestOf = (name: string): Manifest => JSON.parse(readFileSync(path.join(ROOT, 'packages', name, 'package.json'), 'utf8'));

/** The published exports are the repository's minus `source` (which points at .ts files plain node cannot load). */
function publishedExports(exports: Exports): Exports {
  return Object.fromEntries(Object.entries(exports).map(([sub, target]) => [sub, Object.fromEntries(Object.entries(target).filter(([c]) => c !== 'source'))]));
}

// publishConfig.exports repeats exports; a subpath added to one and not the other would vanish from the tarball.
for (const name of PACKAGES) {
  const m = manifestOf(name);
  if (JSON.stringify(m.publishConfig?.exports) !== JSON.stringify(publishedExports(m.exports))) {
    fail(`packages/${name}/package.json: publishConfig.exports must be exports without the "source" condition, in the same order`);
  }
}

// The pnpm that runs this script (pnpm sets npm_execpath), so packing uses the repository's pnpm version.
const pnpm = process.env.npm_execpath;
if (!pnpm || !/pnpm/.test(path.basename(pnpm))) fail('run it through pnpm: npx -y pnpm@12.4.2 run release:pack');
const [cmd, pre] = /\.[cm]?js$/.test(pnpm) ? [process.execPath, [pnpm]] : [pnpm, []];

// Only our own earlier tarballs are replaced: anything else a user keeps in packed/ stays.
mkdirSync(OUT, { recursive: true });
const ours = (file: string) => PACKAGES.some((name) => new RegExp(`^${name}-\\d[^/]*\\.tgz$`).test(file));
for (const file of readdirSync(OUT).filter(ours)) rmSync(path.join(OUT, file));

// One pnpm for all four. Their prepack scripts (tsc -b, for a bare `pnpm pack`) are skipped: `release:pack`
// built every dist with one tsc -b just before this script, and four more tsc starts only re-check it.
const run = spawnSync(cmd, [...pre, '--recursive', '--workspace-concurrency=1', 'pack', '--config.ignore-scripts=true', '--pack-destination', OUT], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
if (run.status !== 0) fail(`pnpm pack failed (${run.error?.message ?? `exit ${run.status ?? run.signal}`})`);

for (const name of PACKAGES) {
  const { version } = manifestOf(name);
  const tgz = path.join(OUT, `${name}-${version}.tgz`);
  const read = spawnSync('tar', ['-xzOf', tgz, 'package/package.json'], { encoding: 'utf8' });
  if (read.status !== 0) fail(`${path.relative(ROOT, tgz)}: no package/package.json in the tarball (${read.stderr.trim()})`);
  const packed = read.stdout;
  if (packed.includes('workspace:')) fail(`${path.relative(ROOT, tgz)}: a workspace: version was left in package.json`);
  if (packed.includes('"source"')) fail(`${path.relative(ROOT, tgz)}: the source export condition leaked into package.json`);
  process.stdout.write(`packed/${path.basename(tgz)}\n`);
}
process.stdout.write(`install into a project with: npm install ${path.join(OUT, '*.tgz')}\n`);
