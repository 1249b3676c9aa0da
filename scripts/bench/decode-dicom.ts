// Decode-only throughput of the DICOM decoders per codec family, on the test fixtures (one thread, bytes in memory).
//
//   node --conditions=source --import tsx scripts/bench/decode-dicom.ts [--seconds 2] [--json]
//
// Each family's files are decoded round-robin for --seconds after one warm-up pass (WASM instantiation
// is paid once per thread and left out). slices/s depends on image size, so Mpixel/s is printed too.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { decodeDicom } from '../../packages/shard-writer/src/decode/index.js';

export const FIXTURES = path.join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'dicom');

/** Fixture files per codec family; the build benchmark can time the same files through `shard build`. */
export const FAMILIES: Record<string, string[]> = {
  uncompressed: ['CT_small.dcm', 'MR_small.dcm', 'MR_small_implicit.dcm', 'MR_small_expb.dcm', 'image_dfl.dcm'],
  RLE: ['MR_small_RLE.dcm', 'SC_rgb_rle_16bit.dcm'],
  'JPEG-LS': ['MR_small_jpeg_ls_lossless.dcm', 'CT_small_jpeg_ls_near2.dcm'],
  'JPEG 2000': ['MR_small_jp2klossless.dcm', 'JPEG2000.dcm', '693_J2KI.dcm', 'J2K_pixelrep_mismatch.dcm'],
  'JPEG baseline 8-bit': ['SC_rgb_jpeg_dcmtk.dcm', 'SC_jpeg_no_color_transform.dcm'],
  'JPEG extended 12-bit': ['JPGExtended.dcm'],
  'JPEG lossless': ['SC_rgb_jpeg_gdcm.dcm', 'CT_small_jpeg_lossless.dcm'],
};

export interface DecodeRow {
  family: string;
  files: number;
  slices: number;
  seconds: number;
  slicesPerSecond: number;
  megapixelsPerSecond: number;
}

async function decodeOnce(name: string, bytes: Uint8Array): Promise<{ slices: number; pixels: number }> {
  let slices = 0;
  let pixels = 0;
  for await (const s of decodeDicom(name, bytes)) {
    slices++;
    pixels += s.width * s.height;
  }
  return { slices, pixels };
}

export async function benchFamily(family: string, names: string[], seconds: number): Promise<DecodeRow> {
  const inputs = names.map((name) => ({ name, bytes: readFileSync(path.join(FIXTURES, name)) }));
  for (const { name, bytes } of inputs) await decodeOnce(name, bytes); // warm-up: WASM, JIT
  let slices = 0;
  let pixels = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < seconds * 1000) {
    for (const { name, bytes } of inputs) {
      const done = await decodeOnce(name, bytes);
      slices += done.slices;
      pixels += done.pixels;
    }
    elapsed = performance.now() - start;
  }
  const s = elapsed / 1000;
  return { family, files: names.length, slices, seconds: s, slicesPerSecond: slices / s, megapixelsPerSecond: pixels / s / 1e6 };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '2' }, json: { type: 'boolean', default: false } } });
  const seconds = Number(values.seconds);
  if (!(seconds > 0)) throw new Error(`--seconds must be a positive number, not ${values.seconds}`);
  const rows: DecodeRow[] = [];
  for (const [family, names] of Object.entries(FAMILIES)) rows.push(await benchFamily(family, names, seconds));
  if (values.json) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  console.log('| codec family | files | slices/s | Mpixel/s |');
  console.log('|---|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.family} | ${r.files} | ${r.slicesPerSecond.toFixed(0)} | ${r.megapixelsPerSecond.toFixed(1)} |`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(`decode-dicom: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
