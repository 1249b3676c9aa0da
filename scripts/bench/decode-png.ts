// Decode-only throughput of PNG decoders on small greyscale slices (one thread, bytes in memory): sharp (what
// the build used), fast-png, and the direct zlib + unfilter path the build now takes for them.
//
//   node --conditions=source --import tsx scripts/bench/decode-png.ts [--seconds 2] [--count 200]
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { decode as fastPngDecode, encode as fastPngEncode } from 'fast-png';
import sharp from 'sharp';
import { decodeGreyPng } from '../../packages/shard-writer/src/png-direct.js';

export interface PngDecodeRow {
  decoder: string;
  depth: number;
  imagesPerSecond: number;
}

/** `count` distinct 256x256 greyscale PNGs: a disc with noise, like a CT slice, so the filters and deflate have real work. */
export function slicePngs(count: number, depth: 8 | 16, size = 256): Uint8Array[] {
  let seed = 7 + depth;
  const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const max = depth === 8 ? 255 : 4095;
  return Array.from({ length: count }, (_, k) => {
    const data = depth === 8 ? new Uint8Array(size * size) : new Uint16Array(size * size);
    const r = size * (0.3 + 0.1 * ((k % 10) / 10));
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const d = Math.hypot(x - size / 2, y - size / 2);
        data[y * size + x] = d < r ? Math.min(max, Math.round(max * (0.4 + 0.2 * Math.sin(x / 9 + k) + 0.1 * rnd()))) : 0;
      }
    }
    return fastPngEncode({ width: size, height: size, data, depth, channels: 1 });
  });
}

const DECODERS: Record<string, (png: Uint8Array) => Promise<unknown> | unknown> = {
  // What preprocess.ts did per slice: metadata, then the raw greyscale pixels.
  'sharp (metadata + raw)': async (png) => {
    const img = sharp(png);
    const meta = await img.metadata();
    return img.toColourspace(meta.depth === 'ushort' ? 'grey16' : 'b-w').raw(meta.depth === 'ushort' ? { depth: 'ushort' } : {}).toBuffer();
  },
  'fast-png': (png) => fastPngDecode(png),
  'direct (zlib.inflateSync + unfilter)': (png) => {
    if (!decodeGreyPng(png)) throw new Error('direct path refused a plain greyscale PNG');
  },
};

export async function benchPngDecoders(seconds: number, count: number): Promise<PngDecodeRow[]> {
  sharp.concurrency(1);
  sharp.cache(false);
  const rows: PngDecodeRow[] = [];
  for (const depth of [8, 16] as const) {
    const pngs = slicePngs(count, depth);
    for (const [decoder, fn] of Object.entries(DECODERS)) {
      for (const png of pngs.slice(0, 20)) await fn(png); // warm-up
      let n = 0;
      const start = performance.now();
      while (performance.now() - start < seconds * 1000) for (const png of pngs) (await fn(png), n++);
      rows.push({ decoder, depth, imagesPerSecond: n / ((performance.now() - start) / 1000) });
    }
  }
  return rows;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '2' }, count: { type: 'string', default: '200' } } });
  const rows = await benchPngDecoders(Number(values.seconds), Number(values.count));
  console.log('| decoder | bits | images/s |');
  console.log('|---|---:|---:|');
  for (const r of rows) console.log(`| ${r.decoder} | ${r.depth} | ${r.imagesPerSecond.toFixed(0)} |`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(`decode-png: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
