// The peers' copies of the read set: the same images as a .npy file (numpy, PyTorch, the native gather), an
// lmdb-js environment, and the shuffled order everyone reads, all made once from our shards and cached.
import { closeSync, existsSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { open } from 'lmdb';
import { openDataset } from 'shard-reader';
import type { BenchContext } from './types.js';

export interface PeerData {
  npy: string;
  /** Bytes before the first image in the .npy file. */
  npyDataOffset: number;
  lmdb: string;
  /** uint32 little-endian sample indices: global shuffle of epoch 0, seed 1, as our reader plans it. */
  orderFile: string;
  order: Uint32Array;
  count: number;
  imageBytes: number;
}

/** A version 1.0 .npy header for a C-order uint8 array, padded so the data starts 64-byte aligned. */
function npyHeader(shape: number[]): Buffer {
  const dict = `{'descr': '|u1', 'fortran_order': False, 'shape': (${shape.join(', ')}), }`;
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  const header = Buffer.alloc(total, 0x20);
  header.write('\x93NUMPY', 0, 'latin1');
  header[6] = 1;
  header[7] = 0;
  header.writeUInt16LE(total - 10, 8);
  header.write(dict, 10, 'latin1');
  header[total - 1] = 0x0a;
  return header;
}

export async function ensurePeerData(ctx: BenchContext, shards: string, name: string): Promise<PeerData> {
  const ds = await openDataset(shards, { workers: 0 });
  const [h, w, c] = ds.shape;
  if (ds.dtype !== 'uint8') throw new Error(`the peers benchmark needs a uint8 read set (got ${ds.dtype})`);
  const imageBytes = h * w * c;
  const order = ds.batches({ batchSize: 32, seed: 1, shuffle: 'global' }).plan.order;
  const npy = path.join(ctx.dataDir, `peers-${name}.npy`);
  const lmdbDir = path.join(ctx.dataDir, `peers-${name}.lmdb`);
  const orderFile = path.join(ctx.dataDir, `peers-${name}.order`);
  const header = npyHeader(c === 1 ? [ds.size, h, w] : [ds.size, h, w, c]);
  try {
    if (!existsSync(npy) || !existsSync(`${lmdbDir}.complete`)) {
      ctx.log(`exporting ${ds.size} images to ${npy} and ${lmdbDir} ...`);
      for (const f of [lmdbDir, `${lmdbDir}-lock`]) rmSync(f, { recursive: true, force: true });
      const db = open({ path: lmdbDir, encoding: 'binary', keyEncoding: 'uint32', compression: false });
      const tmp = `${npy}.partial`;
      const fd = openSync(tmp, 'w');
      try {
        writeSync(fd, header, 0, header.length, 0);
        for await (const b of ds.batches({ batchSize: 256, shuffle: 'none' })) {
          const images = b.images as Uint8Array;
          await db.transaction(() => {
            b.indices.forEach((index, k) => {
              const img = images.subarray(k * imageBytes, (k + 1) * imageBytes);
              writeSync(fd, img, 0, imageBytes, header.length + index * imageBytes);
              db.put(index, Buffer.from(img));
            });
          });
        }
      } finally {
        closeSync(fd);
        await db.close();
      }
      renameSync(tmp, npy);
      writeFileSync(`${lmdbDir}.complete`, ''); // lmdb-js keeps the environment in one file at lmdbDir
    }
    writeFileSync(orderFile, order);
    return { npy, npyDataOffset: header.length, lmdb: lmdbDir, orderFile, order, count: ds.size, imageBytes };
  } finally {
    await ds.close();
  }
}
