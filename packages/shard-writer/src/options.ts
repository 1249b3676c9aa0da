// Build options: defaults, validation, and the `256MiB`-style size parser.
import os from 'node:os';
import { DTYPES, LIMITS, PAGE_SIZE, type Dtype, type Fit, type ShardEntry } from 'shard-format';
import type { TreeLabelSource } from './label-source.js';
import type { IntensityMode } from './values.js';
import type { CtWindow, WindowChoice } from './window.js';

/** What a bad input does to a build: stop it, or skip the input and report it. */
export const ON_ERROR = ['fail', 'skip'] as const;
export type OnError = (typeof ON_ERROR)[number];
/** The dtypes a build writes from images (int16/float32 hold modality values and are not built from this path). */
/** Every stored dtype can be built: uint8/uint16 display values, int16/float32 modality values. */
export const BUILD_DTYPES = DTYPES;
export const FITS = ['contain', 'cover', 'fill'] as const satisfies readonly Fit[];

export interface BuildOptions {
  input: string;
  out: string;
  size?: number;
  dtype?: Dtype;
  fit?: Fit;
  kernel?: Kernel;
  /** DICOM linear VOI on modality values, to uint8; `dicom`: each file's own first WindowCenter/Width. */
  window?: WindowChoice | null;
  /** One uint8 channel per window (C = windows.length); excludes `window`. */
  windows?: CtWindow[] | null;
  /** PNG/TIFF: modality = stored x slope + intercept (DICOM/NIfTI carry their own). Default identity. */
  rescale?: { slope: number; intercept: number } | null;
  /** uint8 output without a window: how values reach 0..255 (default auto). */
  intensity?: IntensityMode;
  /** Target shard file size in bytes. */
  shardBytes?: number;
  /** Images decoded at once; default: two per core, so every core stays busy while the main thread writes. */
  workers?: number;
  onError?: OnError;
  onProgress?: (p: BuildProgress) => void;
  /** One label file for the whole tree instead of per-folder labels.csv. */
  labels?: TreeLabelSource;
  /** Build only the slices with these keys (one split of a split build); the rest are not inputs. */
  only?: ReadonlySet<string>;
  /** With `only`: also count (as skipped) the image files discovery left out by name. One split does. */
  countExcluded?: boolean;
  /** Build part k (0-based) of n of the whole plan: its shards and a part.json, merged later by `shard merge`. */
  part?: { k: number; n: number };
  /**
   * Runs once a shard and its index are complete, before the build goes on (an upload to object storage):
   * `dir` holds both files under their final names until the hook returns.
   */
  onShardWritten?: (dir: string, entry: ShardEntry) => Promise<void>;
}

export interface BuildProgress {
  /** `range`: the first pass of `--intensity dataset` (decodes every image once to find the value range). */
  phase: 'scan' | 'range' | 'write';
  /** The split being built (split builds only). */
  split?: string;
  total: number;
  done: number;
  written: number;
  skipped: number;
}

export type ResolvedOptions = Required<Omit<BuildOptions, 'onProgress' | 'labels' | 'only' | 'countExcluded' | 'part' | 'onShardWritten'>> & Pick<BuildOptions, 'onProgress' | 'labels' | 'only' | 'countExcluded' | 'part' | 'onShardWritten'>;

/** Build decode concurrency (images decoded at once): two per core. Not the reader's batch threads. */
export function defaultWorkers(): number {
  return 2 * os.availableParallelism();
}

export const DEFAULT_SHARD_BYTES = 256 * 1024 * 1024;
export const KERNELS = ['nearest', 'linear', 'cubic', 'mitchell', 'lanczos2', 'lanczos3'] as const;
export type Kernel = (typeof KERNELS)[number];

/** Build defaults, defined once: resolveOptions applies them and the CLI's --help shows them. Workers: defaultWorkers(). */
export const BUILD_DEFAULTS = { size: 256, dtype: 'uint8', fit: 'contain', kernel: 'lanczos3', shardBytes: DEFAULT_SHARD_BYTES, onError: 'fail' } as const satisfies Partial<BuildOptions>;

export function resolveOptions(o: BuildOptions): ResolvedOptions {
  const r: ResolvedOptions = {
    input: o.input,
    out: o.out,
    size: o.size ?? BUILD_DEFAULTS.size,
    dtype: o.dtype ?? BUILD_DEFAULTS.dtype,
    fit: o.fit ?? BUILD_DEFAULTS.fit,
    kernel: o.kernel ?? BUILD_DEFAULTS.kernel,
    window: o.window ?? null,
    windows: o.windows ?? null,
    rescale: o.rescale ?? null,
    intensity: o.intensity ?? { mode: 'auto' },
    shardBytes: o.shardBytes ?? BUILD_DEFAULTS.shardBytes,
    workers: o.workers ?? defaultWorkers(),
    onError: o.onError ?? BUILD_DEFAULTS.onError,
    onProgress: o.onProgress,
    labels: o.labels,
    only: o.only,
    countExcluded: o.countExcluded,
    part: o.part,
    onShardWritten: o.onShardWritten,
  };
  if (r.part && !(Number.isSafeInteger(r.part.n) && r.part.n >= 1 && Number.isSafeInteger(r.part.k) && r.part.k >= 0 && r.part.k < r.part.n)) {
    throw new RangeError(`part must be k/n with k from 0 to n-1 (got ${r.part.k}/${r.part.n})`);
  }
  if (r.part && r.only) throw new RangeError('--part cannot be combined with --split (build each split with its own --part runs instead)');
  if (!Number.isInteger(r.size) || r.size < 1 || r.size > LIMITS.maxSide) throw new RangeError(`size must be an integer from 1 to ${LIMITS.maxSide} (got ${r.size})`);
  if (!(BUILD_DTYPES as readonly string[]).includes(r.dtype)) throw new RangeError(`dtype must be one of ${BUILD_DTYPES.join(', ')} (got ${r.dtype})`);
  if (!(FITS as readonly string[]).includes(r.fit)) throw new RangeError(`fit must be contain, cover or fill (got ${r.fit})`);
  if (!(KERNELS as readonly string[]).includes(r.kernel)) throw new RangeError(`kernel must be one of ${KERNELS.join(', ')} (got ${r.kernel})`);
  if (r.window && r.dtype !== 'uint8') throw new RangeError(`--window maps to uint8; it cannot be combined with --dtype ${r.dtype}`);
  if (r.windows && r.dtype !== 'uint8') throw new RangeError(`--windows maps to uint8 channels; it cannot be combined with --dtype ${r.dtype}`);
  if (r.windows && r.window) throw new RangeError('give either --window or --windows, not both');
  if (r.windows && (r.windows.length < 2 || r.windows.length > LIMITS.maxChannels)) throw new RangeError(`--windows needs 2 to ${LIMITS.maxChannels} windows (got ${r.windows.length})`);
  if (r.rescale && !(Number.isFinite(r.rescale.slope) && r.rescale.slope !== 0 && Number.isFinite(r.rescale.intercept))) {
    throw new RangeError(`--rescale must be <slope>,<intercept> with a finite, non-zero slope (got ${r.rescale.slope},${r.rescale.intercept})`);
  }
  if (!Number.isInteger(r.workers) || r.workers < 1) throw new RangeError(`workers must be a positive integer (got ${r.workers})`);
  // A shard is a header page plus at least one page of records; the manifest stores the size as an integer up to maxShardBytes.
  if (!Number.isSafeInteger(r.shardBytes) || r.shardBytes < 2 * PAGE_SIZE || r.shardBytes > LIMITS.maxShardBytes) {
    throw new RangeError(`shard size must be from ${2 * PAGE_SIZE} bytes (8KiB) to ${LIMITS.maxShardBytes} bytes (256TiB) (got ${r.shardBytes})`);
  }
  if (!(ON_ERROR as readonly string[]).includes(r.onError)) throw new RangeError(`on-error must be fail or skip (got ${r.onError})`);
  return r;
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30 };

/** Parses `256MiB`, `64MB`, `1GiB` or a plain byte count. */
export function parseBytes(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new RangeError(`not a byte size: ${JSON.stringify(text)} (use e.g. 256MiB, 64MB or 1048576)`);
  return Math.round(Number(m[1]) * unit);
}

/** Parses `--rescale <slope>,<intercept>`. */
export function parseRescale(text: string): { slope: number; intercept: number } {
  const parts = text.split(',').map((t) => Number(t.trim()));
  if (parts.length !== 2 || !parts.every(Number.isFinite) || parts[0] === 0) throw new RangeError(`--rescale must be <slope>,<intercept> with a non-zero slope, e.g. 1,-1024 (got ${JSON.stringify(text)})`);
  return { slope: parts[0], intercept: parts[1] };
}
