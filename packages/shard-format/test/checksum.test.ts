// checksum.ts on a Node without zlib.crc32: importing must work (a CLI's --help, a type-only use), first use says why not.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const CHECKSUM = path.join(import.meta.dirname, '..', 'src', 'checksum.ts');

describe('crc32', () => {
  it('without zlib.crc32 (Node < 20.15) the module imports, and the first CRC names the Node it needs', async () => {
    // A Node 20.9-like zlib: crc32 removed, and the ESM view of node:zlib synced to that.
    const dropCrc32 = "import zlib from 'node:zlib'; import { syncBuiltinESMExports } from 'node:module'; delete zlib.crc32; syncBuiltinESMExports();";
    const probe = `
      const m = await import(${JSON.stringify(CHECKSUM)});
      console.log('imported');
      try { m.crc32('abc'); console.log('no error'); } catch (e) { console.log(e.message); }
    `;
    const { stdout } = await run(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(dropCrc32)}`, '--import', 'tsx', '--input-type=module', '-e', probe]);
    expect(stdout.split('\n')).toEqual(['imported', `shard-format needs zlib.crc32 (Node.js >= 20.15); this is ${process.versions.node}`, '']);
  });
});
