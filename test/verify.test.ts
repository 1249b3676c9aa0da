// `shard verify`: a clean set passes; every single flipped byte is caught and located; truncation,
// deletion, appended bytes, swapped records and stray files are reported naming the shard; CLI exit codes.
import { appendFileSync, closeSync, cpSync, openSync, readFileSync, readSync, rmSync, truncateSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DATA_OFFSET, HEADER_BYTES, canonicalJson, decodeManifest, encodeManifest, encodeShardIndex, manifestChecksum, sha256Hex, type Manifest } from 'shard-format';
// The library through its entry modules, as users import it: verify is the 'shard-reader/verify' subpath.
import { openDataset } from 'shard-reader';
import { MAX_RECORD_PROBLEMS_PER_SHARD, formatProblem, verifyDataset, type Problem, type VerifyReport } from 'shard-reader/verify';
import { buildShards } from 'shard-writer';
import { makeSyntheticSet } from '../scripts/make-synthetic.js';
import { tempDir } from './helpers/tree.js';

const REAL_MR = path.join(import.meta.dirname, 'fixtures/real-mr');
const root = tempDir('verify-test-');
afterAll(() => rmSync(root, { recursive: true, force: true }));

let pristine = '';
let manifest: Manifest;
/** Sample keys of each shard, from the index sidecars. */
let keys: string[][];

beforeAll(async () => {
  // 51 samples of 24x24 uint8 (stride 640), 24 per shard: 3 shards, the last one short.
  pristine = (await buildShards({ input: REAL_MR, out: path.join(root, 'pristine'), size: 24, shardBytes: 20000 })).out;
  manifest = decodeManifest(readFileSync(path.join(pristine, 'manifest.json'), 'utf8'), 'manifest.json');
  keys = manifest.shards.map((s) => (JSON.parse(readFileSync(path.join(pristine, s.index.file), 'utf8')) as { keys: string[] }).keys);
});

let copies = 0;
/** A fresh copy of the pristine set. */
function copy(): string {
  const dir = path.join(root, `copy-${copies++}`);
  cpSync(pristine, dir, { recursive: true });
  return dir;
}

function xorByte(file: string, offset: number, mask: number): void {
  const fd = openSync(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, offset);
    b[0] ^= mask;
    writeSync(fd, b, 0, 1, offset);
  } finally {
    closeSync(fd);
  }
}

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const describeReport = (r: VerifyReport) => [...r.problems.map((p) => `PROBLEM ${formatProblem(p)}`), ...r.warnings.map((w) => `warning: ${formatProblem(w)}`)].join('\n');
const about = (r: VerifyReport, shard: string) => r.problems.filter((p) => p.shard === shard);

describe('verifyDataset', () => {
  it('passes an untouched set: no problems, no warnings, every byte read', async () => {
    expect(manifest.shards.length).toBe(3);
    const r = await verifyDataset(pristine, { concurrency: 2 });
    expect(describeReport(r)).toBe('');
    expect(r).toMatchObject({ ok: true, problems: [], warnings: [], shards: 3, samples: 51 });
    const files = manifest.shards.reduce((n, s) => n + s.bytes + s.index.bytes, 0) + readFileSync(path.join(pristine, 'manifest.json')).length;
    expect(r.bytes).toBe(files);
    expect(r.mbPerSec).toBeGreaterThan(0);
  });

  it('reports progress up to the total', async () => {
    const seen: [number, number][] = [];
    await verifyDataset(pristine, { onProgress: (d, t) => seen.push([d, t]) });
    const [done, total] = seen.at(-1)!;
    expect(done).toBe(total);
    expect(seen.every(([d, t], i) => d <= t && (i === 0 || d >= seen[i - 1][0]))).toBe(true);
  });

  describe('single-byte fault injection', () => {
    type Kind = 'shard' | 'index' | 'manifest';
    type Target = { file: string; kind: Kind; shard?: number; size: number };
    type Region = 'header' | 'headerPadding' | 'recordCrcCovered' | 'recordPadding' | 'index' | 'manifest';
    let dir = '';
    let manifestText = '';
    let targets: Target[] = [];

    beforeAll(() => {
      dir = copy();
      manifestText = readFileSync(path.join(dir, 'manifest.json'), 'utf8');
      targets = [
        ...manifest.shards.map((s, i): Target => ({ file: s.file, kind: 'shard', shard: i, size: s.bytes })),
        ...manifest.shards.map((s, i): Target => ({ file: s.index.file, kind: 'index', shard: i, size: s.index.bytes })),
        { file: 'manifest.json', kind: 'manifest', size: Buffer.byteLength(manifestText) },
      ];
    });

    /** Flips `offset` of `t` by `mask`, verifies, restores. Detected: ok is false. Located: see below. */
    async function trial(t: Target, offset: number, mask: number): Promise<{ region: Region; detected: boolean; located: boolean; report: string }> {
      const file = path.join(dir, t.file);
      xorByte(file, offset, mask);
      let r: VerifyReport;
      try {
        r = await verifyDataset(dir, { concurrency: 2 });
      } finally {
        xorByte(file, offset, mask);
      }
      const report = `${t.file} byte ${offset} ^ 0x${mask.toString(16)}\n${describeReport(r)}`;
      // The damaged manifest entry may name any file: detection is what counts there.
      if (t.kind === 'manifest') return { region: 'manifest', detected: !r.ok, located: !r.ok, report };
      const shard = manifest.shards[t.shard!].file;
      const layout = manifest.schema.record;
      let region: Region;
      let expected: (p: Problem) => boolean;
      if (t.kind === 'index') {
        region = 'index';
        expected = (p) => p.shard === shard && p.file === t.file;
      } else if (offset < HEADER_BYTES) {
        region = 'header';
        expected = (p) => p.shard === shard && p.record === undefined && /header|not a shard file/.test(p.message);
      } else if (offset < DATA_OFFSET) {
        region = 'headerPadding';
        expected = (p) => p.shard === shard && p.record === undefined && p.message.startsWith('header padding is not zero');
      } else {
        const record = Math.floor((offset - DATA_OFFSET) / layout.stride);
        const key = keys[t.shard!][record];
        if ((offset - DATA_OFFSET) % layout.stride < layout.crcOffset + 4) {
          region = 'recordCrcCovered';
          expected = (p) => p.shard === shard && p.record === record && p.key === key && /checksum mismatch/.test(p.message);
        } else {
          region = 'recordPadding';
          expected = (p) => p.shard === shard && p.record === record && p.key === key && /padding is not zero/.test(p.message);
        }
      }
      // Located, and no noise: only problems about this shard, the finding plus at most two more lines (hash, index decode).
      const located = r.problems.some(expected) && r.problems.every((p) => p.shard === shard) && r.problems.length <= 3;
      return { region, detected: !r.ok, located, report };
    }

    afterAll(async () => {
      expect(readFileSync(path.join(dir, 'manifest.json'), 'utf8')).toBe(manifestText);
      expect((await verifyDataset(dir)).ok).toBe(true); // every flip was restored
    });

    it('random bytes anywhere in shards, index sidecars and manifest: all detected, all located (seeded)', async () => {
      const random = rng(20240917);
      const TRIALS = 1000;
      const stats = { trials: 0, detected: 0, localised: 0, byRegion: {} as Record<string, number> };
      const failures: string[] = [];
      while (stats.trials < TRIALS) {
        const t = targets[Math.floor(random() * targets.length)];
        const offset = Math.floor(random() * t.size);
        const res = await trial(t, offset, 1 + Math.floor(random() * 255));
        stats.trials++;
        stats.byRegion[res.region] = (stats.byRegion[res.region] ?? 0) + 1;
        if (res.detected) stats.detected++;
        if (res.located) stats.localised++;
        else failures.push(res.report);
      }
      console.log(`fault injection (random): ${JSON.stringify(stats)}`);
      expect(failures).toEqual([]);
      expect(stats.detected).toBe(TRIALS);
      expect(stats.localised).toBe(TRIALS);
      for (const region of ['header', 'headerPadding', 'recordCrcCovered', 'recordPadding', 'index', 'manifest']) expect(stats.byRegion[region]).toBeGreaterThan(0);
    });

    it('every byte of a header, of a whole record and of the manifest: all detected, all located', async () => {
      const random = rng(7);
      const last = manifest.shards.length - 1;
      const shardT = targets[last];
      const stride = manifest.schema.record.stride;
      const lastRecord = DATA_OFFSET + (manifest.shards[last].samples - 1) * stride;
      const sweep: [Target, number][] = [
        ...Array.from({ length: HEADER_BYTES + 8 }, (_, i): [Target, number] => [shardT, i]),
        ...Array.from({ length: 8 }, (_, i): [Target, number] => [shardT, DATA_OFFSET - 1 - i]),
        ...Array.from({ length: stride }, (_, i): [Target, number] => [shardT, lastRecord + i]),
        ...Array.from({ length: targets.at(-1)!.size }, (_, i): [Target, number] => [targets.at(-1)!, i]),
      ];
      const stats = { trials: 0, detected: 0, localised: 0 };
      const failures: string[] = [];
      for (const [t, offset] of sweep) {
        const res = await trial(t, offset, 1 + Math.floor(random() * 255));
        stats.trials++;
        if (res.detected) stats.detected++;
        if (res.located) stats.localised++;
        else failures.push(res.report);
      }
      console.log(`fault injection (sweep): ${JSON.stringify(stats)}`);
      expect(failures).toEqual([]);
      expect(stats.detected).toBe(stats.trials); // every manifest byte too: the manifest checksum covers all of them
      expect(stats.localised).toBe(stats.trials);
    });
  });

  it('names the damaged record and key, as the CLI prints it', async () => {
    const dir = copy();
    const layout = manifest.schema.record;
    xorByte(path.join(dir, 'shard-00001.bin'), DATA_OFFSET + 17 * layout.stride + 100, 0x40);
    const r = await verifyDataset(dir);
    expect(r.ok).toBe(false);
    expect(formatProblem(r.problems[0])).toBe(`shard-00001.bin record 17 (key ${keys[1][17]}): checksum mismatch (damaged bytes)`);
    expect(r.problems[0]).toEqual({ shard: 'shard-00001.bin', record: 17, key: keys[1][17], message: 'checksum mismatch (damaged bytes)' });
    expect(r.problems[1]).toMatchObject({ shard: 'shard-00001.bin', message: expect.stringContaining('SHA-256 does not match') });
    expect(r.problems).toHaveLength(2);
  });

  it('reports a truncated shard, still checking the records that exist, without reading past the end', async () => {
    const dir = copy();
    const stride = manifest.schema.record.stride;
    truncateSync(path.join(dir, 'shard-00001.bin'), DATA_OFFSET + 10 * stride + 100);
    xorByte(path.join(dir, 'shard-00001.bin'), DATA_OFFSET + 3 * stride + 7, 1);
    const r = await verifyDataset(dir);
    expect(r.ok).toBe(false);
    const probs = about(r, 'shard-00001.bin');
    expect(probs[0].message).toMatch(/is 10596 bytes, the manifest says 19456 \(truncated: records 10\.\.23 of 24 missing/);
    expect(probs.some((p) => p.record === 3 && p.key === keys[1][3])).toBe(true);
    expect(r.problems.every((p) => p.shard === 'shard-00001.bin')).toBe(true);
    // Truncated inside the header page: a size problem, a header problem, nothing thrown.
    truncateSync(path.join(dir, 'shard-00001.bin'), 60);
    const r2 = await verifyDataset(dir);
    expect(about(r2, 'shard-00001.bin').map((p) => p.message)).toEqual([expect.stringMatching(/is 60 bytes.*truncated inside the header page/), expect.stringMatching(/header truncated/)]);
    truncateSync(path.join(dir, 'shard-00001.bin'), 0);
    expect(about(await verifyDataset(dir), 'shard-00001.bin').length).toBe(2);
  });

  it('reports a deleted shard, appended bytes and a deleted index, each naming the shard', async () => {
    const dir = copy();
    unlinkSync(path.join(dir, 'shard-00002.bin'));
    appendFileSync(path.join(dir, 'shard-00000.bin'), Buffer.from('garbage after the last record'));
    unlinkSync(path.join(dir, 'shard-00001.index.json'));
    const r = await verifyDataset(dir);
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([
      { shard: 'shard-00000.bin', message: 'is 19485 bytes, the manifest says 19456 (29 bytes appended after the last record)' },
      { shard: 'shard-00001.bin', file: 'shard-00001.index.json', message: 'index named in the manifest is missing' },
      { shard: 'shard-00002.bin', message: 'shard named in the manifest is missing' },
    ]);
  });

  it('catches records swapped inside a shard (each CRC intact) by their key CRCs', async () => {
    const dir = copy();
    const stride = manifest.schema.record.stride;
    const file = path.join(dir, 'shard-00000.bin');
    const bytes = readFileSync(file);
    const a = Buffer.from(bytes.subarray(DATA_OFFSET + 2 * stride, DATA_OFFSET + 3 * stride));
    bytes.copy(bytes, DATA_OFFSET + 2 * stride, DATA_OFFSET + 5 * stride, DATA_OFFSET + 6 * stride);
    a.copy(bytes, DATA_OFFSET + 5 * stride);
    writeFileSync(file, bytes);
    const r = await verifyDataset(dir);
    expect(r.problems.filter((p) => p.record !== undefined)).toEqual([
      { shard: 'shard-00000.bin', record: 2, key: keys[0][2], message: 'record belongs to another key or another build (shard and index disagree)' },
      { shard: 'shard-00000.bin', record: 5, key: keys[0][5], message: 'record belongs to another key or another build (shard and index disagree)' },
    ]);
  });

  it('reports a duplicated sample (record, index and manifest consistently forged) and open refuses it', async () => {
    const dir = copy();
    const stride = manifest.schema.record.stride;
    const shardFile = path.join(dir, 'shard-00000.bin');
    const bytes = readFileSync(shardFile);
    bytes.copy(bytes, DATA_OFFSET + 4 * stride, DATA_OFFSET + 3 * stride, DATA_OFFSET + 4 * stride); // record 4 := record 3
    writeFileSync(shardFile, bytes);
    const entry = manifest.shards[0];
    const index = JSON.parse(readFileSync(path.join(dir, entry.index.file), 'utf8'));
    index.keys[4] = index.keys[3];
    index.labels[4] = index.labels[3];
    const text = encodeShardIndex(index);
    writeFileSync(path.join(dir, entry.index.file), text);
    const m = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    m.shards[0] = { ...m.shards[0], sha256: sha256Hex(bytes), index: { ...m.shards[0].index, bytes: Buffer.byteLength(text), sha256: sha256Hex(text) } };
    writeFileSync(path.join(dir, 'manifest.json'), encodeManifest(m));
    const r = await verifyDataset(dir);
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => p.message).join('\n')).toContain(`keys[4] ${JSON.stringify(keys[0][3])} appears twice`);
    await expect(openDataset(dir, { workers: 0 })).rejects.toThrow(/keys\[4\] .* appears twice: keys are unique and sorted/);
  });

  it('reports a key that appears in two shards', async () => {
    const dir = copy();
    const entry = manifest.shards[1];
    const index = JSON.parse(readFileSync(path.join(dir, entry.index.file), 'utf8'));
    index.keys[0] = keys[0][keys[0].length - 1];
    const text = encodeShardIndex(index);
    writeFileSync(path.join(dir, entry.index.file), text);
    const m = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    m.shards[1].index = { ...m.shards[1].index, bytes: Buffer.byteLength(text), sha256: sha256Hex(text) };
    writeFileSync(path.join(dir, 'manifest.json'), encodeManifest(m));
    const r = await verifyDataset(dir);
    const message = 'key appears in both shard-00000.bin and shard-00001.bin (keys are unique and sorted across shards)';
    expect(r.problems).toContainEqual({ shard: 'shard-00001.bin', file: 'shard-00001.index.json', record: 0, key: keys[0][keys[0].length - 1], message });
    await expect(openDataset(dir, { workers: 0 })).rejects.toThrow(`${path.join(dir, 'shard-00001.index.json')}, record 0, key ${keys[0][keys[0].length - 1]}: ${message}`);
  });

  it('catches index labels that disagree with the record (index re-hashed in the manifest)', async () => {
    const dir = copy();
    const entry = manifest.shards[1];
    const index = JSON.parse(readFileSync(path.join(dir, entry.index.file), 'utf8'));
    index.labels[4][0] = index.labels[4][0] === 0 ? 1 : 0;
    const text = encodeShardIndex(index);
    writeFileSync(path.join(dir, entry.index.file), text);
    const m = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    m.shards[1].index = { ...m.shards[1].index, bytes: Buffer.byteLength(text), sha256: sha256Hex(text) };
    writeFileSync(path.join(dir, 'manifest.json'), encodeManifest(m)); // a consistent forgery: only the record scan can tell
    const r = await verifyDataset(dir);
    expect(r.problems).toEqual([{ shard: entry.file, record: 4, key: keys[1][4], message: expect.stringMatching(/^labels differ from the index \(record vs index: \w+ [01] vs [01]\)$/) }]);
  });

  it('stops at a manifest that does not validate: one problem', async () => {
    const dir = copy();
    const text = readFileSync(path.join(dir, 'manifest.json'), 'utf8');
    const forged = JSON.parse(text.replace('"samples": 51', '"samples": 52'));
    forged.checksum = manifestChecksum(forged); // get past the checksum to the structural check
    writeFileSync(path.join(dir, 'manifest.json'), canonicalJson(forged, 1) + '\n');
    unlinkSync(path.join(dir, 'shard-00000.bin'));
    const r = await verifyDataset(dir);
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([{ file: 'manifest.json', message: expect.stringContaining('samples') }]);
    writeFileSync(path.join(dir, 'manifest.json'), '{ not json');
    expect((await verifyDataset(dir)).problems).toEqual([{ file: 'manifest.json', message: expect.stringMatching(/not valid JSON/) }]);
  });

  it('caps record problems per shard with one summary line', async () => {
    const src = path.join(root, 'synth-src');
    await makeSyntheticSet({ out: src, patients: 3, slices: 45, size: 8, seed: 3 });
    const dir = (await buildShards({ input: src, out: path.join(root, 'synth'), size: 8, workers: 2 })).out;
    const m = decodeManifest(readFileSync(path.join(dir, 'manifest.json'), 'utf8'), 'manifest.json');
    expect(m.shards).toHaveLength(1);
    const file = path.join(dir, m.shards[0].file);
    const bytes = readFileSync(file);
    for (let i = DATA_OFFSET; i < bytes.length; i++) bytes[i] ^= 0x5a;
    writeFileSync(file, bytes);
    const r = await verifyDataset(dir);
    const recordProblems = r.problems.filter((p) => p.record !== undefined);
    expect(recordProblems).toHaveLength(MAX_RECORD_PROBLEMS_PER_SHARD);
    expect(r.problems.map((p) => p.message)).toContain(`35 more damaged records not listed (135 in all)`);
    expect(r.problems.length).toBe(MAX_RECORD_PROBLEMS_PER_SHARD + 2);
  });

  it('lists stray files as warnings; the set stays ok', async () => {
    const dir = copy();
    writeFileSync(path.join(dir, 'shard-00003.bin.partial'), 'half a shard');
    writeFileSync(path.join(dir, '.build.lock'), '{"pid":1,"host":"x"}\n');
    writeFileSync(path.join(dir, 'shard-00007.bin'), 'left over');
    const r = await verifyDataset(dir);
    expect(r.ok).toBe(true);
    expect(r.problems).toEqual([]);
    expect(r.warnings.map((w) => w.file)).toEqual(['.build.lock', 'shard-00003.bin.partial', 'shard-00007.bin']);
    expect(r.warnings[1].message).toMatch(/temporary file/);
  });

  it('--quick checks manifest, sizes and headers only', async () => {
    const dir = copy();
    const stride = manifest.schema.record.stride;
    xorByte(path.join(dir, 'shard-00000.bin'), DATA_OFFSET + 5 * stride + 3, 0x10);
    const flipped = await verifyDataset(dir, { quick: true });
    expect(flipped.ok).toBe(true); // record bytes are not read in quick mode
    expect(flipped.bytes).toBeLessThan(5 * DATA_OFFSET);
    xorByte(path.join(dir, 'shard-00002.bin'), 50, 0x01); // header
    expect(about(await verifyDataset(dir, { quick: true }), 'shard-00002.bin')).toEqual([{ shard: 'shard-00002.bin', message: 'shard header checksum mismatch' }]);
    xorByte(path.join(dir, 'shard-00002.bin'), 50, 0x01);
    truncateSync(path.join(dir, 'shard-00001.bin'), 10000);
    const truncated = await verifyDataset(dir, { quick: true });
    expect(truncated.ok).toBe(false);
    expect(truncated.problems).toEqual([{ shard: 'shard-00001.bin', message: expect.stringContaining('truncated') }]);
  });

  it('gives the same report from worker threads as in process', async () => {
    const dir = copy();
    const stride = manifest.schema.record.stride;
    xorByte(path.join(dir, 'shard-00000.bin'), DATA_OFFSET + 20 * stride + 1, 0x02);
    xorByte(path.join(dir, 'shard-00001.bin'), 300, 0x02);
    truncateSync(path.join(dir, 'shard-00002.bin'), DATA_OFFSET + stride + 5);
    unlinkSync(path.join(dir, 'shard-00001.index.json'));
    const inProcess = await verifyDataset(dir, { threads: false, concurrency: 2 });
    const threaded = await verifyDataset(dir, { threads: true, concurrency: 2 });
    expect(inProcess.problems.length).toBe(6); // record + hash, header padding + hash, missing index, truncation
    expect(threaded.problems).toEqual(inProcess.problems);
    expect(threaded.bytes).toBe(inProcess.bytes);
    expect(await verifyDataset(pristine, { threads: true, concurrency: 3 })).toMatchObject({ ok: true, problems: [], samples: 51 });
  });

  it('throws for a folder that is not a dataset', async () => {
    await expect(verifyDataset(path.join(root, 'nope'))).rejects.toThrow(/no such dataset folder/);
    await expect(verifyDataset(REAL_MR)).rejects.toThrow(/no manifest\.json/);
  });
});

describe('shard verify (command)', () => {
  let out = '';
  let err = '';
  beforeAll(async () => {
    const reader: Record<string, unknown> = await import('shard-reader/verify');
    if (typeof reader.verifyDataset !== 'function') throw new Error("shard-reader/verify does not export verifyDataset/formatProblem");
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  });
  afterEach(() => {
    out = '';
    err = '';
    process.exitCode = undefined;
  });
  afterAll(() => vi.restoreAllMocks());

  async function run(args: string[]): Promise<number> {
    const { verifyCommand } = await import('../packages/shard-cli/src/commands/verify.js');
    const { exitCodeOf } = await import('../packages/shard-cli/src/cli-error.js');
    process.exitCode = undefined;
    try {
      await verifyCommand().exitOverride().parseAsync(args, { from: 'user' });
      return typeof process.exitCode === 'number' ? process.exitCode : 0;
    } catch (e) {
      const c = e as { code?: unknown; exitCode?: number };
      if (typeof c.code === 'string' && c.code.startsWith('commander.')) return c.exitCode === 0 ? 0 : 2; // a CommanderError: main.ts exits 2
      return exitCodeOf(e);
    }
  }

  it('exit 0 on an intact set, with a summary line', async () => {
    expect(await run([pristine, '-q'])).toBe(0);
    expect(out).toMatch(/^verify .*: intact; 3 shards, 51 samples; read [\d.]+ KiB in [\d.]+s \(\d+ MB\/s\)\n$/);
  });

  it('exit 1 on damage: one PROBLEM line each; --json lists shard, record and key', async () => {
    const dir = copy();
    const stride = manifest.schema.record.stride;
    xorByte(path.join(dir, 'shard-00002.bin'), DATA_OFFSET + 1 * stride + 9, 0x80);
    writeFileSync(path.join(dir, 'manifest.json.partial'), '');
    expect(await run([dir, '-q'])).toBe(1);
    const lines = out.trim().split('\n');
    expect(lines[0]).toBe(`PROBLEM shard-00002.bin record 1 (key ${keys[2][1]}): checksum mismatch (damaged bytes)`);
    expect(lines[1]).toMatch(/^PROBLEM shard-00002.bin: SHA-256 does not match/);
    expect(lines[2]).toMatch(/^warning: manifest.json.partial: /);
    expect(lines[3]).toMatch(/DAMAGED: 2 problems, 1 warning/);
    out = '';
    expect(await run([dir, '--json', '--concurrency', '1'])).toBe(1);
    const j = JSON.parse(out);
    expect(j).toMatchObject({ ok: false, shards: 3, samples: 51 });
    expect(j.problems[0]).toEqual({ shard: 'shard-00002.bin', record: 1, key: keys[2][1], message: 'checksum mismatch (damaged bytes)' });
    expect(Object.keys(j)).toEqual(expect.arrayContaining(['ok', 'problems', 'warnings', 'shards', 'samples', 'bytes', 'seconds', 'mbPerSec']));
    expect(j.warnings).toHaveLength(1);
  });

  it('exit 1 with --quick on a truncated shard', async () => {
    const dir = copy();
    truncateSync(path.join(dir, 'shard-00000.bin'), 5000);
    expect(await run([dir, '--quick', '-q'])).toBe(1);
    expect(out).toMatch(/^PROBLEM shard-00000.bin: is 5000 bytes/);
  });

  it('exit 2 when it cannot run: no folder, no manifest.json, bad --concurrency', async () => {
    expect(await run([path.join(root, 'does-not-exist')])).toBe(2);
    expect(await run([REAL_MR])).toBe(2);
    expect(await run([pristine, '--concurrency', '0'])).toBe(2);
  });
});

