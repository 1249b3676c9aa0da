// Install-time build of the optional mmap addon with node-gyp; never fails the install (the reader falls back to pread).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const addonPath = path.join(packageDir, 'build', 'Release', 'shard_mmap.node');
const require = createRequire(import.meta.url);

function giveUp(reason) {
  console.warn(`shard-reader: native mmap addon not built, using pread fallback (${reason})`);
  process.exit(0);
}

// Node's own headers, so node-gyp never downloads them: an explicit nodedir (npm's `nodedir`
// setting reaches scripts as npm_config_nodedir), else the headers installed beside this node
// binary (<prefix>/bin/node -> <prefix>/include/node, as in Debian's nodejs and official tarballs).
function localNodeDir() {
  const candidates = [process.env.npm_config_nodedir, process.env.NODEDIR, path.resolve(path.dirname(process.execPath), '..')];
  for (const dir of candidates) {
    if (dir && existsSync(path.join(dir, 'include', 'node', 'node_api.h')) && existsSync(path.join(dir, 'include', 'node', 'common.gypi'))) return dir;
  }
  return undefined;
}

if (process.env.SHARD_READER_SKIP_NATIVE_BUILD === '1') giveUp('SHARD_READER_SKIP_NATIVE_BUILD=1');
if (process.platform === 'win32') giveUp('mmap addon is POSIX-only');

const nodeDir = localNodeDir();
if (!nodeDir) giveUp(`no local Node headers found (set npm_config_nodedir to a folder with include/node/node_api.h)`);

let nodeGyp;
try {
  nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
} catch {
  giveUp('node-gyp is not installed');
}

const result = spawnSync(process.execPath, [nodeGyp, 'rebuild', '--loglevel=warn', `--nodedir=${nodeDir}`], {
  cwd: packageDir,
  stdio: 'inherit',
  env: { ...process.env, npm_config_nodedir: nodeDir },
});
if (result.error) giveUp(`node-gyp could not start: ${result.error.message}`);
if (result.status !== 0) giveUp(`node-gyp exited with ${result.status ?? result.signal}`);

try {
  const addon = require(addonPath);
  if (typeof addon.map !== 'function') throw new Error('addon has no map()');
} catch (error) {
  giveUp(`built addon does not load: ${error instanceof Error ? error.message : String(error)}`);
}
console.log(`shard-reader: built native mmap addon (${path.relative(packageDir, addonPath)})`);
