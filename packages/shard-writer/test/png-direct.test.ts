// The direct PNG path (zlib + filter reversal) against sharp: the same stored values on real and generated
// greyscale PNGs with every filter type, and a refusal (so sharp decodes) for every other kind of PNG.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { encode } from 'fast-png';
import sharp from 'sharp';
import { crc32 } from 'shard-format';
import { describe, expect, it } from 'vitest';
import { decodeGreyPng } from '../src/png-direct.js';

const ROOT = path.join(import.meta.dirname, '../../..');

function pngsBelow(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.png')).map((f) => path.join(dir, f));
}

/** sharp's stored values, as preprocess.ts reads them. */
async function sharpStored(png: Uint8Array): Promise<number[]> {
  const img = sharp(png);
  const wide = (await img.metadata()).depth === 'ushort';
  const data = await img.toColourspace(wide ? 'grey16' : 'b-w').raw(wide ? { depth: 'ushort' } : {}).toBuffer();
  return [...(wide ? new Uint16Array(data.buffer, data.byteOffset, data.length / 2) : data)];
}

function chunk(type: string, body: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])));
  return Buffer.concat([head, body, crc]);
}

/** A greyscale PNG whose row y uses filter type y % 5 (None, Sub, Up, Average, Paeth), so every reversal is exercised. */
function filteredPng(values: number[], width: number, height: number, depth: 8 | 16, extra: Buffer[] = [], idatTail = Buffer.alloc(0)): Buffer {
  const bpp = depth / 8;
  const stride = width * bpp;
  const rows = Buffer.alloc(stride * height);
  values.forEach((v, i) => (depth === 8 ? rows.writeUInt8(v, i) : rows.writeUInt16BE(v, 2 * i)));
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    const type = y % 5;
    raw[y * (stride + 1)] = type;
    for (let x = 0; x < stride; x++) {
      const cur = rows[y * stride + x];
      const a = x >= bpp ? rows[y * stride + x - bpp] : 0;
      const b = y > 0 ? rows[(y - 1) * stride + x] : 0;
      const c = x >= bpp && y > 0 ? rows[(y - 1) * stride + x - bpp] : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const predict = [0, a, b, (a + b) >> 1, paeth][type];
      raw[y * (stride + 1) + 1 + x] = (cur - predict) & 0xff;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([depth, 0, 0, 0, 0], 8);
  const idat = Buffer.concat([deflateSync(raw), idatTail]);
  // Split over two IDAT chunks, as encoders do for large images.
  const half = idat.length >> 1;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), ...extra, chunk('IDAT', idat.subarray(0, half)), chunk('IDAT', idat.subarray(half)), chunk('IEND', Buffer.alloc(0))]);
}

function random(seed: number) {
  return () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe('direct PNG decoding', () => {
  it('gives sharp\'s values for every real slice PNG in the fixtures', async () => {
    const files = [...pngsBelow(path.join(ROOT, 'test/fixtures')), ...pngsBelow(path.join(ROOT, '../shared/fixtures'))];
    expect(files.length).toBeGreaterThan(40);
    for (const file of files) {
      const bytes = readFileSync(file);
      const direct = decodeGreyPng(bytes);
      const m = await sharp(bytes).metadata();
      // Taken directly exactly when the file is plain greyscale (the golden set also holds an RGB slice).
      const plainGrey = m.channels === 1 && !m.hasAlpha && !m.isProgressive && !m.isPalette && (m.depth === 'uchar' || m.depth === 'ushort') && [8, 16].includes(m.bitsPerSample ?? 0);
      expect(direct !== undefined, file).toBe(plainGrey);
      if (direct) expect([...direct.stored], file).toEqual(await sharpStored(bytes));
    }
  });

  it('reverses all five filter types at 8 and 16 bits, over several IDAT chunks, odd sizes included', async () => {
    const rnd = random(3);
    for (const depth of [8, 16] as const) {
      for (const [w, h] of [[37, 23], [1, 9], [64, 64]]) {
        const max = depth === 8 ? 255 : 65535;
        // Smooth ramps plus noise: Average and Paeth meet carries and every predictor choice.
        const values = Array.from({ length: w * h }, (_, i) => Math.min(max, Math.floor(((i % w) * 7 + Math.floor(i / w) * 5) * (max / 500) + rnd() * (max / 8))));
        const png = filteredPng(values, w, h, depth);
        const direct = decodeGreyPng(png);
        expect(direct?.depth).toBe(depth);
        expect([...direct!.stored]).toEqual(values);
        expect(await sharpStored(png)).toEqual(values);
      }
    }
  });

  it('refuses every other kind of PNG, so sharp decodes it: colour, alpha, palette, low bit depths, interlaced, transparency, profiles', async () => {
    const grey = new Uint8Array(16 * 16).map((_, i) => i);
    const cases: [string, Uint8Array][] = [
      ['RGB 8', encode({ width: 16, height: 16, data: new Uint8Array(16 * 16 * 3), channels: 3 })],
      ['RGBA 8', encode({ width: 16, height: 16, data: new Uint8Array(16 * 16 * 4), channels: 4 })],
      ['grey + alpha 8', encode({ width: 16, height: 16, data: new Uint8Array(16 * 16 * 2), channels: 2 })],
      ['RGB 16', encode({ width: 16, height: 16, data: new Uint16Array(16 * 16 * 3), channels: 3, depth: 16 })],
      ['palette', await sharp(Buffer.from(new Uint8Array(16 * 16 * 3).map((_, i) => (i * 37) % 256)), { raw: { width: 16, height: 16, channels: 3 } }).png({ palette: true, colours: 4 }).toBuffer()],
      ['palette of 2 (low bit depth)', await sharp(Buffer.from(grey.map((v) => (v & 1 ? 255 : 0))), { raw: { width: 16, height: 16, channels: 1 } }).png({ palette: true, colours: 2 }).toBuffer()],
      ['interlaced grey 8', await sharp(Buffer.from(grey), { raw: { width: 16, height: 16, channels: 1 } }).png({ progressive: true }).toBuffer()],
      ['grey 8 with tRNS', filteredPng([...grey], 16, 16, 8, [chunk('tRNS', Buffer.from([0, 0]))])],
      ['grey 8 with gAMA', filteredPng([...grey], 16, 16, 8, [chunk('gAMA', Buffer.from([0, 0, 0xb1, 0x8f]))])],
      ['grey 8 with an unknown critical chunk', filteredPng([...grey], 16, 16, 8, [chunk('ABCD', Buffer.alloc(1))])],
    ];
    for (const bits of [1, 2, 4]) {
      const ihdr = Buffer.alloc(13);
      ihdr.writeUInt32BE(8);
      ihdr.writeUInt32BE(8, 4);
      ihdr.set([bits, 0, 0, 0, 0], 8);
      cases.push([`grey ${bits}-bit`, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(8 * (1 + bits)))), chunk('IEND', Buffer.alloc(0))])]);
    }
    for (const [name, png] of cases) expect(decodeGreyPng(png), name).toBeUndefined();
    // The plain file these variants come from is taken: the refusals are about what was added.
    expect(decodeGreyPng(filteredPng([...grey], 16, 16, 8))).toBeDefined();
  });

  it('refuses damaged files (bad CRC, truncated, bytes after the zlib stream, short data, not a PNG), so sharp words the error', () => {
    const good = filteredPng(Array.from({ length: 100 }, (_, i) => i), 10, 10, 8);
    const badCrc = Buffer.from(good);
    badCrc[good.length - 20] ^= 0xff; // inside the last IDAT
    const cases: [string, Uint8Array][] = [
      ['bad CRC', badCrc],
      ['truncated', good.subarray(0, good.length - 30)],
      ['no IEND', good.subarray(0, good.length - 12)],
      ['trailing zlib data', filteredPng(Array.from({ length: 100 }, (_, i) => i), 10, 10, 8, [], Buffer.from([1, 2, 3]))],
      ['rows missing', filteredPng(Array.from({ length: 100 }, (_, i) => i), 10, 10, 8).fill(0, 16, 20)], // IHDR width changed: CRC fails
      ['JPEG bytes', Buffer.from([0xff, 0xd8, 0xff, 0xe0, ...new Array(60).fill(0)])],
      ['empty', new Uint8Array(0)],
    ];
    for (const [name, png] of cases) expect(decodeGreyPng(png), name).toBeUndefined();
    expect(decodeGreyPng(good)).toBeDefined();
  });
});
