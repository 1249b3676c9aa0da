// Every shard proves it belongs to its manifest's build: another build's shard with the same keys,
// schema and size is refused at open, found by verify, and, with a forged header, fails every record read.
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32, decodeManifest, type Manifest } from 'shard-format';
import { CorruptRecordError, openDataset } from 'shard-reader';
import { verifyDataset } from 'shard-reader/verify';
import { buildShards } from 'shard-writer';
import { LABELS, tempDir, writeLabels, writePng } from './helpers/tree.js';

const root = tempDir('build-id-test-');
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A tree of 6 slices whose pixels depend on `variant`; same names, sizes and labels for every variant. */
function tree(variant: number): string {
  const dir = path.join(root, `input-${variant}`);
  for (const p of ['p1', 'p2']) {
    const rows = [];
    for (let s = 0; s < 3; s++) {
      writePng(path.join(dir, p, `s${s}.png`), { width: 64, height: 64, depth: 8, channels: 1, value: (x, y) => (x * 3 + y + variant * 17 + s) & 255 });
      rows.push([`s${s}.png`, 1, 0, 0, 0, s % 2]);
    }
    writeLabels(path.join(dir, p), LABELS, rows);
  }
  return dir;
}

const manifestOf = (dir: string): Manifest => decodeManifest(readFileSync(path.join(dir, 'manifest.json'), 'utf8'), 'manifest.json');
let a = '';
let b = '';

beforeAll(async () => {
  // 6 samples of 64x64 (stride 4160), 2 per shard: 3 shards in each build.
  a = (await buildShards({ input: tree(1), out: path.join(root, 'a'), size: 64, shardBytes: 4096 + 2 * 4160 })).out;
  b = (await buildShards({ input: tree(2), out: path.join(root, 'b'), size: 64, shardBytes: 4096 + 2 * 4160 })).out;
});

describe('build id', () => {
  it('differs between builds of different content and is stable for the same content', async () => {
    const again = (await buildShards({ input: tree(1), out: path.join(root, 'a-again'), size: 64, shardBytes: 4096 + 2 * 4160 })).out;
    expect(manifestOf(a).buildId).toMatch(/^[0-9a-f]{32}$/);
    expect(manifestOf(a).buildId).not.toBe(manifestOf(b).buildId);
    expect(manifestOf(again).buildId).toBe(manifestOf(a).buildId);
    for (const f of ['manifest.json', 'shard-00001.bin', 'shard-00001.index.json']) {
      expect(readFileSync(path.join(again, f)).equals(readFileSync(path.join(a, f))), f).toBe(true);
    }
  });

  it("refuses at open, and verify reports, a shard of another build with the same keys and size", async () => {
    const mixed = path.join(root, 'mixed');
    cpSync(a, mixed, { recursive: true });
    cpSync(path.join(b, 'shard-00001.bin'), path.join(mixed, 'shard-00001.bin'));
    expect(readFileSync(path.join(mixed, 'shard-00001.bin')).length).toBe(manifestOf(a).shards[1].bytes);
    await expect(openDataset(mixed, { workers: 0 })).rejects.toThrow(/shard-00001\.bin: header build id is [0-9a-f]{32}, the manifest says [0-9a-f]{32}: the shard belongs to another build/);
    const report = await verifyDataset(mixed);
    expect(report.problems.some((p) => p.shard === 'shard-00001.bin' && /build id/.test(p.message))).toBe(true);
  });

  it('fails every record of a shard whose header was forged to carry this build id', async () => {
    const forged = path.join(root, 'forged');
    cpSync(a, forged, { recursive: true });
    const shard = Buffer.from(readFileSync(path.join(b, 'shard-00001.bin')));
    Buffer.from(manifestOf(a).buildId, 'hex').copy(shard, 92);
    shard.writeUInt32LE(crc32(shard.subarray(0, 124)), 124);
    writeFileSync(path.join(forged, 'shard-00001.bin'), shard);
    const ds = await openDataset(forged, { workers: 0 }); // the header now agrees: only the records can tell
    try {
      for (const i of [2, 3]) expect(() => ds.image(i), `sample ${i}`).toThrow(CorruptRecordError);
      expect(() => ds.image(2)).toThrow(/shard-00001\.bin.*record 0.*another build/);
      expect(ds.image(0).length).toBe(64 * 64);
    } finally {
      await ds.close();
    }
    const report = await verifyDataset(forged);
    expect(report.problems.filter((p) => p.record !== undefined).map((p) => p.record)).toEqual([0, 1]);
  });

  it('resumes only from shards whose inputs are unchanged: same size and mtime is not enough', async () => {
    const input = path.join(root, 'input-resume');
    cpSync(tree(3), input, { recursive: true });
    const out = path.join(root, 'resume');
    const opts = { input, out, size: 64, shardBytes: 4096 + 2 * 4160, workers: 1 };
    // Interrupt after two of three shards are complete, leaving the journal of an unfinished build.
    await expect(buildShards({ ...opts, onProgress: (p) => { if (p.phase === 'write' && p.done === 5) throw new Error('interrupted'); } })).rejects.toThrow('interrupted');
    // Rewrite an input of the finished first shard: same size, same mtime (touch -r), other pixels.
    const victim = path.join(input, 'p1', 's0.png');
    const before = statSync(victim, { bigint: true });
    execFileSync('cp', ['-p', victim, path.join(root, 'mtime-ref')]); // keeps the nanosecond mtime for touch -r
    const replacement = readFileSync(path.join(tree(4), 'p1', 's0.png'));
    expect(BigInt(replacement.length)).toBe(before.size);
    writeFileSync(victim, replacement);
    execFileSync('touch', ['-r', path.join(root, 'mtime-ref'), victim]);
    expect(statSync(victim, { bigint: true }).mtimeNs).toBe(before.mtimeNs);
    await buildShards(opts);
    const clean = (await buildShards({ ...opts, out: path.join(root, 'resume-clean') })).out;
    for (const f of ['manifest.json', 'shard-00000.bin', 'shard-00000.index.json', 'shard-00001.bin', 'shard-00002.bin']) {
      expect(readFileSync(path.join(out, f)).equals(readFileSync(path.join(clean, f))), f).toBe(true);
    }
  });
});
