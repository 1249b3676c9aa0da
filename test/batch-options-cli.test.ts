// The CLI's reader flags are the reader's options: the same defaults in --help, the same checks and
// wording as ds.batches() / openDataset (only the option named as a flag), refused before any read.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BATCH_DEFAULTS, defaultReaderWorkers, maxReaderWorkers, openDataset, type BatchOptions } from 'shard-reader';
import { makeSyntheticSet } from '../scripts/make-synthetic.js';
import { shard } from './helpers/run-cli.js';
import { tempDir } from './helpers/tree.js';

const root = tempDir('batch-options-cli-');
let data = '';
beforeAll(async () => {
  const input = path.join(root, 'in');
  await makeSyntheticSet({ out: input, patients: 1, slices: 3, size: 16, bits: 8, seed: 3 });
  data = path.join(root, 'ds');
  expect((await shard('build', input, '--out', data, '--size', '16', '-q')).code).toBe(0);
}, 60_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** What ds.batches() throws for these options. */
async function readerMessage(o: BatchOptions): Promise<string> {
  const ds = await openDataset(data, { workers: 0 });
  try {
    ds.batches(o);
  } catch (err) {
    return (err as Error).message;
  } finally {
    await ds.close();
  }
  throw new Error('batches() accepted it');
}

describe('reader flags are the reader options', () => {
  const cases: [string[], BatchOptions, string][] = [
    [['--batch-size', '0'], { batchSize: 0 }, '--batch-size'],
    [['--world-size', '0'], { worldSize: 0 }, '--world-size'],
    [['--block-shards', '0'], { blockShards: 0 }, '--block-shards'],
    [['--rank', '2', '--world-size', '2'], { rank: 2, worldSize: 2 }, '--rank'],
    [['--seed', '-1'], { seed: -1 }, '--seed'],
  ];
  for (const [flags, options, flag] of cases) {
    it(`${flags.join(' ')}: exit 2 with the reader's own message, naming ${flag}`, async () => {
      const expected = (await readerMessage(options)).replace(/\b(batchSize|worldSize|blockShards|rank|seed)\b/g, (f) => `--${f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
      for (const command of ['order', 'bench']) {
        const r = await shard(command, data, ...flags);
        expect(r.code).toBe(2);
        expect(r.stderr).toBe(`shard: ${expected} (run 'shard ${command} --help' for usage)\n`);
      }
    });
  }

  it('bench --prefetch, --context and --workers are checked as the reader checks them', async () => {
    expect((await shard('bench', data, '--prefetch', '0')).stderr).toMatch(/^shard: --prefetch must be an integer >= 1 \(got 0\)/);
    expect((await shard('bench', data, '--context', '65')).stderr).toMatch(/^shard: --context must be an integer from 0 to 64 \(got 65\)/);
    const max = maxReaderWorkers();
    await expect(openDataset(data, { workers: max + 1 })).rejects.toThrow(`workers must be an integer from 0 to ${max} (got ${max + 1})`);
    expect((await shard('bench', data, '--workers', String(max + 1))).stderr).toMatch(new RegExp(`^shard: --workers must be an integer from 0 to ${max} \\(got ${max + 1}\\)`));
  });

  it('--help shows the reader defaults, each once', async () => {
    const help = (await shard('bench', '--help')).stdout.replace(/\s+/g, ' ');
    for (const [flag, value] of [['--batch-size', BATCH_DEFAULTS.batchSize], ['--prefetch', BATCH_DEFAULTS.prefetch], ['--block-shards', BATCH_DEFAULTS.blockShards], ['--shuffle', `"${BATCH_DEFAULTS.shuffle}"`]] as const) {
      expect(help).toMatch(new RegExp(`${flag} <[a-z]+> [^(]*\\(${flag === '--shuffle' ? 'choices: [^)]*, ' : ''}default: ${value}\\)`));
    }
    expect(help).toContain('reader batch workers');
    expect(help.match(/default: one per core, up to 4/g)).toHaveLength(1);
    expect(defaultReaderWorkers()).toBeLessThanOrEqual(4);
  });
});
