// DICOM series order: recorded at build from ImagePositionPatient along the slice normal (InstanceNumber
// when positions are missing), so context neighbours follow anatomy, not file names or InstanceNumbers.
import { cpSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeShardIndex } from 'shard-format';
import { openDataset, type Dataset } from 'shard-reader';
import { buildShards } from 'shard-writer';
import { seriesPlaces } from '../packages/shard-writer/src/series-order.js';
import { along } from '../packages/shard-writer/src/dicom-slice-meta.js';
import { shard } from './helpers/run-cli.js';
import { tempDir } from './helpers/tree.js';

const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'dicom-series');
/** File names in true anatomical order (see fixtures/dicom-series/make.py): series A by position, B by InstanceNumber. */
const A = ['e7', 'a2', 'c9', 'b4', 'f1', 'd3'];
const B = ['k4', 'h8', 'm1', 'j2'];
/** Every pixel of a slice holds 100 * series + 10 * rank + 10. */
const valueOf = (name: string) => (A.includes(name) ? 10 * A.indexOf(name) + 10 : 100 + 10 * B.indexOf(name) + 10);

let root = '';
let ds: Dataset;
let threaded: Dataset;
beforeAll(async () => {
  root = tempDir('series-order-');
  cpSync(path.join(FIXTURE, 'p1'), path.join(root, 'in', 'p1'), { recursive: true });
  // Small shards: a series spans several, so the order is gathered across indexes.
  const out = (await buildShards({ input: path.join(root, 'in'), out: path.join(root, 'out'), size: 32, dtype: 'int16', shardBytes: 8192, workers: 2 })).out;
  ds = await openDataset(out, { workers: 0 });
  threaded = await openDataset(out, { workers: 1 });
});
afterAll(async () => {
  await ds?.close();
  await threaded?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

const name = (key: string) => key.slice(key.lastIndexOf('/') + 1);

describe('DICOM series order', () => {
  it('is written into the index meta: series number and rank along the slice normal, else by InstanceNumber', () => {
    expect(ds.manifest.shards.length).toBeGreaterThan(2);
    for (let i = 0; i < ds.size; i++) {
      const n = name(ds.keys[i]);
      const m = ds.meta(i)!;
      expect([m.series, m.position]).toEqual(A.includes(n) ? [0, A.indexOf(n)] : [1, B.indexOf(n)]);
    }
  });

  it('ds.series() lists each series in that order, not by file name', () => {
    const series = ds.series().map((s) => s.indices.map((i) => name(ds.keys[i])));
    expect(series).toEqual([A, B]);
  });

  it('context: 1 stacks the anatomical neighbours of the same series, the edge slice repeated, inline and in workers', async () => {
    for (const d of [ds, threaded]) {
      let seen = 0;
      for await (const b of d.batches({ batchSize: 4, shuffle: 'global', seed: 5, context: 1 })) {
        const images = b.images as Int16Array;
        b.keys.forEach((key, j) => {
          const list = A.includes(name(key)) ? A : B;
          const at = list.indexOf(name(key));
          const expected = [-1, 0, 1].map((d) => valueOf(list[Math.min(list.length - 1, Math.max(0, at + d))]));
          // Pixel 0 of the sample, its three channels.
          expect([...images.subarray(j * 1024 * 3, j * 1024 * 3 + 3)]).toEqual(expected);
          seen++;
        });
      }
      expect(seen).toBe(10);
    }
    expect([...ds.neighbours(ds.keys.indexOf('p1/e7'), 1)].map((i) => name(ds.keys[i]))).toEqual(['e7', 'e7', 'a2']);
  });

  it('shard export --context 1 stacks the same anatomical neighbours', async () => {
    const dir = path.join(root, 'export');
    const r = await shard('export', ds.dir, '--out', dir, '--context', '1', '--keys', 'p1/a2,p1/j2');
    expect(r.code, r.stderr).toBe(0);
    // npy v1: a 128-byte header here, then int16 values, 3 per pixel.
    const pixel0 = (key: string) => [...new Int16Array(readFileSync(path.join(dir, `${key}.npy`)).buffer.slice(128, 134))];
    expect(pixel0('p1/a2')).toEqual([10, 20, 30]); // e7, a2, c9
    expect(pixel0('p1/j2')).toEqual([130, 140, 140]); // m1, j2, j2 (edge repeated)
  });

  it('orders by InstanceNumber when a member has no position, and by key when neither is known', () => {
    const slice = (key: string, places: { position?: number; instanceNumber?: number }[], uid = 'S') => ({ key, rel: `${key}.dcm`, dir: 'p', dicom: { frames: places.length, ids: { seriesInstanceUid: uid }, places } });
    const places = seriesPlaces([slice('p/a', [{ position: 3, instanceNumber: 1 }]), slice('p/b', [{ instanceNumber: 3 }]), slice('p/c', [{ position: 1, instanceNumber: 2 }])]);
    expect(['p/a', 'p/b', 'p/c'].map((k) => places.get(k)!.position)).toEqual([0, 2, 1]);
    const none = seriesPlaces([slice('p/b', [{}]), slice('p/a', [{}], 'T'), slice('p/c', [{}])]);
    expect(['p/b', 'p/c', 'p/a'].map((k) => [none.get(k)!.series, none.get(k)!.position])).toEqual([[0, 0], [0, 1], [1, 0]]);
    // The frames of one multi-frame file: keys `<file>/fNNN`, ranked by their per-frame positions.
    const frames = seriesPlaces([{ key: 'p/mf', rel: 'p/mf.dcm', dir: 'p', many: true, dicom: { frames: 3, ids: {}, places: [{ position: 2 }, { position: -1 }, { position: 0 }] } }]);
    expect(['p/mf/f000', 'p/mf/f001', 'p/mf/f002'].map((k) => frames.get(k)!.position)).toEqual([2, 0, 1]);
  });

  it('projects the position on the normal of the orientation (row x column)', () => {
    const c = Math.cos(Math.PI / 6);
    const s = Math.sin(Math.PI / 6);
    // Normal (0, s, c); an in-plane shift along the column (0, c, -s) does not move the projection.
    expect(along([5, 2 * s + 40 * c, 2 * c - 40 * s], [1, 0, 0, 0, c, -s])).toBeCloseTo(2, 9);
    expect(along([1, 2, 3], undefined)).toBeUndefined();
    expect(along([1, 2, 3], [1, 0, 0, 1, 0, 0])).toBeUndefined(); // degenerate: row parallel to column
  });

  it('an index with series but no position is refused, naming the record', () => {
    const index = (meta: object) => JSON.stringify({ format: 'ct-shards-index', version: ds.manifest.version, shard: 's.bin', firstSample: 0, keys: ['a'], labels: [[0]], meta: [meta] });
    const expectIndex = { shard: 's.bin', firstSample: 0, samples: 1, labelCount: 1 };
    expect(() => decodeShardIndex(index({ source: 'a.dcm', series: 0 }), 'x.index.json', expectIndex)).toThrow(/meta\[0\].*series and position/);
    expect(decodeShardIndex(index({ source: 'a.dcm', series: 2, position: 5 }), 'x.index.json', expectIndex).meta).toEqual([{ source: 'a.dcm', series: 2, position: 5 }]);
  });
});
