// Benchmark: `shard build` of a PNG tree against the packers a user would write instead (issue 13): PIL in a
// multiprocessing.Pool(2) into a numpy memmap, and lmdb-js + sharp; same tree, same run, plus decoder rates.
import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildShards, defaultWorkers } from 'shard-writer';
import { lmdbSharpPack } from './build-peer-lmdb.js';
import { ensureSource } from './data.js';
import { benchPngDecoders } from './decode-png.js';
import { fmt, type Bench, type BenchContext } from './types.js';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3'; // Debian's, where apt installs python3-pil and python3-numpy

type Measured = { rate: number } | { skip: string };

async function pilPool(ctx: BenchContext, src: string, out: string): Promise<Measured> {
  if (!existsSync(PYTHON)) return { skip: `${PYTHON} not found` };
  try {
    const { stdout } = await run(PYTHON, [path.join(import.meta.dirname, 'build_peer_pil.py'), src, out, '2'], { maxBuffer: 1 << 20, timeout: 900_000 });
    const r = JSON.parse(stdout.trim().split('\n').pop()!) as { images_per_sec?: number; skip?: string };
    return r.skip ? { skip: r.skip } : { rate: r.images_per_sec! };
  } catch (err) {
    return { skip: (err as { stderr?: string }).stderr?.trim().split('\n').pop() ?? String(err) };
  } finally {
    rmSync(out, { force: true });
  }
}

async function shardBuild(src: string, out: string): Promise<number> {
  rmSync(out, { recursive: true, force: true });
  const s = await buildShards({ input: src, out, size: 256 });
  rmSync(out, { recursive: true, force: true });
  return s.samples / s.seconds;
}

export const buildPeersBench: Bench = async (ctx) => {
  // The issue's tree: 8-bit 256x256 slices (20,000 in a full run).
  const spec = ctx.quick ? { patients: 10, slices: 200, size: 256, bits: 8 as const } : { patients: 100, slices: 200, size: 256, bits: 8 as const };
  const src = await ensureSource(ctx, spec);
  const n = spec.patients * spec.slices;
  const rounds = ctx.quick ? 1 : 2;
  const best = { shard: 0, lmdb: 0, pil: 0 };
  let pilSkip: string | undefined;
  // Interleaved rounds, best of each, so every contender meets the same machine load.
  for (let r = 0; r < rounds; r++) {
    best.shard = Math.max(best.shard, await shardBuild(src, path.join(ctx.dataDir, 'build-peers-shards')));
    best.lmdb = Math.max(best.lmdb, await lmdbSharpPack(src, path.join(ctx.dataDir, 'build-peers.lmdb'), defaultWorkers()));
    const pil = await pilPool(ctx, src, path.join(ctx.dataDir, 'build-peers.npy'));
    if ('skip' in pil) pilSkip = pil.skip;
    else best.pil = Math.max(best.pil, pil.rate);
  }
  ctx.log(`shard build ${fmt.rate(best.shard)}/s, lmdb-js + sharp ${fmt.rate(best.lmdb)}/s, PIL Pool(2) ${pilSkip ? `skipped: ${pilSkip}` : `${fmt.rate(best.pil)}/s`}`);
  const decoders = await benchPngDecoders(ctx.quick ? 0.5 : 1.5, 100);

  const vsPil = best.pil ? best.shard / best.pil : NaN;
  const vsLmdb = best.shard / best.lmdb;
  return {
    name: 'build-peers',
    tables: [
      {
        title: `Build against the packers a user would write: ${n} PNG slices, 8-bit 256x256, same tree, same run`,
        command: `pnpm bench --only build-peers${ctx.quick ? ' --quick' : ''}`,
        columns: ['packer', 'images/s', 'shard build vs it'],
        rows: [
          ['shard build (decode, value stats, CRC, write, SHA-256, fsync, manifest)', fmt.rate(best.shard), '1.00x'],
          ['Python: PIL decode in multiprocessing.Pool(2) into a numpy .npy memmap (build_peer_pil.py)', pilSkip ? `skipped: ${pilSkip}` : fmt.rate(best.pil), pilSkip ? '-' : fmt.ratio(vsPil)],
          [`Node: sharp raw greyscale + lmdb-js puts, ${defaultWorkers()} in flight (build-peer-lmdb.ts)`, fmt.rate(best.lmdb), fmt.ratio(vsLmdb)],
        ],
        notes: [
          'Each packer is timed whole from the file listing to its data on disk; best of interleaved rounds. PIL and lmdb-js do no checksums, no fsync and no manifest; shard build does all three.',
          'Python: Debian /usr/bin/python3 with python3-pil and python3-numpy (skipped with the reason when missing).',
        ],
      },
      {
        title: 'PNG decoders on 256x256 greyscale slices, one thread, bytes in memory (decode-png.ts)',
        command: 'node --conditions=source --import tsx scripts/bench/decode-png.ts',
        columns: ['decoder', 'bits', 'images/s', 'vs sharp'],
        rows: decoders.map((d) => {
          const sharpRate = decoders.find((x) => x.depth === d.depth && x.decoder.startsWith('sharp'))!.imagesPerSecond;
          return [d.decoder, d.depth, fmt.rate(d.imagesPerSecond), fmt.ratio(d.imagesPerSecond / sharpRate)];
        }),
        notes: ['shard build takes the direct path for greyscale 8/16-bit non-interlaced PNGs already at the output size, and sharp for everything else (resizing, colour, palette, interlace, transparency, colour profiles, damaged files, JPEG, TIFF).'],
      },
    ],
    figures: { shardBuild: best.shard, lmdbSharp: best.lmdb, pilPool2: best.pil, images: n },
    targets: [
      { target: 'PNG build >= 1.0x PIL Pool(2) into a numpy memmap', measured: pilSkip ? `skipped: ${pilSkip}` : fmt.ratio(vsPil), met: !pilSkip && vsPil >= 1 },
      { target: 'PNG build >= 1.0x lmdb-js + sharp', measured: fmt.ratio(vsLmdb), met: vsLmdb >= 1 },
    ],
  };
};
