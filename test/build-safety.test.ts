// `shard build --out` and users' files: which folders it builds into, what it may replace, and rebuilds that fail or are killed.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import zlib from 'node:zlib';
import { encode } from 'fast-png';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildShards, type BuildOptions } from 'shard-writer';
import { folderBytes, readDataset } from './helpers/read-shards.js';
import { tempDir } from './helpers/tree.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'packages/shard-cli/bin/shard.js');
const REAL_MR = path.join(import.meta.dirname, 'fixtures/real-mr');
const dirs: string[] = [];
const tmp = () => {
  const d = tempDir();
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const opts = (input: string, out: string, o: Partial<BuildOptions> = {}): BuildOptions => ({ input, out, size: 32, shardBytes: 4096 + 8 * 1088, workers: 2, ...o });

/** Every file below `dir` (dot files included) with its bytes. */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p, `${rel}${name}/`);
      else files.set(`${rel}${name}`, createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(dir, '');
  return files;
}

describe('--out: what the build refuses to build into', () => {
  const cases: [string, (out: string) => void, string][] = [
    ['a folder of the user\'s files', (o) => writeFileSync(path.join(o, 'notes.txt'), 'mine'), 'holds files that are not a shard dataset (no manifest.json, e.g. "notes.txt"); choose a new or empty folder'],
    [
      'a folder with a manifest.json that is not ours, and shard-looking files',
      (o) => {
        writeFileSync(path.join(o, 'manifest.json'), '{"format":"someone-else"}');
        writeFileSync(path.join(o, 'shard-00000.bin'), 'theirs');
        writeFileSync(path.join(o, 'shard-00001.bin.partial'), 'theirs');
      },
      'holds files that are not a shard dataset (manifest.json is not ours: its format is not "ct-shards"); choose a new or empty folder',
    ],
    ['a folder with the user\'s own .build/', (o) => (mkdirSync(path.join(o, '.build')), writeFileSync(path.join(o, '.build/cache.bin'), 'mine')), 'holds a .build folder that is not a shard build journal (no plan.json); choose a new or empty folder'],
    ['a file', () => {}, 'exists and is not a folder'],
  ];
  for (const [name, setup, message] of cases) {
    it(`refuses ${name}, naming the folder, and touches nothing`, async () => {
      const root = tmp();
      let out = path.join(root, 'out');
      if (name === 'a file') {
        out = path.join(root, 'out.txt');
        writeFileSync(out, 'mine');
      } else {
        mkdirSync(out);
        setup(out);
      }
      const before = name === 'a file' ? readFileSync(out, 'utf8') : snapshot(out);
      await expect(buildShards(opts(REAL_MR, out))).rejects.toThrow(`${out}: ${message}`);
      expect(name === 'a file' ? readFileSync(out, 'utf8') : snapshot(out)).toEqual(before);
    });
  }

  it('refuses our dataset when it also holds a shard file its manifest does not name', async () => {
    const out = path.join(tmp(), 'out');
    await buildShards(opts(REAL_MR, out));
    writeFileSync(path.join(out, 'shard-00099.bin'), 'not named by the manifest');
    const before = snapshot(out);
    await expect(buildShards(opts(REAL_MR, out))).rejects.toThrow(`${out}: holds shard-00099.bin, which neither its manifest.json nor a build journal names: the build would replace it; move it away first`);
    expect(snapshot(out)).toEqual(before);
  });

  it('resumes an interrupted build of the earlier layout (shards journalled straight into --out), replacing only what its journal names', async () => {
    const root = tmp();
    const out = path.join(root, 'out');
    mkdirSync(path.join(out, '.build'), { recursive: true });
    writeFileSync(path.join(out, '.build/plan.json'), JSON.stringify({ plan: 'ab'.repeat(32) }) + '\n');
    writeFileSync(path.join(out, '.build/shard-0.json'), JSON.stringify({ plan: 'ab'.repeat(32), entry: { file: 'shard-00000.bin', index: { file: 'shard-00000.index.json' } } }) + '\n');
    writeFileSync(path.join(out, 'shard-00000.bin'), 'left by the killed build');
    writeFileSync(path.join(out, 'shard-00000.index.json'), '{}');
    await buildShards(opts(REAL_MR, out));
    await buildShards(opts(REAL_MR, path.join(root, 'clean')));
    expect(snapshot(out)).toEqual(snapshot(path.join(root, 'clean')));
  });

  it('says a dataset folder given as the input is a dataset folder', async () => {
    const ds = path.join(tmp(), 'ds');
    await buildShards(opts(REAL_MR, ds));
    await expect(buildShards(opts(ds, path.join(tmp(), 'out')))).rejects.toThrow(`${ds}: is a shard dataset folder (it holds our manifest.json), not a slice tree`);
  });
});

describe('--out: rebuilding a dataset of ours', () => {
  it('replaces only the files the old manifest named; the user\'s other files stay', async () => {
    const out = path.join(tmp(), 'out');
    await buildShards(opts(REAL_MR, out)); // 8 records per shard: 7 shards
    writeFileSync(path.join(out, 'README.txt'), 'my notes about this dataset');
    mkdirSync(path.join(out, 'plots'));
    writeFileSync(path.join(out, 'plots/loss.csv'), '1,2');
    await buildShards(opts(REAL_MR, out, { shardBytes: 4096 + 20 * 1088 })); // 3 shards
    const clean = snapshot((await buildShards(opts(REAL_MR, path.join(tmp(), 'clean'), { shardBytes: 4096 + 20 * 1088 }))).out);
    const got = snapshot(out);
    expect(readFileSync(path.join(out, 'README.txt'), 'utf8')).toBe('my notes about this dataset');
    expect(readFileSync(path.join(out, 'plots/loss.csv'), 'utf8')).toBe('1,2');
    got.delete('README.txt');
    got.delete('plots/loss.csv');
    expect(got).toEqual(clean); // the 4 shards the new manifest does not name are gone, nothing else
  });

  it('a rebuild that fails on bad input leaves the previous dataset intact; the fixed rebuild then matches a clean build', async () => {
    const root = tmp();
    const input = path.join(root, 'in');
    cpSync(REAL_MR, input, { recursive: true });
    const out = path.join(root, 'out');
    await buildShards(opts(input, out));
    const good = snapshot(out);
    // Damage an image late in key order, so the failed rebuild has staged several shards first.
    const victim = path.join(input, 'patient_R01/slice_009.png');
    const png = readFileSync(victim);
    writeFileSync(victim, 'not a png');
    await expect(buildShards(opts(input, out, { shardBytes: 4096 + 4 * 1088 }))).rejects.toThrow(`${victim}: cannot be decoded`);
    const after = snapshot(out);
    for (const [name, hash] of good) expect(after.get(name), name).toBe(hash);
    expect(readDataset(out).samples).toHaveLength(51); // still the whole previous dataset, readable
    writeFileSync(victim, png);
    await buildShards(opts(input, out, { shardBytes: 4096 + 4 * 1088 }));
    const clean = folderBytes((await buildShards(opts(input, path.join(root, 'clean'), { shardBytes: 4096 + 4 * 1088 }))).out);
    expect(snapshot(out)).toEqual(snapshot(path.join(root, 'clean')));
    expect(folderBytes(out).size).toBe(clean.size);
  });
});

describe('--out: a rebuild killed at any moment', () => {
  it('never leaves a manifest naming a file it does not describe, and the rerun ends byte-identical', async () => {
    const root = tmp();
    const a = { shardBytes: 4096 + 8 * 1088 };
    const b = { shardBytes: 4096 + 3 * 2368, size: 48 };
    const reference = snapshot((await buildShards(opts(REAL_MR, path.join(root, 'reference'), b))).out);
    const args = (out: string) => ['--conditions=source', '--import', 'tsx', CLI, 'build', REAL_MR, '--out', out, '--size', String(b.size), '--shard-bytes', String(b.shardBytes), '--workers', '2', '-q'];
    const run = (out: string, killAt: number) =>
      new Promise<number>((resolve) => {
        const t0 = performance.now();
        const child = spawn(process.execPath, args(out), { cwd: ROOT, stdio: 'ignore' });
        const timer = setTimeout(() => child.kill('SIGKILL'), killAt);
        child.on('exit', () => (clearTimeout(timer), resolve(performance.now() - t0)));
      });
    const full = await run(path.join(root, 'timing'), 600_000);
    expect(snapshot(path.join(root, 'timing'))).toEqual(reference); // the CLI really builds
    let cut = 0;
    let rng = 99;
    const rand = () => ((rng = (Math.imul(rng, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let t = 0; t < 4; t++) {
      const out = path.join(root, `trial-${t}`);
      await buildShards(opts(REAL_MR, out, a)); // the dataset a training might be reading
      // Kills spread over the second half of the run, where the build stages, swaps and cleans up.
      await run(out, full * (0.5 + rand() * 0.6));
      const file = path.join(out, 'manifest.json');
      if (existsSync(file)) {
        // Whichever manifest is there (old or new), every file it names is exactly the file it describes.
        const m = JSON.parse(readFileSync(file, 'utf8'));
        for (const s of m.shards) {
          for (const f of [s, s.index]) expect(createHash('sha256').update(readFileSync(path.join(out, f.file))).digest('hex'), `trial ${t}: ${f.file}`).toBe(f.sha256);
        }
      }
      if (JSON.stringify([...snapshot(out)]) !== JSON.stringify([...reference])) cut++;
      await buildShards(opts(REAL_MR, out, b));
      expect(snapshot(out), `trial ${t}`).toEqual(reference);
    }
    expect(cut).toBeGreaterThan(0); // some kills really cut the rebuild short
  }, 120_000);
});

/** A PNG of other pixels padded (tEXt chunk) to exactly `bytes` long: same size, different content. */
function samesizePng(bytes: number, w: number, h: number): Buffer {
  const png = Buffer.from(encode({ width: w, height: h, depth: 16, channels: 1, data: new Uint16Array(w * h).fill(12345) }));
  const pad = bytes - png.length - 12 - 5; // chunk framing 12, "note\0" keyword 5
  if (pad < 0) throw new Error('replacement PNG larger than the original');
  const data = Buffer.concat([Buffer.from('note\0', 'latin1'), Buffer.alloc(pad, 0x61)]);
  const td = Buffer.concat([Buffer.from('tEXt', 'latin1'), data]);
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  td.copy(chunk, 4);
  chunk.writeUInt32BE(zlib.crc32(td), 8 + data.length);
  const iend = png.length - 12;
  return Buffer.concat([png.subarray(0, iend), chunk, png.subarray(iend)]);
}

describe('resume after an input changed', () => {
  it('an input rewritten with the same size and `touch -r` is rebuilt: the result equals a clean build', async () => {
    const root = tmp();
    const input = path.join(root, 'in');
    cpSync(REAL_MR, input, { recursive: true });
    const out = path.join(root, 'out');
    const o = { shardBytes: 4096 + 4 * 1088 };
    // Kill the build as soon as its first shard is journalled.
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', CLI, 'build', input, '--out', out, '--size', '32', '--shard-bytes', String(o.shardBytes), '--workers', '2', '-q'], { cwd: ROOT, stdio: 'ignore' });
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => existsSync(path.join(out, '.build/shard-0.json')) && child.kill('SIGKILL'), 2);
      child.on('exit', () => (clearInterval(poll), resolve()));
    });
    expect(existsSync(path.join(out, '.build/shard-0.json'))).toBe(true);
    expect(existsSync(path.join(out, 'manifest.json'))).toBe(false);
    // The first input in key order is in shard 0: same size, other pixels, same timestamps.
    const victim = path.join(input, 'patient_F01/slice_001.png');
    const st = statSync(victim);
    const png = readFileSync(victim);
    const replacement = samesizePng(st.size, png.readUInt32BE(16), png.readUInt32BE(20));
    expect(replacement.length).toBe(st.size);
    const ref = path.join(root, 'timestamps-ref');
    expect(spawnSync('cp', ['-p', victim, ref]).status).toBe(0);
    writeFileSync(victim, replacement);
    expect(spawnSync('touch', ['-r', ref, victim]).status).toBe(0);
    expect(statSync(victim).mtimeMs).toBe(st.mtimeMs);
    await buildShards(opts(input, out, o));
    await buildShards(opts(input, path.join(root, 'clean'), o));
    expect(snapshot(out)).toEqual(snapshot(path.join(root, 'clean')));
  }, 60_000);
});
