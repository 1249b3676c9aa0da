// manifest.json: the dataset's table of contents. Encoded canonically, validated strictly on read.
import { canonicalJson } from './canonical-json.js';
import { DATA_OFFSET, DTYPES, FORMAT_VERSION, LIMITS, MANIFEST_FORMAT } from './constants.js';
import { sha256Hex } from './checksum.js';
import { FormatError } from './errors.js';
import { recordLayout, recordsPerShard, type Shape } from './layout.js';
import { schemaHash, type Fit, type Preprocess, type Schema } from './schema.js';
import { JsonChecker, parseJson } from './validate.js';

export interface FileEntry {
  file: string;
  bytes: number;
  sha256: string;
}

export interface ShardEntry extends FileEntry {
  samples: number;
  firstSample: number;
  index: FileEntry;
}

export interface SkippedInput {
  file: string;
  reason: string;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  version: number;
  schema: Schema;
  schemaHash: string;
  /** 32 hex digits: the build every shard of this dataset belongs to (in each header and key CRC). */
  buildId: string;
  samples: number;
  recordsPerShard: number;
  dataOffset: number;
  build: {
    tool: string;
    shardBytes: number;
    inputs: number;
    written: number;
    skipped: SkippedInput[];
  };
  /** Modality values the build saw; absent when no sample was written. */
  values?: ValueStats;
  shards: ShardEntry[];
  /** SHA-256 (hex) of the canonical compact JSON of every other field: no edit goes unnoticed. */
  checksum: string;
}

export interface ValueStats {
  min: number;
  max: number;
  /** Pixel counts in 64 equal bins over [min, max]. */
  histogram: number[];
  /** Pixels clipped to the dtype's range (int16/uint16). */
  clipped: number;
  /** Images whose uint8 output (intensity mode, no window) has fewer than 32 grey levels. */
  fewLevels: number;
}

export const HISTOGRAM_BINS = 64;

export function manifestChecksum(m: Omit<Manifest, 'checksum'> & { checksum?: unknown }): string {
  const { checksum: _ignored, ...rest } = m;
  return sha256Hex(canonicalJson(rest));
}

/** Canonical text of a manifest, with its checksum filled in. */
export function encodeManifest(m: Omit<Manifest, 'checksum'>): string {
  return canonicalJson({ ...m, checksum: manifestChecksum(m) }, 1) + '\n';
}

const FITS: readonly Fit[] = ['contain', 'cover', 'fill'];

/** Parses and validates manifest text; every error names `file` and the offending field. */
export function decodeManifest(text: string, file: string): Manifest {
  const c = new JsonChecker(file);
  const root = c.object(parseJson(text, file), 'manifest');
  c.only(root, 'manifest', ['build', 'buildId', 'checksum', 'dataOffset', 'format', 'recordsPerShard', 'samples', 'schema', 'schemaHash', 'shards', 'values', 'version']);
  if (root.format !== MANIFEST_FORMAT) c.fail('format', `must be "${MANIFEST_FORMAT}"`);
  const version = c.int(root.version, 'version', 0, 2 ** 31);
  if (version !== FORMAT_VERSION) throw new FormatError(`unsupported manifest version ${version} (this reader knows ${FORMAT_VERSION})`, { file });
  const checksum = c.hex(root.checksum, 'checksum', 32);
  if (checksum !== manifestChecksum(root as unknown as Manifest)) c.fail('checksum', 'does not match the manifest content (edited or damaged)');

  const schema = decodeSchema(c, root.schema);
  const hash = c.hex(root.schemaHash, 'schemaHash', 32);
  if (hash !== schemaHash(schema)) c.fail('schemaHash', 'does not match the schema');
  const buildId = c.hex(root.buildId, 'buildId', 16);
  const samples = c.int(root.samples, 'samples', 0, LIMITS.maxSamples);
  const perShard = c.int(root.recordsPerShard, 'recordsPerShard', 1, LIMITS.maxRecordsPerShard);
  const dataOffset = c.int(root.dataOffset, 'dataOffset', DATA_OFFSET, DATA_OFFSET);

  const b = c.object(root.build, 'build');
  c.only(b, 'build', ['inputs', 'shardBytes', 'skipped', 'tool', 'written']);
  const build: Manifest['build'] = {
    tool: c.string(b.tool, 'build.tool'),
    shardBytes: c.int(b.shardBytes, 'build.shardBytes', 1, LIMITS.maxShardBytes),
    inputs: c.int(b.inputs, 'build.inputs', 0, LIMITS.maxSamples),
    written: c.int(b.written, 'build.written', 0, LIMITS.maxSamples),
    skipped: c.array(b.skipped, 'build.skipped', LIMITS.maxSamples).map((s, i) => {
      const o = c.object(s, `build.skipped[${i}]`);
      c.only(o, `build.skipped[${i}]`, ['file', 'reason']);
      return { file: c.string(o.file, `build.skipped[${i}].file`), reason: c.string(o.reason, `build.skipped[${i}].reason`, 1 << 16) };
    }),
  };
  if (build.inputs !== build.written + build.skipped.length) c.fail('build', `counts do not add up: inputs ${build.inputs} != written ${build.written} + skipped ${build.skipped.length}`);
  // Each written input gives one sample, or one per frame/slice (DICOM multi-frame, NIfTI).
  if (build.written > samples || (build.written === 0) !== (samples === 0)) c.fail('build.written', `is ${build.written} input(s) but samples is ${samples}`);
  const values = root.values === undefined ? undefined : decodeValues(c, root.values);
  // Optional (a writer may not gather them); when present, only with samples to describe.
  if (values && samples === 0) c.fail('values', 'must be absent when no sample was written');
  if (perShard !== recordsPerShard(build.shardBytes, DATA_OFFSET, schema.record.stride)) c.fail('recordsPerShard', 'does not follow from build.shardBytes and the record stride');

  const shards = c.array(root.shards, 'shards', LIMITS.maxShards).map((s, i) => decodeShardEntry(c, s, i));
  checkShardTable(c, shards, samples, perShard, schema.record.stride);
  return { format: MANIFEST_FORMAT, version, schema, schemaHash: hash, buildId, samples, recordsPerShard: perShard, dataOffset, build, ...(values ? { values } : {}), shards, checksum };
}

function decodeValues(c: JsonChecker, value: unknown): ValueStats {
  const v = c.object(value, 'values');
  c.only(v, 'values', ['clipped', 'fewLevels', 'histogram', 'max', 'min']);
  const min = c.number(v.min, 'values.min');
  const max = c.number(v.max, 'values.max');
  if (!(min <= max)) c.fail('values', `min ${min} is above max ${max}`);
  const histogram = c.array(v.histogram, 'values.histogram', HISTOGRAM_BINS).map((n, i) => c.int(n, `values.histogram[${i}]`, 0, Number.MAX_SAFE_INTEGER));
  if (histogram.length !== HISTOGRAM_BINS) c.fail('values.histogram', `must have ${HISTOGRAM_BINS} bins`);
  return { min, max, histogram, clipped: c.int(v.clipped, 'values.clipped', 0, Number.MAX_SAFE_INTEGER), fewLevels: c.int(v.fewLevels, 'values.fewLevels', 0, LIMITS.maxSamples) };
}

function decodeSchema(c: JsonChecker, value: unknown): Schema {
  const s = c.object(value, 'schema');
  c.only(s, 'schema', ['dtype', 'labelNames', 'preprocess', 'record', 'shape']);
  const shapeArr = c.array(s.shape, 'schema.shape', 3);
  if (shapeArr.length !== 3) c.fail('schema.shape', 'must be [height, width, channels]');
  const shape: Shape = [
    c.int(shapeArr[0], 'schema.shape[0]', 1, LIMITS.maxSide),
    c.int(shapeArr[1], 'schema.shape[1]', 1, LIMITS.maxSide),
    c.int(shapeArr[2], 'schema.shape[2]', 1, LIMITS.maxChannels),
  ];
  const dtype = c.oneOf(s.dtype, 'schema.dtype', DTYPES);
  const labelNames = c.array(s.labelNames, 'schema.labelNames', LIMITS.maxLabels).map((n, i) => c.string(n, `schema.labelNames[${i}]`, LIMITS.maxLabelName));
  if (new Set(labelNames).size !== labelNames.length) c.fail('schema.labelNames', 'has duplicates');
  let record;
  try {
    record = recordLayout(shape, dtype, labelNames.length);
  } catch (err) {
    c.fail('schema.shape', (err as Error).message);
  }
  const r = c.object(s.record, 'schema.record');
  c.only(r, 'schema.record', Object.keys(record));
  for (const k of Object.keys(record) as (keyof typeof record)[]) {
    if (r[k] !== record[k]) c.fail(`schema.record.${k}`, `must be ${record[k]} for this shape, dtype and label count`);
  }
  const p = c.object(s.preprocess, 'schema.preprocess');
  c.only(p, 'schema.preprocess', ['fit', 'intensity', 'kernel', 'rescale', 'size', 'window', 'windows']);
  const win = (value: unknown, at: string) => {
    const w = c.object(value, at);
    c.only(w, at, ['center', 'width']);
    return { center: c.number(w.center, `${at}.center`), width: c.number(w.width, `${at}.width`) };
  };
  const windows = p.windows === null ? null : c.array(p.windows, 'schema.preprocess.windows', LIMITS.maxChannels).map((w, i) => win(w, `schema.preprocess.windows[${i}]`));
  if (windows && windows.length !== shape[2]) c.fail('schema.preprocess.windows', `has ${windows.length} windows; it must give one per channel (${shape[2]})`);
  if (windows && dtype !== 'uint8') c.fail('schema.preprocess.windows', 'needs dtype uint8');
  const rs = p.rescale === null ? null : c.object(p.rescale, 'schema.preprocess.rescale');
  if (rs) c.only(rs, 'schema.preprocess.rescale', ['intercept', 'slope']);
  const intensity = c.string(p.intensity, 'schema.preprocess.intensity', 64);
  const num = String.raw`-?\d+(\.\d+)?(e[-+]?\d+)?`;
  if (!new RegExp(`^(auto|stored|minmax|percentile:\\d+(\\.\\d+)?,\\d+(\\.\\d+)?|dataset:${num},${num})$`).test(intensity)) {
    c.fail('schema.preprocess.intensity', `is ${JSON.stringify(intensity)}: auto, stored, minmax, percentile:<lo>,<hi> or dataset:<lo>,<hi>`);
  }
  const preprocess: Preprocess = {
    size: c.int(p.size, 'schema.preprocess.size', 1, LIMITS.maxSide),
    fit: c.oneOf(p.fit, 'schema.preprocess.fit', FITS),
    kernel: c.string(p.kernel, 'schema.preprocess.kernel', 64),
    window: p.window === null ? null : p.window === 'dicom' ? 'dicom' : win(p.window, 'schema.preprocess.window'),
    windows,
    rescale: rs && { slope: c.number(rs.slope, 'schema.preprocess.rescale.slope'), intercept: c.number(rs.intercept, 'schema.preprocess.rescale.intercept') },
    intensity,
  };
  return { shape, dtype, labelNames, record, preprocess };
}

function decodeFileEntry(c: JsonChecker, value: unknown, path: string, maxBytes: number, extra: readonly string[] = []): FileEntry {
  const o = c.object(value, path);
  c.only(o, path, ['bytes', 'file', 'sha256', ...extra]);
  return { file: c.fileName(o.file, `${path}.file`), bytes: c.int(o.bytes, `${path}.bytes`, 0, maxBytes), sha256: c.hex(o.sha256, `${path}.sha256`, 32) };
}

function decodeShardEntry(c: JsonChecker, value: unknown, i: number): ShardEntry {
  const path = `shards[${i}]`;
  const o = c.object(value, path);
  return {
    ...decodeFileEntry(c, o, path, 2 ** 48, ['firstSample', 'index', 'samples']),
    samples: c.int(o.samples, `${path}.samples`, 1, LIMITS.maxRecordsPerShard),
    firstSample: c.int(o.firstSample, `${path}.firstSample`, 0, LIMITS.maxSamples),
    index: decodeFileEntry(c, o.index, `${path}.index`, 2 ** 40),
  };
}

/** Shards must tile [0, samples) in order, full except the last, each exactly as long as its records. */
function checkShardTable(c: JsonChecker, shards: ShardEntry[], samples: number, perShard: number, stride: number): void {
  let next = 0;
  const names = new Set<string>();
  shards.forEach((s, i) => {
    if (names.has(s.file) || names.has(s.index.file)) c.fail(`shards[${i}]`, 'names a file twice');
    names.add(s.file).add(s.index.file);
    if (s.firstSample !== next) c.fail(`shards[${i}].firstSample`, `is ${s.firstSample}, expected ${next}`);
    const last = i === shards.length - 1;
    if (!last && s.samples !== perShard) c.fail(`shards[${i}].samples`, `is ${s.samples}; every shard but the last holds ${perShard}`);
    if (s.samples > perShard) c.fail(`shards[${i}].samples`, `is ${s.samples}, more than recordsPerShard ${perShard}`);
    if (s.bytes !== DATA_OFFSET + s.samples * stride) c.fail(`shards[${i}].bytes`, `is ${s.bytes}, expected ${DATA_OFFSET + s.samples * stride} for ${s.samples} records`);
    next += s.samples;
  });
  if (next !== samples) c.fail('shards', `hold ${next} samples but samples is ${samples}`);
}
