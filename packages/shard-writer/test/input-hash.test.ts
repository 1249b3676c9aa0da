// Planning reads: an input's plan hash in one read for a small file, streamed for a large one, the same either way;
// the decoder threads' scan (hash and DICOM header in one read) gives what the main thread's separate reads give.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDicomHead } from '../src/dicom-slice-meta.js';
import { hashInput } from '../src/input-hash.js';
import { scanInput } from '../src/scan-input.js';

const DICOM = path.join(import.meta.dirname, '../../../test/fixtures/dicom');

const tmp = mkdtempSync(path.join(os.tmpdir(), 'build-reads-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('planning reads', () => {
  it('hashInput gives size and SHA-256 of small and large files, and undefined for a missing one', async () => {
    for (const [name, size] of [['small', 1000], ['large', (16 << 20) + 12345]] as const) {
      const file = path.join(tmp, name);
      const bytes = Buffer.alloc(size, 7);
      bytes.write('header');
      writeFileSync(file, bytes);
      expect(await hashInput(file)).toEqual({ size, sha256: createHash('sha256').update(bytes).digest('hex') });
    }
    expect(await hashInput(path.join(tmp, 'missing'))).toBeUndefined();
  });

  it('scanInput gives hashInput\'s size and SHA-256 and readDicomHead\'s header, in one read, for every DICOM fixture and big or broken files', async () => {
    const { readdirSync } = await import('node:fs');
    const files = readdirSync(DICOM).filter((f) => f.endsWith('.dcm'));
    expect(files.length).toBeGreaterThan(20);
    for (const f of files) {
      const file = path.join(DICOM, f);
      const scan = scanInput(file, true);
      expect(scan.content, f).toEqual(await hashInput(file));
      const head = await readDicomHead(file).catch(() => undefined);
      expect(scan.head, f).toEqual(head);
    }
    // Beyond the one-read size: streamed, and the header from the first bytes.
    const big = path.join(tmp, 'big.dcm');
    const bytes = Buffer.concat([await import('node:fs/promises').then((m) => m.readFile(path.join(DICOM, 'CT_small.dcm'))), Buffer.alloc(17 << 20, 3)]);
    writeFileSync(big, bytes);
    expect(scanInput(big, true)).toEqual({ content: await hashInput(big), head: await readDicomHead(big) });
    // Not DICOM: hashed, no header; missing: nothing.
    writeFileSync(path.join(tmp, 'not.dcm'), 'hello');
    expect(scanInput(path.join(tmp, 'not.dcm'), true)).toEqual({ content: await hashInput(path.join(tmp, 'not.dcm')) });
    expect(scanInput(path.join(tmp, 'missing.dcm'), true)).toEqual({});
    expect(scanInput(path.join(tmp, 'small'), false)).toEqual({ content: await hashInput(path.join(tmp, 'small')) });
  });
});
