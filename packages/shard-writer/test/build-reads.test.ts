// Planning reads: a DICOM file's header from its first bytes (frame counts) and an input's plan hash in one read,
// with the same answers as parsing and hashing the whole file.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDicomBytes } from '../src/decode/dicom-header.js';
import { readDicomHead } from '../src/dicom-head.js';
import { hashInput } from '../src/input-hash.js';

const FIXTURES = path.join(import.meta.dirname, '../../../test/fixtures/dicom');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'build-reads-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('planning reads', () => {
  it('readDicomHead gives every fixture the attributes (frames, rows, syntax) a whole-file parse gives', async () => {
    const names = readdirSync(FIXTURES).filter((n) => n.endsWith('.dcm'));
    expect(names.length).toBeGreaterThan(20);
    for (const name of names) {
      const file = path.join(FIXTURES, name);
      const bytes = readFileSync(file);
      let whole;
      try {
        whole = parseDicomBytes(file, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
      } catch {
        await expect(readDicomHead(file), name).rejects.toThrow();
        continue;
      }
      const head = await readDicomHead(file);
      for (const tag of ['x00280008', 'x00280010', 'x00280011', 'x00020010', 'x00080018']) expect(head.string(tag), `${name} ${tag}`).toBe(whole.string(tag));
    }
  });

  it('readDicomHead reads only the first bytes of a large file, and the whole file when its header is longer', async () => {
    // A multi-frame file made large by pixel data: the first 64 KiB hold its header.
    const src = readFileSync(path.join(FIXTURES, 'MR_small_enhanced_3frame.dcm'));
    const big = path.join(tmp, 'big.dcm');
    writeFileSync(big, Buffer.concat([src, Buffer.alloc(1 << 20)]));
    expect((await readDicomHead(big)).intString('x00280008')).toBe(3);
    // No pixel data within the first 64 KiB (a waveform of 291 KB): the whole file is parsed, as before.
    const ecg = await readDicomHead(path.join(FIXTURES, 'waveform_ecg.dcm'));
    expect(ecg.elements.x54000100).toBeDefined();
  });

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
});
