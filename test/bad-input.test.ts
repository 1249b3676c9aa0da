// The matrix of broken build inputs: the exact error line under --on-error fail, the accounting under skip.
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync, copyFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { buildShards } from 'shard-writer';
import { readDataset } from './helpers/read-shards.js';
import { LABELS, tempDir, writeLabels } from './helpers/tree.js';

const GOOD = path.join(import.meta.dirname, 'fixtures/real-mr/patient_M02/slice_001.png');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A PNG whose header claims 100000 x 100000 pixels: beyond what the decoder accepts. */
function hugePng(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(100000, 0);
  ihdr.writeUInt32BE(100000, 4);
  ihdr[8] = 8;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(Buffer.alloc(10))), chunk('IEND', Buffer.alloc(0))]);
}

/** Two good slices in p1, plus whatever `bad` adds to p2 (with its labels.csv listing `rows`). */
function tree(bad: (p2: string) => string[]): { root: string; p2: string } {
  const root = tempDir();
  dirs.push(root);
  for (const n of ['s1', 's2']) {
    mkdirSync(path.join(root, 'p1'), { recursive: true });
    copyFileSync(GOOD, path.join(root, 'p1', `${n}.png`));
  }
  writeLabels(path.join(root, 'p1'), LABELS, [['s1.png', 1, 0, 0, 0, 0], ['s2.png', 0, 1, 0, 0, 0]]);
  const p2 = path.join(root, 'p2');
  mkdirSync(p2, { recursive: true });
  const names = bad(p2);
  writeLabels(p2, LABELS, names.map((n) => [n, 0, 0, 1, 0, 0]));
  return { root, p2 };
}

const isRoot = process.getuid?.() === 0;
const cases: { name: string; bad: (p2: string) => string[]; line: (p2: string) => string; skip?: boolean }[] = [
  { name: 'a zero-byte PNG', bad: (p) => (writeFileSync(path.join(p, 'z.png'), ''), ['z.png']), line: (p) => `${p}/z.png: cannot be decoded (file is empty (0 bytes))` },
  { name: 'a truncated PNG', bad: (p) => (writeFileSync(path.join(p, 't.png'), readFileSync(GOOD).subarray(0, 200)), ['t.png']), line: (p) => `${p}/t.png: cannot be decoded (the image is truncated or damaged` }, // libvips words it two ways; both say so
  { name: 'a text file named .png', bad: (p) => (writeFileSync(path.join(p, 'x.png'), 'not an image'), ['x.png']), line: (p) => `${p}/x.png: cannot be decoded (Input file contains unsupported image format)` },
  { name: 'an unsupported image (100000 x 100000)', bad: (p) => (writeFileSync(path.join(p, 'h.png'), hugePng()), ['h.png']), line: (p) => `${p}/h.png: cannot be decoded (Input image exceeds pixel limit)` },
  {
    name: 'an unreadable file (permissions)',
    skip: isRoot, // root reads anything: this case only means something for ordinary users
    bad: (p) => {
      copyFileSync(GOOD, path.join(p, 'u.png'));
      chmodSync(path.join(p, 'u.png'), 0o000);
      return ['u.png'];
    },
    line: (p) => `${p}/u.png: cannot be read: permission denied (EACCES)`,
  },
];

describe('broken images', () => {
  for (const c of cases) {
    it.skipIf(c.skip)(`${c.name}: fail names it; skip writes the rest and counts it`, async () => {
      const { root, p2 } = tree(c.bad);
      const out = path.join(root, 'out');
      await expect(buildShards({ input: root, out, size: 16 })).rejects.toThrow(c.line(p2));
      const s = await buildShards({ input: root, out, size: 16, onError: 'skip' });
      expect(s).toMatchObject({ inputs: 3, written: 2 });
      expect(s.skipped).toHaveLength(1);
      expect(`${s.skipped[0].file}: ${s.skipped[0].reason}`).toContain(c.line(p2));
      expect(readDataset(out).samples.map((x) => x.key)).toEqual(['p1/s1', 'p1/s2']);
    });
  }

  it('a file name that cannot be a sample key (backslash) is refused, naming it', async () => {
    const { root, p2 } = tree((p) => (copyFileSync(GOOD, path.join(p, 'a\\b.png')), ['a\\b.png']));
    await expect(buildShards({ input: root, out: path.join(root, 'out'), size: 16 })).rejects.toThrow(`${p2}/a\\b.png: cannot be a sample key: its path contains a backslash`);
    const s = await buildShards({ input: root, out: path.join(root, 'out'), size: 16, onError: 'skip' });
    expect(s).toMatchObject({ inputs: 3, written: 2 });
  });

  it('images of different sizes are resized, not errors', async () => {
    const { root } = tree((p) => (copyFileSync(path.join(import.meta.dirname, 'fixtures/real-mr/patient_F01/slice_001.png'), path.join(p, 'odd.png')), ['odd.png']));
    const s = await buildShards({ input: root, out: path.join(root, 'out'), size: 16 });
    expect(s).toMatchObject({ inputs: 3, written: 3, skipped: [] });
  });
});

describe('broken trees', () => {
  it('a symlink loop is named under fail and a warning under skip; nothing is walked twice', async () => {
    const { root, p2 } = tree((p) => (copyFileSync(GOOD, path.join(p, 'a.png')), ['a.png']));
    symlinkSync('..', path.join(p2, 'up'));
    await expect(buildShards({ input: root, out: path.join(root, 'out'), size: 16 })).rejects.toThrow(`${p2}/up: symlink loop: points back to`);
    const s = await buildShards({ input: root, out: path.join(root, 'out'), size: 16, onError: 'skip' });
    expect(s).toMatchObject({ inputs: 3, written: 3 });
    expect(s.warnings.join('\n')).toContain(`${p2}/up: symlink loop`);
  });

  it('a symlinked patient folder is followed', async () => {
    const { root } = tree((p) => (copyFileSync(GOOD, path.join(p, 'a.png')), ['a.png']));
    const elsewhere = tempDir();
    dirs.push(elsewhere);
    copyFileSync(GOOD, path.join(elsewhere, 'x.png'));
    writeLabels(elsewhere, LABELS, [['x.png', 1, 1, 1, 1, 1]]);
    symlinkSync(elsewhere, path.join(root, 'linked'));
    const s = await buildShards({ input: root, out: path.join(root, 'out'), size: 16 });
    expect(readDataset(s.out).samples.map((x) => x.key)).toContain('linked/x');
  });
});
