// Build-peer benchmark: the packer a Node user would write for a PNG slice tree: sharp decodes each PNG to raw
// greyscale (as many in flight as shard build keeps), lmdb-js stores it under its index, one environment.
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { open } from 'lmdb';
import sharp from 'sharp';

/** Packs every PNG below `root` into a fresh lmdb environment at `out`; images/s over the whole run. */
export async function lmdbSharpPack(root: string, out: string, inFlight: number): Promise<number> {
  const started = performance.now();
  sharp.concurrency(1); // as shard build runs it: parallelism from images in flight, one libvips thread each
  sharp.cache(false);
  for (const f of [out, `${out}-lock`]) rmSync(f, { recursive: true, force: true });
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.png')).sort().map((f) => path.join(root, f));
  const db = open({ path: out, encoding: 'binary', keyEncoding: 'uint32', compression: false });
  let next = 0;
  // Puts are not awaited one by one: lmdb-js batches them into transactions; all are awaited at the end.
  const puts: Promise<boolean>[] = [];
  // `inFlight` runners, each taking the next file: the plain way to bound the decodes in flight.
  const runner = async () => {
    for (let i = next++; i < files.length; i = next++) {
      const pixels = await sharp(files[i]).toColourspace('b-w').raw().toBuffer();
      puts.push(db.put(i, pixels));
    }
  };
  try {
    await Promise.all(Array.from({ length: inFlight }, runner));
    await Promise.all(puts);
    await db.flushed;
  } finally {
    await db.close();
  }
  const rate = files.length / ((performance.now() - started) / 1000);
  for (const f of [out, `${out}-lock`]) rmSync(f, { recursive: true, force: true });
  return rate;
}
