// JPEG Extended sequential DCT at 12-bit precision (DICOM Process 4), which no well-kept JS/WASM package decodes right.
//
// libjpeg-turbo's WASM build is 8-bit only, and the pdf.js-derived decoders in daikon and cornerstone
// shift 12-bit samples by 2063 instead of 2048 (about +15 on every value, measured on JPGExtended.dcm).
// This follows ITU T.81 (Huffman sequential, Annex F) and libjpeg 6b's integer IDCT (jidctint.c,
// 12-bit: PASS1_BITS 1), the decoder GDCM uses, so results agree with pydicom + GDCM.
import type { DecodedFrame } from './raw-samples.js';

const ZIGZAG = Int32Array.from([0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63]);

interface Huffman {
  maxCode: Int32Array; // per code length 1..16, -1 when none
  valPtr: Int32Array;
  minCode: Int32Array;
  values: Uint8Array;
}

interface Component {
  id: number;
  h: number;
  v: number;
  quant: number;
  dc?: Huffman;
  ac?: Huffman;
  pred: number;
  blocksPerLine: number;
  blocksPerColumn: number;
  output: Int32Array; // reconstructed samples, blocksPerLine*8 wide
}

/** T.81 C.2 / F.2.2.3: code tables from the BITS counts and HUFFVAL list. */
function buildHuffman(counts: Uint8Array, values: Uint8Array): Huffman {
  const maxCode = new Int32Array(17).fill(-1);
  const valPtr = new Int32Array(17);
  const minCode = new Int32Array(17);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    const n = counts[len - 1];
    if (n > 0) {
      valPtr[len] = k;
      minCode[len] = code;
      code += n;
      k += n;
      maxCode[len] = code - 1;
    }
    code <<= 1;
  }
  return { maxCode, valPtr, minCode, values };
}

class BitReader {
  private bits = 0;
  private count = 0;
  constructor(
    private readonly data: Uint8Array,
    public pos: number,
  ) {}

  /** One bit; past a marker it feeds zeros (T.81 F.2.2.5), which the caller's counts then reject. */
  bit(): number {
    if (this.count === 0) {
      let byte = 0;
      if (this.pos < this.data.length) {
        byte = this.data[this.pos];
        if (byte === 0xff) {
          const next = this.data[this.pos + 1];
          if (next === 0) this.pos += 2;
          else byte = 0; // a marker: do not consume it
        } else this.pos++;
      }
      this.bits = byte;
      this.count = 8;
    }
    this.count--;
    return (this.bits >> this.count) & 1;
  }

  receive(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = (v << 1) | this.bit();
    return v;
  }

  decode(table: Huffman): number {
    let code = this.bit();
    for (let len = 1; len <= 16; len++) {
      if (code <= table.maxCode[len]) return table.values[table.valPtr[len] + code - table.minCode[len]];
      code = (code << 1) | this.bit();
    }
    throw new Error('bad Huffman code');
  }

  /** Drops the partial byte and steps over an RSTn marker. */
  restart(): void {
    this.count = 0;
    while (this.pos + 1 < this.data.length && !(this.data[this.pos] === 0xff && this.data[this.pos + 1] >= 0xd0 && this.data[this.pos + 1] <= 0xd7)) this.pos++;
    this.pos += 2;
  }
}

/** F.2.2.1 EXTEND: a t-bit magnitude category value to its signed difference. */
const extend = (v: number, t: number) => (t === 0 ? 0 : v < 1 << (t - 1) ? v - (1 << t) + 1 : v);

function decodeBlock(r: BitReader, c: Component, block: Int32Array): void {
  block.fill(0);
  const t = r.decode(c.dc!);
  c.pred += extend(r.receive(t), t);
  block[0] = c.pred;
  for (let k = 1; k < 64; ) {
    const rs = r.decode(c.ac!);
    const s = rs & 15;
    const run = rs >> 4;
    if (s === 0) {
      if (run !== 15) break; // EOB
      k += 16;
      continue;
    }
    k += run;
    if (k > 63) throw new Error('AC coefficient index past 63');
    block[ZIGZAG[k]] = extend(r.receive(s), s);
    k++;
  }
}

// libjpeg jidctint.c constants (CONST_BITS 13).
const CONST_BITS = 13;
const PASS1_BITS = 1; // 12-bit samples
const F0_298 = 2446, F0_390 = 3196, F0_541 = 4433, F0_765 = 6270, F0_899 = 7373, F1_175 = 9633, F1_501 = 12299, F1_847 = 15137, F1_961 = 16069, F2_053 = 16819, F2_562 = 20995, F3_072 = 25172;
// Plain division keeps the arithmetic exact where 32-bit shifts could overflow on 12-bit data.
const descale = (x: number, n: number) => Math.floor((x + 2 ** (n - 1)) / 2 ** n);

/** One 1-D 8-point IDCT step of jpeg_idct_islow over in[o + s*i]; returns the 8 outputs before descaling. */
function idct1d(src: ArrayLike<number>, o: number, s: number, out: Float64Array): void {
  let z2 = src[o + 2 * s], z3 = src[o + 6 * s];
  let z1 = (z2 + z3) * F0_541;
  let tmp2 = z1 + z3 * -F1_847;
  let tmp3 = z1 + z2 * F0_765;
  z2 = src[o];
  z3 = src[o + 4 * s];
  let tmp0 = (z2 + z3) * 2 ** CONST_BITS;
  let tmp1 = (z2 - z3) * 2 ** CONST_BITS;
  const tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2;
  tmp0 = src[o + 7 * s];
  tmp1 = src[o + 5 * s];
  tmp2 = src[o + 3 * s];
  tmp3 = src[o + s];
  z1 = tmp0 + tmp3;
  z2 = tmp1 + tmp2;
  z3 = tmp0 + tmp2;
  let z4 = tmp1 + tmp3;
  const z5 = (z3 + z4) * F1_175;
  tmp0 *= F0_298;
  tmp1 *= F2_053;
  tmp2 *= F3_072;
  tmp3 *= F1_501;
  z1 *= -F0_899;
  z2 *= -F2_562;
  z3 = z3 * -F1_961 + z5;
  z4 = z4 * -F0_390 + z5;
  tmp0 += z1 + z3;
  tmp1 += z2 + z4;
  tmp2 += z2 + z3;
  tmp3 += z1 + z4;
  out[0] = tmp10 + tmp3;
  out[7] = tmp10 - tmp3;
  out[1] = tmp11 + tmp2;
  out[6] = tmp11 - tmp2;
  out[2] = tmp12 + tmp1;
  out[5] = tmp12 - tmp1;
  out[3] = tmp13 + tmp0;
  out[4] = tmp13 - tmp0;
}

// Scratch space reused by every block (decoding is synchronous, so one set per thread is enough).
const deq = new Float64Array(64);
const work = new Float64Array(64);
const line = new Float64Array(8);

function idctBlock(coef: Int32Array, quant: Uint16Array, c: Component, row: number, col: number, precision: number): void {
  for (let i = 0; i < 64; i++) deq[i] = coef[i] * quant[i];
  for (let x = 0; x < 8; x++) {
    idct1d(deq, x, 8, line);
    for (let y = 0; y < 8; y++) work[8 * y + x] = descale(line[y], CONST_BITS - PASS1_BITS);
  }
  const centre = 1 << (precision - 1);
  const max = (1 << precision) - 1;
  const stride = c.blocksPerLine * 8;
  for (let y = 0; y < 8; y++) {
    idct1d(work, 8 * y, 1, line);
    const base = (row * 8 + y) * stride + col * 8;
    for (let x = 0; x < 8; x++) c.output[base + x] = Math.min(max, Math.max(0, descale(line[x], CONST_BITS + PASS1_BITS + 3) + centre));
  }
}

/** Decodes a sequential (SOF0/SOF1) Huffman JPEG whose components are not subsampled. */
export function decodeJpegExtended(data: Uint8Array): DecodedFrame {
  if (data[0] !== 0xff || data[1] !== 0xd8) throw new Error('no JPEG SOI marker');
  const quant: Uint16Array[] = [];
  const dcTables: Huffman[] = [];
  const acTables: Huffman[] = [];
  let components: Component[] = [];
  let width = 0;
  let height = 0;
  let precision = 8;
  let restartInterval = 0;
  let pos = 2;
  const u16 = (at: number) => (data[at] << 8) | data[at + 1];
  while (pos + 4 <= data.length) {
    if (data[pos] !== 0xff) throw new Error(`expected a marker at byte ${pos}`);
    const marker = data[pos + 1];
    if (marker === 0xff) {
      pos++;
      continue;
    }
    if (marker === 0xd9) break; // EOI
    const length = u16(pos + 2);
    const body = pos + 4;
    const end = pos + 2 + length;
    if (marker === 0xdb) {
      for (let p = body; p < end; ) {
        const pq = data[p] >> 4;
        const table = new Uint16Array(64);
        for (let k = 0; k < 64; k++) table[ZIGZAG[k]] = pq ? u16(p + 1 + 2 * k) : data[p + 1 + k];
        quant[data[p] & 15] = table;
        p += 1 + 64 * (pq ? 2 : 1);
      }
    } else if (marker === 0xc4) {
      for (let p = body; p < end; ) {
        const counts = data.subarray(p + 1, p + 17);
        const total = counts.reduce((a, b) => a + b, 0);
        const table = buildHuffman(counts, data.subarray(p + 17, p + 17 + total));
        (data[p] >> 4 === 0 ? dcTables : acTables)[data[p] & 15] = table;
        p += 17 + total;
      }
    } else if (marker === 0xdd) {
      restartInterval = u16(body);
    } else if (marker === 0xc0 || marker === 0xc1) {
      precision = data[body];
      height = u16(body + 1);
      width = u16(body + 3);
      const n = data[body + 5];
      components = Array.from({ length: n }, (_, i) => {
        const at = body + 6 + 3 * i;
        return { id: data[at], h: data[at + 1] >> 4, v: data[at + 1] & 15, quant: data[at + 2], pred: 0, blocksPerLine: Math.ceil(width / 8), blocksPerColumn: Math.ceil(height / 8), output: new Int32Array(0) };
      });
      if (components.some((c) => c.h !== 1 || c.v !== 1)) throw new Error('subsampled components are not supported at 12-bit');
      for (const c of components) c.output = new Int32Array(c.blocksPerLine * 8 * c.blocksPerColumn * 8);
    } else if (marker >= 0xc2 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      throw new Error(`JPEG process SOF${marker - 0xc0} is not supported (sequential Huffman only)`);
    } else if (marker === 0xda) {
      const ns = data[body];
      const scan = Array.from({ length: ns }, (_, i) => {
        const c = components.find((x) => x.id === data[body + 1 + 2 * i]);
        if (!c) throw new Error('scan names an unknown component');
        c.dc = dcTables[data[body + 2 + 2 * i] >> 4];
        c.ac = acTables[data[body + 2 + 2 * i] & 15];
        if (!c.dc || !c.ac || !quant[c.quant]) throw new Error('scan uses a missing Huffman or quantisation table');
        c.pred = 0;
        return c;
      });
      const reader = new BitReader(data, end);
      const block = new Int32Array(64);
      const blocksPerLine = scan[0].blocksPerLine;
      const mcus = blocksPerLine * scan[0].blocksPerColumn;
      for (let m = 0; m < mcus; m++) {
        if (restartInterval && m > 0 && m % restartInterval === 0) {
          reader.restart();
          for (const c of scan) c.pred = 0;
        }
        const row = Math.floor(m / blocksPerLine);
        const col = m % blocksPerLine;
        for (const c of scan) {
          decodeBlock(reader, c, block);
          idctBlock(block, quant[c.quant], c, row, col, precision);
        }
      }
      pos = reader.pos;
      // Skip to the next marker (EOI, or another scan's tables).
      while (pos + 1 < data.length && !(data[pos] === 0xff && data[pos + 1] !== 0 && (data[pos + 1] < 0xd0 || data[pos + 1] > 0xd7))) pos++;
      continue;
    }
    pos = end;
  }
  if (!width || !height || components.length === 0) throw new Error('no frame header (SOF0/SOF1)');
  const n = components.length;
  const samples = new Uint16Array(width * height * n);
  components.forEach((c, ci) => {
    const stride = c.blocksPerLine * 8;
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) samples[(y * width + x) * n + ci] = c.output[y * stride + x];
  });
  return { width, height, components: n, samples, colourConverted: false };
}
