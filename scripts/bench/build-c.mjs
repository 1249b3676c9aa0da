// The bench's C programs (gather_limit.c, sha_ni_streams.c, receive_native.c): built with cc into .bench-data,
// again whenever a source (the .c or a header it includes) is newer than the program.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/**
 * `name`.c of scripts/bench (with `headers` from there) as the program .bench-data/`name` (or in `dir`); returns
 * its path. Throws when cc fails or is missing, with its first line of output.
 */
export function buildC(name, { headers = [], flags = [], dir = path.resolve('.bench-data') } = {}) {
  const exe = path.join(dir, name);
  const sources = [`${name}.c`, ...headers].map((f) => path.join(HERE, f));
  if (existsSync(exe) && sources.every((s) => statSync(s).mtimeMs <= statSync(exe).mtimeMs)) return exe;
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('cc', ['-O2', ...flags, '-o', exe, sources[0]], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cc ${name}.c: ${(r.error?.message ?? r.stderr).trim().split('\n')[0] || `exit ${r.status}`}`);
  return exe;
}
