// A PNG tree large enough to decode in the worker pool gives, record for record, the pixels the main-thread
// path gives: plain greyscale PNGs decoded in the threads, colour/16-bit/resized ones handed back for sharp.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildShards } from 'shard-writer';
// The PNG preprocessing step is internal to the writer: by deep path.
import { configureDecoder, preprocessSlice } from '../packages/shard-writer/src/preprocess.js';
import { readDataset } from './helpers/read-shards.js';
import { tempDir, writeLabels, writePng, type PngSpec } from './helpers/tree.js';
import { rmSync } from 'node:fs';

const dir = tempDir('png-pool-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('PNG slices decoded in the pool', () => {
  it('match the main-thread decode for every record, whatever decoder each file needs', async () => {
    const input = path.join(dir, 'in');
    const specs: [string, PngSpec][] = [];
    for (let i = 0; i < 210; i++) {
      const kind = i % 35 === 1 ? 'rgb' : i % 35 === 2 ? 'wide' : i % 35 === 3 ? 'large' : 'grey';
      const size = kind === 'large' ? 30 : 24;
      specs.push([
        `p${i % 3}/s${String(i).padStart(3, '0')}.png`,
        {
          width: size,
          height: size,
          depth: kind === 'wide' ? 16 : 8,
          channels: kind === 'rgb' ? 3 : 1,
          value: (x, y, c) => (kind === 'wide' ? 40 * x + 7 * y + i : (x * 9 + y * 5 + c * 30 + i) % 256),
        },
      ]);
    }
    for (const [rel, spec] of specs) writePng(path.join(input, rel), spec);
    for (const p of ['p0', 'p1', 'p2']) writeLabels(path.join(input, p), ['slice', 'a'], specs.filter(([rel]) => rel.startsWith(`${p}/`)).map(([rel]) => [path.basename(rel), 1]));
    const out = path.join(dir, 'out');
    await buildShards({ input, out, size: 24, intensity: { mode: 'minmax' } });
    const { samples } = readDataset(out);
    expect(samples).toHaveLength(210);
    configureDecoder();
    const opts = { size: 24, dtype: 'uint8', fit: 'contain', kernel: 'lanczos3', windows: null, rescale: null, intensity: { mode: 'minmax' } } as const;
    for (const s of samples) {
      const want = await preprocessSlice(path.join(input, `${s.key}.png`), opts);
      expect(Buffer.from(s.image).equals(Buffer.from(want.bytes)), s.key).toBe(true);
    }
  });
});
