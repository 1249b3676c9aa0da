// The addon's portable paths (table CRC, scalar stacking) are what CPUs without PCLMULQDQ/SSSE3 run (ARM,
// old x86); this machine takes the SIMD paths, so the native tests are run again with them switched off.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mmapUnavailableReason } from '../../src/io/addon.js';

const pkg = path.resolve(import.meta.dirname, '../..');
const root = path.resolve(pkg, '../..');
const env = { ...process.env, SHARD_READER_PORTABLE: '1', NO_COLOR: '1', FORCE_COLOR: '0' };

describe.skipIf(mmapUnavailableReason() !== undefined)('native addon without SIMD (SHARD_READER_PORTABLE=1)', () => {
  it('switches the SIMD paths off', () => {
    const probe = `const a = require(${JSON.stringify(path.join(pkg, 'build/Release/shard_mmap.node'))}); console.log(JSON.stringify({ crc: a.crc32Simd, interleave: a.interleaveSimd }));`;
    const off = spawnSync(process.execPath, ['-e', probe], { env, encoding: 'utf8' });
    expect(JSON.parse(off.stdout)).toEqual({ crc: false, interleave: false });
  });

  it('gives the same CRCs, gathers and stacked channels (the crc, gather and interleave tests pass)', () => {
    const files = ['crc', 'gather', 'interleave'].map((n) => path.join(pkg, 'test/io', `${n}.test.ts`));
    const run = spawnSync(process.execPath, [path.join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--root', root, ...files], { env, encoding: 'utf8', cwd: root });
    const out = run.stdout + run.stderr;
    expect(run.status, out).toBe(0);
    expect(out).toMatch(/Test Files\s+3 passed \(3\)/);
    expect(out).not.toMatch(/skipped/); // a skipped native test would prove nothing
  }, 120_000);
});
