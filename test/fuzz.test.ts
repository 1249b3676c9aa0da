// Hostile manifests and headers: thousands of random mutations, each ends in a clean FormatError or a correct read.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError, manifestChecksum } from 'shard-format';
import { buildShards } from 'shard-writer';
import { openDataset } from 'shard-reader';
import { tempDir } from './helpers/tree.js';

let dir = '';
let pristineManifest = '';
let pristineShard: Buffer;
let pristineIndex = '';
const work: string[] = [];

beforeAll(async () => {
  const root = tempDir();
  work.push(root);
  const built = await buildShards({ input: path.join(import.meta.dirname, 'fixtures/real-mr'), out: path.join(root, 'ds'), size: 8, shardBytes: 8192 });
  dir = built.out;
  pristineManifest = readFileSync(path.join(dir, 'manifest.json'), 'utf8');
  pristineShard = readFileSync(path.join(dir, 'shard-00001.bin'));
  pristineIndex = readFileSync(path.join(dir, 'shard-00001.index.json'), 'utf8');
});
afterAll(() => work.forEach((d) => rmSync(d, { recursive: true, force: true })));

let seed = 0x2545f491;
const rand = () => ((seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0) / 2 ** 32);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];

const NASTY: unknown[] = [
  '../../etc/passwd', '/etc/passwd', '..', '.', '', 'shard-00000.bin', 'x'.repeat(5000), 'C:\\\\x', 'a/b',
  -1, 0, 1, 2 ** 31, 2 ** 53, 1e308, -1e308, 0.5, 4096, 3, 'NaN', null, true, [], {}, [1, 2, 3], { file: '..' },
];

/** Paths to every leaf and container of a JSON value. */
function paths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]));
  return out;
}

function mutateJson(text: string): string {
  const doc = JSON.parse(text);
  const all = paths(doc).filter((p) => p.length > 0);
  for (let m = 0, n = 1 + Math.floor(rand() * 3); m < n; m++) {
    const p = pick(all);
    let parent = doc;
    for (const k of p.slice(0, -1)) parent = parent?.[k];
    if (parent === null || typeof parent !== 'object') continue;
    const last = p[p.length - 1];
    if (rand() < 0.15) delete parent[last];
    else parent[last] = structuredClone(pick(NASTY));
  }
  return JSON.stringify(doc);
}

/** Opens and reads everything: must succeed with intact data or fail with a FormatError naming a file in the folder. */
async function openAndReadAll(): Promise<'ok' | 'rejected'> {
  try {
    const ds = await openDataset(dir, { workers: 0 });
    try {
      for (let i = 0; i < ds.size; i++) ds.image(i);
    } finally {
      await ds.close();
    }
    return 'ok';
  } catch (err) {
    if (!(err instanceof FormatError)) throw new Error(`not a clean FormatError: ${(err as Error)?.stack}`);
    expect(err.message).toMatch(new RegExp(`^${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    expect(err.message.split('\n').length).toBe(1);
    return 'rejected';
  }
}

describe('hostile input', () => {
  it('2000 mutated manifests: clean errors only, never outside the folder', async () => {
    const outcomes = { ok: 0, rejected: 0 };
    for (let t = 0; t < 2000; t++) {
      writeFileSync(path.join(dir, 'manifest.json'), mutateJson(pristineManifest));
      outcomes[await openAndReadAll()]++;
    }
    writeFileSync(path.join(dir, 'manifest.json'), pristineManifest);
    expect(outcomes.rejected).toBeGreaterThan(1800);
  }, 120_000);

  it('1000 mutated shard headers and 500 mutated index files: clean errors only', async () => {
    const outcomes = { ok: 0, rejected: 0 };
    for (let t = 0; t < 1000; t++) {
      const bytes = Buffer.from(pristineShard);
      for (let m = 0, n = 1 + Math.floor(rand() * 4); m < n; m++) {
        const at = Math.floor(rand() * 128);
        bytes[at] = rand() < 0.5 ? bytes[at] ^ (1 << Math.floor(rand() * 8)) : Math.floor(rand() * 256);
      }
      if (rand() < 0.2) bytes.writeUInt32LE(Math.floor(rand() * 2 ** 32), pick([48, 52, 56, 60, 72, 76, 84, 88]));
      writeFileSync(path.join(dir, 'shard-00001.bin'), bytes);
      outcomes[await openAndReadAll()]++;
    }
    writeFileSync(path.join(dir, 'shard-00001.bin'), pristineShard);
    for (let t = 0; t < 500; t++) {
      writeFileSync(path.join(dir, 'shard-00001.index.json'), mutateJson(pristineIndex));
      outcomes[await openAndReadAll()]++;
    }
    writeFileSync(path.join(dir, 'shard-00001.index.json'), pristineIndex);
    expect(outcomes.ok).toBeLessThan(20); // only mutations that change nothing may pass
    expect(await openAndReadAll()).toBe('ok');
  }, 120_000);

  it('refuses a manifest naming files outside its folder before touching them', async () => {
    const m = JSON.parse(pristineManifest);
    m.shards[0].file = '../outside.bin';
    m.checksum = manifestChecksum(m); // a deliberate forgery, not damage
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
    await expect(openDataset(dir)).rejects.toThrow(/shards\[0\]\.file must be a plain file name inside the dataset folder/);
    writeFileSync(path.join(dir, 'manifest.json'), pristineManifest);
  });
});

