// The `shard` command as users and scripts call it: build --json, inspect --json, export npy/png, order --json.
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { decode } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDataset } from 'shard-reader';
import { makeSyntheticSet } from '../scripts/make-synthetic.js';
import { shard } from './helpers/run-cli.js';
import { tempDir } from './helpers/tree.js';

let root = '';
let input = '';
let out = '';

/** Reads a .npy written by `shard export` (version 1.0, C order). */
function readNpy(file: string): { shape: number[]; data: Uint8Array | Uint16Array } {
  const buf = readFileSync(file);
  expect(buf.subarray(0, 6).toString('latin1')).toBe('\x93NUMPY');
  const headerLen = buf.readUInt16LE(8);
  const header = buf.subarray(10, 10 + headerLen).toString('latin1');
  const shape = /'shape': \(([^)]*)\)/.exec(header)![1].split(',').map((x) => x.trim()).filter(Boolean).map(Number);
  const body = buf.subarray(10 + headerLen);
  const data = header.includes("'<u2'") ? new Uint16Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.length)) : new Uint8Array(body);
  return { shape, data };
}

beforeAll(async () => {
  root = tempDir('cli-test-');
  input = path.join(root, 'slices');
  // --mixed cycles patients through 16-bit grey, 8-bit grey, 8-bit RGB and 16-bit of another size.
  await makeSyntheticSet({ out: input, patients: 4, slices: 3, size: 32, mixed: true, seed: 9 });
  out = path.join(root, 'shards');
}, 60_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('shard build / inspect / export', () => {
  it('builds a mixed tree with --json and exports samples that match the source pixels', async () => {
    const b = await shard('build', input, '--out', out, '--size', '32', '--dtype', 'uint16', '--shard-bytes', '16KiB', '--json', '-q');
    expect(b.code).toBe(0);
    const summary = JSON.parse(b.stdout);
    expect(summary).toMatchObject({ inputs: 12, written: 12, skipped: [] });
    expect(summary.shards).toBeGreaterThan(1);
    for (const k of ['bytes', 'seconds']) expect(typeof summary[k]).toBe('number');

    const i = await shard('inspect', out, '--json');
    const info = JSON.parse(i.stdout);
    expect(info).toMatchObject({ samples: 12, shape: [32, 32, 1], dtype: 'uint16', labelNames: ['atelectasis', 'effusion', 'nodule', 'pneumothorax', 'emphysema'], recordBytes: 2112 });
    expect(info.shards.reduce((n: number, s: { samples: number }) => n + s.samples, 0)).toBe(12);
    expect(Object.keys(info.positives)).toEqual(info.labelNames);
    for (const a of info.labelNames) expect(info.cooccurrence[a][a], a).toBe(info.positives[a]);
    expect(i.code).toBe(0);

    const exp = path.join(root, 'export');
    const e = await shard('export', out, '--out', exp, '--format', 'npy');
    expect(e.code).toBe(0);
    const csv = readFileSync(path.join(exp, 'labels.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('key,atelectasis,effusion,nodule,pneumothorax,emphysema');
    expect(csv).toHaveLength(13);
    // Patient 1 is 16-bit greyscale at the output size: the export must equal the source exactly.
    const patient = readdirSync(input).sort()[0];
    for (const slice of readdirSync(path.join(input, patient)).filter((f) => f.endsWith('.png'))) {
      const src = decode(readFileSync(path.join(input, patient, slice)));
      expect(src.depth).toBe(16);
      const npy = readNpy(path.join(exp, patient, slice.replace('.png', '.npy')));
      expect(npy.shape).toEqual([32, 32]);
      expect([...npy.data]).toEqual([...(src.data as Uint16Array)]);
      const row = readFileSync(path.join(input, patient, 'labels.csv'), 'utf8').split('\n').find((l) => l.startsWith(slice))!;
      expect(csv.find((l) => l.startsWith(`${patient}/${slice.replace('.png', '')},`))!.split(',').slice(1)).toEqual(row.split(',').slice(1));
    }

    const png = path.join(root, 'png');
    expect((await shard('export', out, '--out', png, '--format', 'png', '--keys', `${patient}/slice_001`)).code).toBe(0);
    const back = decode(readFileSync(path.join(png, patient, 'slice_001.png')));
    expect([back.width, back.height, back.depth, back.channels]).toEqual([32, 32, 16, 1]);
    expect([...(back.data as Uint16Array)]).toEqual([...(decode(readFileSync(path.join(input, patient, 'slice_001.png'))).data as Uint16Array)]);
  });

  it('shard order --json is exactly the order the reader yields', async () => {
    const args = ['--seed', '3', '--epoch', '2', '--shuffle', 'block', '--batch-size', '5', '--rank', '1', '--world-size', '2', '--block-shards', '2'];
    const o = await shard('order', out, ...args, '--json');
    const ds = await openDataset(out, { workers: 0 });
    const keys: string[] = [];
    for await (const b of ds.batches({ seed: 3, epoch: 2, shuffle: 'block', batchSize: 5, rank: 1, worldSize: 2, blockShards: 2 })) keys.push(...b.keys);
    await ds.close();
    expect(JSON.parse(o.stdout)).toEqual(keys);
  });

  it('bad arguments are one line naming what is at fault, with exit 2', async () => {
    // A --keys value the dataset does not hold is a bad option value (exit 2), not damage (exit 1).
    const r = await shard('export', out, '--out', path.join(root, 'x'), '--keys', 'nope/slice_9');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([`shard: ${out}: no sample with key "nope/slice_9" (from --keys)`]);
    expect((await shard('inspect', path.join(root, 'missing'))).code).toBe(2);
    expect((await shard('build', input, '--out', out, '--dtype', 'float64')).code).toBe(2);
    const help = await shard('build', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--shard-bytes');
  });
});
