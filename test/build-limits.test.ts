// The build refuses what its own reader would refuse (label range, name length, label count, shard size), naming file and row.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LIMITS } from 'shard-format';
import { buildShards, resolveOptions } from 'shard-writer';
import { readDataset } from './helpers/read-shards.js';
import { LABELS, tempDir, writeLabels } from './helpers/tree.js';

const GOOD = path.join(import.meta.dirname, 'fixtures/real-mr/patient_M02/slice_001.png');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** One patient with two slices; `header` and `rows` become its labels.csv. */
function tree(header: string[], rows: (string | number)[][]): { root: string; csv: string } {
  const root = tempDir();
  dirs.push(root);
  const p = path.join(root, 'in/p1');
  mkdirSync(p, { recursive: true });
  for (const n of ['s1', 's2']) copyFileSync(GOOD, path.join(p, `${n}.png`));
  writeLabels(p, header, rows);
  return { root, csv: path.join(p, 'labels.csv') };
}
const build = (root: string, onError: 'fail' | 'skip' = 'fail') => buildShards({ input: path.join(root, 'in'), out: path.join(root, 'out'), size: 8, workers: 1, onError });

describe('labels the reader would refuse', () => {
  it('a value beyond float32 (1e39 would be stored as Infinity) is refused naming file and row', async () => {
    const { root, csv } = tree(LABELS, [['s1.png', 0, 0, 0, 0, 1], ['s2.png', 1, 0, '1e39', 0, 0]]);
    await expect(build(root)).rejects.toThrow(`${csv}: row 3: label nodule is "1e39", beyond the float32 range (about ±3.4e38) labels are stored in`);
    const s = await build(root, 'skip');
    expect(s).toMatchObject({ inputs: 2, written: 1 });
    expect(readDataset(s.out).samples.map((x) => x.key)).toEqual(['p1/s1']); // and what was written reads back
  });

  it(`a label name longer than ${LIMITS.maxLabelName} characters is refused`, async () => {
    const long = 'x'.repeat(LIMITS.maxLabelName + 1);
    const { root, csv } = tree(['slice', 'ok', long], [['s1.png', 0, 1], ['s2.png', 1, 0]]);
    await expect(build(root)).rejects.toThrow(`${csv}: header: label name "${'x'.repeat(80)}"… (${LIMITS.maxLabelName + 1} characters) is longer than ${LIMITS.maxLabelName} characters`);
    // The longest allowed name builds and reads back.
    const ok = tree(['slice', 'x'.repeat(LIMITS.maxLabelName)], [['s1.png', 0], ['s2.png', 1]]);
    expect(readDataset((await build(ok.root)).out).manifest.schema.labelNames[0]).toHaveLength(LIMITS.maxLabelName);
  });

  it(`more than ${LIMITS.maxLabels} label columns are refused`, async () => {
    const names = Array.from({ length: LIMITS.maxLabels + 1 }, (_, i) => `l${i}`);
    const { root, csv } = tree(['slice', ...names], ['s1.png', 's2.png'].map((n) => [n, ...names.map(() => 0)]));
    await expect(build(root)).rejects.toThrow(`${csv}: header has ${LIMITS.maxLabels + 1} label columns; a dataset holds at most ${LIMITS.maxLabels}`);
  });

  it('a 1 MB field gives a short error line, still naming file and row', async () => {
    const { root, csv } = tree(LABELS, [['s1.png', 0, 0, 0, 0, 1], ['s2.png', 1, 0, `"${'z'.repeat(1 << 20)}"`, 0, 0]]);
    const err = await build(root).catch((e: Error) => e);
    expect((err as Error).message).toContain(`${csv}: row 3: label nodule is not a number ("zzzz`);
    expect((err as Error).message.length).toBeLessThan(csv.length + 200);
    // The same for a 1 MB file name column value and a 1 MB label name.
    writeFileSync(csv, `slice,a\ns1.png,0\ns2.png,1\n${'q'.repeat(1 << 20)}.png,1\n`);
    const orphan = await build(root).catch((e: Error) => e);
    expect((orphan as Error).message).toContain(`${csv}: row 4: names "qqq`);
    expect((orphan as Error).message.length).toBeLessThan(csv.length * 2 + 200);
    writeFileSync(csv, `slice,${'n'.repeat(1 << 20)}\ns1.png,0\ns2.png,1\n`);
    expect(((await build(root).catch((e: Error) => e)) as Error).message.length).toBeLessThan(csv.length + 200);
    expect(readFileSync(csv).length).toBeGreaterThan(1 << 20);
  });
});

describe('--shard-bytes', () => {
  it('a size beyond what the manifest stores names the real limit, not the lower one', () => {
    expect(() => resolveOptions({ input: 'in', out: 'out', shardBytes: 2 ** 50 })).toThrow(`shard size must be from 8192 bytes (8KiB) to ${LIMITS.maxShardBytes} bytes (256TiB) (got ${2 ** 50})`);
    expect(() => resolveOptions({ input: 'in', out: 'out', shardBytes: 1000 })).toThrow('shard size must be from 8192 bytes (8KiB)');
    expect(resolveOptions({ input: 'in', out: 'out', shardBytes: LIMITS.maxShardBytes }).shardBytes).toBe(LIMITS.maxShardBytes);
  });
});
