// Writes a deterministic synthetic CT slice tree (patient_NNN/slice_NNN.png + labels.csv) for demos, tests and benchmarks.
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { encode } from 'fast-png';
import { LABEL_NAMES, Rng, makeCanvas, makePatient, mixSeed, quantize, renderSlice, sliceLabels, tintRgb } from './synthetic/phantom.js';

export interface SyntheticOptions {
  /** Output root; created if missing. Existing files with the same names are overwritten, others are left alone. */
  out: string;
  /** Patients per split (default 4). */
  patients?: number;
  /** Slices per patient (default 8). */
  slices?: number;
  /** Square side in pixels (default 256). */
  size?: number;
  /** Greyscale bit depth (default 16). */
  bits?: 8 | 16;
  /** Default 1; the same options always give byte-identical files. */
  seed?: number;
  /** Split folder names, e.g. ['train', 'val']; each gets its own `patients` patients, numbered on across splits. */
  splits?: string[];
  /** 8-bit RGB PNGs (tinted grey) instead of greyscale. */
  rgb?: boolean;
  /** Patients cycle through 16-bit grey, 8-bit grey, 8-bit RGB and a smaller non-square 16-bit size. */
  mixed?: boolean;
}

export interface SyntheticResult {
  /** All files written: PNGs plus one labels.csv per patient. */
  files: number;
  /** PNG slices written. */
  slices: number;
  /** Absolute output root. */
  dir: string;
}

interface SliceFormat {
  width: number;
  height: number;
  depth: 8 | 16;
  channels: 1 | 3;
}

type Resolved = Required<SyntheticOptions>;

/** Bad options: the CLI exits 2 ("cannot run") rather than 1. */
class OptionError extends Error {}

const DEFAULTS = { patients: 4, slices: 8, size: 256, bits: 16, seed: 1 } as const;

function resolveOptions(opts: SyntheticOptions): Resolved {
  const o: Resolved = {
    out: opts.out,
    patients: opts.patients ?? DEFAULTS.patients,
    slices: opts.slices ?? DEFAULTS.slices,
    size: opts.size ?? DEFAULTS.size,
    bits: opts.bits ?? DEFAULTS.bits,
    seed: opts.seed ?? DEFAULTS.seed,
    splits: opts.splits ?? [],
    rgb: opts.rgb ?? false,
    mixed: opts.mixed ?? false,
  };
  const intIn = (name: string, v: number, min: number, max: number): void => {
    if (!Number.isInteger(v) || v < min || v > max) throw new OptionError(`--${name} must be an integer from ${min} to ${max}, got ${v}`);
  };
  intIn('patients', o.patients, 1, 100_000);
  intIn('slices', o.slices, 1, 100_000);
  intIn('size', o.size, 8, 16_384);
  if (o.bits !== 8 && o.bits !== 16) throw new OptionError(`--bits must be 8 or 16, got ${o.bits}`);
  if (!Number.isSafeInteger(o.seed)) throw new OptionError(`--seed must be an integer, got ${o.seed}`);
  if (o.rgb && o.mixed) throw new OptionError('--rgb and --mixed cannot be combined');
  for (const s of o.splits) {
    if (!/^[\w.-]+$/.test(s) || s === '.' || s === '..') throw new OptionError(`bad split name '${s}'`);
  }
  if (new Set(o.splits).size !== o.splits.length) throw new OptionError(`duplicate split name in ${o.splits.join(',')}`);
  return o;
}

/** Output format of one patient; in --mixed mode it cycles with the global patient index. */
function formatFor(o: Resolved, patientIndex: number): SliceFormat {
  const square = { width: o.size, height: o.size };
  if (o.rgb) return { ...square, depth: 8, channels: 3 };
  if (!o.mixed) return { ...square, depth: o.bits, channels: 1 };
  switch (patientIndex % 4) {
    case 0:
      return { ...square, depth: 16, channels: 1 };
    case 1:
      return { ...square, depth: 8, channels: 1 };
    case 2:
      return { ...square, depth: 8, channels: 3 };
    default:
      // 200x180 at size 256: odd sizes and aspect ratios must be resized by the builder.
      return { width: Math.round(o.size * 0.78125), height: Math.round(o.size * 0.703125), depth: 16, channels: 1 };
  }
}

/** Zero-padded number, at least 3 digits and enough for `total`. */
function pad(n: number, total: number): string {
  return String(n).padStart(Math.max(3, String(total).length), '0');
}

/** Encodes slices of one format, reusing its pixel buffers across slices. */
function sliceEncoder(f: SliceFormat): (canvas: Float32Array, rng: Rng) => Uint8Array {
  const n = f.width * f.height;
  const grey = f.depth === 16 ? new Uint16Array(n) : new Uint8Array(n);
  const rgb = f.channels === 3 ? new Uint8Array(n * 3) : undefined;
  return (canvas, rng) => {
    // 8-bit keeps HU -1024..+1016 (stored / 8): lungs, soft tissue and bone stay distinct.
    if (f.depth === 16) quantize(canvas, grey, rng, 1, 4095);
    else quantize(canvas, grey, rng, 8, 255);
    if (rgb) tintRgb(grey as Uint8Array, rgb);
    return encode({ width: f.width, height: f.height, data: rgb ?? grey, depth: f.depth, channels: f.channels });
  };
}

/** Writes one patient folder; returns the number of slices written. */
async function writePatient(dir: string, o: Resolved, patientIndex: number): Promise<number> {
  const format = formatFor(o, patientIndex);
  const model = makePatient(mixSeed(o.seed, patientIndex + 1));
  const canvas = makeCanvas(format.width, format.height);
  const encodeSlice = sliceEncoder(format);
  const rows = [`slice,${LABEL_NAMES.join(',')}\n`];
  await mkdir(dir, { recursive: true });
  // One write stays in flight while the next slice is rendered: disk latency hides behind CPU work.
  let pending: Promise<void> = Promise.resolve();
  for (let i = 0; i < o.slices; i++) {
    const z = (i + 0.5) / o.slices;
    const rng = new Rng(mixSeed(o.seed, patientIndex + 1, i + 1));
    renderSlice(canvas, model, z, rng);
    const name = `slice_${pad(i + 1, o.slices)}.png`;
    const png = encodeSlice(canvas.data, rng);
    await pending;
    pending = writeFile(join(dir, name), png);
    rows.push(`${name},${sliceLabels(model, z).join(',')}\n`);
  }
  await pending;
  await writeFile(join(dir, 'labels.csv'), rows.join(''));
  return o.slices;
}

/** Generates the whole tree. Deterministic: the same options give byte-identical files. */
export async function makeSyntheticSet(opts: SyntheticOptions): Promise<SyntheticResult> {
  const o = resolveOptions(opts);
  const dir = resolve(o.out);
  const splits = o.splits.length ? o.splits : [''];
  const total = o.patients * splits.length;
  let slices = 0;
  for (let s = 0; s < splits.length; s++) {
    for (let p = 0; p < o.patients; p++) {
      const index = s * o.patients + p;
      slices += await writePatient(join(dir, splits[s], `patient_${pad(index + 1, total)}`), o, index);
    }
  }
  return { files: slices + total, slices, dir };
}

const USAGE = `Usage: node --import tsx scripts/make-synthetic.ts --out <dir> [options]

Writes <out>/[<split>/]patient_NNN/slice_NNN.png and a labels.csv per patient
(columns: slice,${LABEL_NAMES.join(',')}). Same options => byte-identical files.

  --out <dir>        output root (required; existing files are overwritten)
  --patients <n>     patients per split (default ${DEFAULTS.patients})
  --slices <n>       slices per patient (default ${DEFAULTS.slices})
  --size <px>        square image side (default ${DEFAULTS.size})
  --bits 8|16        greyscale bit depth (default ${DEFAULTS.bits})
  --seed <n>         random seed (default ${DEFAULTS.seed})
  --split a,b        write one folder per split, e.g. train,val; patients are
                     numbered on across splits, so no patient is in two splits
  --rgb              8-bit RGB PNGs (tinted grey)
  --mixed            patients cycle: 16-bit grey, 8-bit grey, 8-bit RGB,
                     16-bit at a non-square smaller size (200x180 for 256)
  --help             show this text`;

function intArg(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw new OptionError(`--${name} must be an integer, got '${v}'`);
  return Number(v);
}

function parseCli(argv: string[]): SyntheticOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      patients: { type: 'string' },
      slices: { type: 'string' },
      size: { type: 'string' },
      bits: { type: 'string' },
      seed: { type: 'string' },
      split: { type: 'string' },
      rgb: { type: 'boolean' },
      mixed: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  if (!values.out) throw new OptionError('--out <dir> is required (see --help)');
  const bits = intArg('bits', values.bits);
  if (values.rgb && bits === 16) throw new OptionError('--rgb writes 8-bit PNGs; drop --bits 16');
  return {
    out: values.out,
    patients: intArg('patients', values.patients),
    slices: intArg('slices', values.slices),
    size: intArg('size', values.size),
    bits: bits as 8 | 16 | undefined,
    seed: intArg('seed', values.seed),
    splits: values.split?.split(',').map((s) => s.trim()),
    rgb: values.rgb,
    mixed: values.mixed,
  };
}

async function main(): Promise<void> {
  try {
    const opts = parseCli(process.argv.slice(2));
    if (!opts) {
      console.log(USAGE);
      return;
    }
    const t0 = performance.now();
    const { files, slices, dir } = await makeSyntheticSet(opts);
    const seconds = (performance.now() - t0) / 1000;
    console.log(`make-synthetic: wrote ${files} files (${slices} slices) to ${dir} in ${seconds.toFixed(2)} s (${Math.round(slices / seconds)} slices/s)`);
  } catch (err) {
    console.error(`make-synthetic: ${err instanceof Error ? err.message : String(err)}`);
    const usage = err instanceof OptionError || String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
    process.exitCode = usage ? 2 : 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
