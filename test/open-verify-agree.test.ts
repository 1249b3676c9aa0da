// One integrity checker: for each kind of damage, openDataset (throws the first problem, or a read
// refuses the record) and verifyDataset (lists every problem) name the same file, record, key and wording.
import { appendFileSync, closeSync, cpSync, openSync, readFileSync, readSync, rmSync, truncateSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_OFFSET, HEADER_BYTES, FormatError, decodeManifest, encodeManifest, encodeShardIndex, sha256Hex, type Manifest } from 'shard-format';
import { openDataset } from 'shard-reader';
import { verifyDataset, type Problem } from 'shard-reader/verify';
import { buildShards } from 'shard-writer';
import { tempDir } from './helpers/tree.js';

const REAL_MR = path.join(import.meta.dirname, 'fixtures/real-mr');
const root = tempDir('open-verify-agree-');
afterAll(() => rmSync(root, { recursive: true, force: true }));

let pristine = '';
let manifest: Manifest;
beforeAll(async () => {
  // 3 shards of 24x24 uint8 records (stride 640), the last one short.
  pristine = (await buildShards({ input: REAL_MR, out: path.join(root, 'pristine'), size: 24, shardBytes: 20000 })).out;
  manifest = decodeManifest(readFileSync(path.join(pristine, 'manifest.json'), 'utf8'), 'manifest.json');
});

let copies = 0;
function copy(): string {
  const dir = path.join(root, `copy-${copies++}`);
  cpSync(pristine, dir, { recursive: true });
  return dir;
}

function xorByte(file: string, offset: number): void {
  const fd = openSync(file, 'r+');
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, offset);
  b[0] ^= 0x20;
  writeSync(fd, b, 0, 1, offset);
  closeSync(fd);
}

/** Rewrites shard `s`'s index through `edit` and re-hashes it in the manifest: damage only a content check finds. */
function forgeIndex(dir: string, s: number, edit: (index: { keys: string[]; labels: number[][] }) => void): void {
  const entry = manifest.shards[s];
  const index = JSON.parse(readFileSync(path.join(dir, entry.index.file), 'utf8'));
  edit(index);
  const text = encodeShardIndex(index);
  writeFileSync(path.join(dir, entry.index.file), text);
  const m = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  m.shards[s].index = { ...m.shards[s].index, bytes: Buffer.byteLength(text), sha256: sha256Hex(text) };
  writeFileSync(path.join(dir, 'manifest.json'), encodeManifest(m));
}

const shardFile = (dir: string, s: number) => path.join(dir, manifest.shards[s].file);
const indexFile = (dir: string, s: number) => path.join(dir, manifest.shards[s].index.file);
const record = (s: number, r: number) => DATA_OFFSET + r * manifest.schema.record.stride;

/** Damage found when the dataset is opened. */
const atOpen: [string, (dir: string) => void][] = [
  ['a deleted shard', (d) => unlinkSync(shardFile(d, 1))],
  ['a truncated shard', (d) => truncateSync(shardFile(d, 1), record(1, 10) + 7)],
  ['a shard cut inside its header page', (d) => truncateSync(shardFile(d, 2), 60)],
  ['bytes appended to a shard', (d) => appendFileSync(shardFile(d, 0), 'extra')],
  ['a flipped header byte', (d) => xorByte(shardFile(d, 1), 20)],
  ['a flipped header padding byte', (d) => xorByte(shardFile(d, 0), HEADER_BYTES + 100)],
  ['a shard of another position (header shard index)', (d) => {
    // Shards 0 and 1 are the same size: swapping them keeps every size right.
    const a = readFileSync(shardFile(d, 0));
    writeFileSync(shardFile(d, 0), readFileSync(shardFile(d, 1)));
    writeFileSync(shardFile(d, 1), a);
  }],
  ['a deleted index', (d) => unlinkSync(indexFile(d, 2))],
  ['a truncated index', (d) => truncateSync(indexFile(d, 1), 100)],
  ['a flipped index byte', (d) => xorByte(indexFile(d, 1), 40)],
  ['index keys out of order (re-hashed)', (d) => forgeIndex(d, 1, (i) => void ([i.keys[3], i.keys[4]] = [i.keys[4], i.keys[3]]))],
  ['a key in two shards (re-hashed)', (d) => forgeIndex(d, 1, (i) => void (i.keys[0] = JSON.parse(readFileSync(indexFile(d, 0), 'utf8')).keys.at(-1)))],
];

/** Damage inside records, found when the record is read (open reads no image bytes). */
const atRead: [string, (dir: string) => number, (dir: string) => void][] = [
  ['a flipped image byte', () => 24 + 5, (d) => xorByte(shardFile(d, 1), record(1, 5) + 33)],
  ['two records swapped (CRCs intact)', () => 2, (d) => {
    const fd = openSync(shardFile(d, 0), 'r+');
    const stride = manifest.schema.record.stride;
    const [a, b] = [Buffer.alloc(stride), Buffer.alloc(stride)];
    readSync(fd, a, 0, stride, record(0, 2));
    readSync(fd, b, 0, stride, record(0, 5));
    writeSync(fd, b, 0, stride, record(0, 2));
    writeSync(fd, a, 0, stride, record(0, 5));
    closeSync(fd);
  }],
];

/** What openDataset threw (or a read refused), as verify would locate it. */
function asProblem(dir: string, err: unknown): Problem & { path: string } {
  if (!(err instanceof FormatError)) throw err;
  return { path: err.file!, record: err.record, key: err.key, message: err.reason };
}

/** Every problem verify lists, located as open locates them (verify goes on where open stops at the first). */
async function verifyProblems(dir: string): Promise<(Problem & { path: string })[]> {
  const r = await verifyDataset(dir, { threads: false });
  expect(r.ok).toBe(false);
  return r.problems.map((p) => ({ path: path.join(dir, p.file ?? p.shard!), record: p.record, key: p.key, message: p.message }));
}

describe('openDataset and verify name the same problem', () => {
  for (const [name, damage] of atOpen) {
    it(name, async () => {
      const dir = copy();
      damage(dir);
      const opened = await openDataset(dir, { workers: 0 }).then(
        (ds) => (ds.close(), undefined),
        (err: unknown) => asProblem(dir, err),
      );
      expect(opened, 'openDataset refuses it').toBeDefined();
      expect(await verifyProblems(dir)).toContainEqual(opened);
    });
  }

  for (const [name, sample, damage] of atRead) {
    it(name, async () => {
      const dir = copy();
      damage(dir);
      const ds = await openDataset(dir, { workers: 0 });
      let refused: (Problem & { path: string }) | undefined;
      try {
        ds.image(sample(dir));
      } catch (err) {
        refused = asProblem(dir, err);
      } finally {
        await ds.close();
      }
      expect(refused, 'reading the record refuses it').toBeDefined();
      // A read names the shard by its path as the dataset opened it; verify by its name in the folder.
      expect(await verifyProblems(dir)).toContainEqual({ ...refused!, path: path.resolve(dir, refused!.path) });
    });
  }
});
