// Per-shard index sidecar (shard-NNNNN.index.json): sample keys and labels, readable without image bytes.
import { canonicalJson } from './canonical-json.js';
import { FORMAT_VERSION, INDEX_FORMAT, LIMITS } from './constants.js';
import { FormatError } from './errors.js';
import { JsonChecker, parseJson } from './validate.js';

/**
 * Why `key` is not a valid sample key, or undefined when it is: keys are relative `/`-separated paths
 * (tools such as `shard export` write files named after them), so no empty, `.` or `..` segment, no
 * leading `/`, no backslash, no control characters.
 */
export function keyProblem(key: string): string | undefined {
  if (key.length === 0) return 'is empty';
  if (Buffer.byteLength(key, 'utf8') > LIMITS.maxKeyBytes) return `is longer than ${LIMITS.maxKeyBytes} UTF-8 bytes`;
  if (/[\\\u0000-\u001f\u007f]/.test(key)) return 'contains a backslash or a control character (U+0000..U+001F, U+007F)';
  if (/[\ud800-\udfff]/u.test(key)) return 'contains a lone surrogate (not valid Unicode)';
  if (key.split('/').some((seg) => seg === '' || seg === '.' || seg === '..')) return 'must be a relative path without empty, "." or ".." segments';
  return undefined;
}

/**
 * Per-sample metadata (optional `meta` in an index: one object per record), readable without image
 * bytes. `source` is the input file relative to the input root; the rest is DICOM (or NIfTI `k`, `t`).
 */
export interface SampleMeta {
  source: string;
  patientId?: string;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  sopInstanceUid?: string;
  instanceNumber?: number;
  imagePositionPatient?: number[];
  imageOrientationPatient?: number[];
  /** Row spacing then column spacing, in mm (DICOM order). */
  pixelSpacing?: number[];
  sliceThickness?: number;
  frame?: number;
  k?: number;
  t?: number;
  /**
   * DICOM series order, decided at build: `series` numbers the dataset's series (SeriesInstanceUID),
   * `position` is the sample's rank in its series along the slice normal (InstanceNumber when
   * positions are missing). Keys stay sorted; context slices and `ds.series()` follow this order.
   */
  series?: number;
  position?: number;
}

const META_STRINGS = ['patientId', 'studyInstanceUid', 'seriesInstanceUid', 'sopInstanceUid'] as const;
const META_VECTORS = { imagePositionPatient: 3, imageOrientationPatient: 6, pixelSpacing: 2 } as const;
const META_INTS = ['frame', 'k', 't', 'series', 'position'] as const;

function decodeMeta(c: JsonChecker, value: unknown, at: string): SampleMeta {
  const o = c.object(value, at);
  c.only(o, at, ['source', 'instanceNumber', 'sliceThickness', ...META_STRINGS, ...Object.keys(META_VECTORS), ...META_INTS]);
  const m: SampleMeta = { source: c.string(o.source, `${at}.source`, LIMITS.maxKeyBytes) };
  for (const k of META_STRINGS) if (o[k] !== undefined) m[k] = c.string(o[k], `${at}.${k}`, 256);
  for (const k of ['instanceNumber', 'sliceThickness'] as const) if (o[k] !== undefined) m[k] = c.number(o[k], `${at}.${k}`);
  for (const [k, n] of Object.entries(META_VECTORS) as [keyof typeof META_VECTORS, number][]) {
    if (o[k] === undefined) continue;
    const v = c.array(o[k], `${at}.${k}`, n).map((x, i) => c.number(x, `${at}.${k}[${i}]`));
    if (v.length !== n) c.fail(`${at}.${k}`, `must hold ${n} numbers`);
    m[k] = v;
  }
  for (const k of META_INTS) if (o[k] !== undefined) m[k] = c.int(o[k], `${at}.${k}`, 0, 2 ** 31);
  if ((m.series === undefined) !== (m.position === undefined)) c.fail(at, 'has one of series and position without the other');
  return m;
}

export interface ShardIndex {
  format: typeof INDEX_FORMAT;
  version: number;
  shard: string;
  firstSample: number;
  keys: string[];
  /** One row per record, float32 values (as stored in the record). */
  labels: number[][];
  /** Optional: one object per record (DICOM/NIfTI builds). */
  meta?: SampleMeta[];
}

export function encodeShardIndex(index: Omit<ShardIndex, 'format' | 'version'>): string {
  return canonicalJson({ format: INDEX_FORMAT, version: FORMAT_VERSION, ...index }) + '\n';
}

/** Parses and validates an index sidecar against what the manifest expects of it. */
export function decodeShardIndex(text: string, file: string, expect: { shard: string; firstSample: number; samples: number; labelCount: number }): ShardIndex {
  const c = new JsonChecker(file);
  const root = c.object(parseJson(text, file), 'index');
  c.only(root, 'index', ['firstSample', 'format', 'keys', 'labels', 'meta', 'shard', 'version']);
  if (root.format !== INDEX_FORMAT) c.fail('format', `must be "${INDEX_FORMAT}"`);
  const version = c.int(root.version, 'version', 0, 2 ** 31);
  if (version !== FORMAT_VERSION) throw new FormatError(`unsupported index version ${version}`, { file });
  const shard = c.fileName(root.shard, 'shard');
  if (shard !== expect.shard) c.fail('shard', `is ${JSON.stringify(shard)}, the manifest pairs it with ${JSON.stringify(expect.shard)}`);
  const firstSample = c.int(root.firstSample, 'firstSample', 0, LIMITS.maxSamples);
  if (firstSample !== expect.firstSample) c.fail('firstSample', `is ${firstSample}, the manifest says ${expect.firstSample}`);
  const keys = c.array(root.keys, 'keys', LIMITS.maxRecordsPerShard) as unknown[];
  if (keys.length !== expect.samples) c.fail('keys', `has ${keys.length} entries, the manifest says ${expect.samples}`);
  const labels = c.array(root.labels, 'labels', LIMITS.maxRecordsPerShard) as unknown[];
  if (labels.length !== expect.samples) c.fail('labels', `has ${labels.length} rows, the manifest says ${expect.samples}`);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (typeof k !== 'string') return c.fail(`keys[${i}]`, 'must be a string');
    const problem = keyProblem(k);
    if (problem) c.fail(`keys[${i}]`, `${problem} (got ${JSON.stringify(k.slice(0, 80))})`);
    if (i > 0 && !((keys[i - 1] as string) < k)) c.fail(`keys[${i}]`, `${JSON.stringify(k.slice(0, 80))} ${keys[i - 1] === k ? 'appears twice' : 'is out of order'}: keys are unique and sorted`);
    const row = labels[i];
    if (!Array.isArray(row) || row.length !== expect.labelCount) c.fail(`labels[${i}]`, `must be an array of ${expect.labelCount} numbers`);
    for (const x of row as unknown[]) if (typeof x !== 'number' || !Number.isFinite(x)) c.fail(`labels[${i}]`, 'must hold only finite numbers');
  }
  let meta: SampleMeta[] | undefined;
  if (root.meta !== undefined) {
    const rows = c.array(root.meta, 'meta', LIMITS.maxRecordsPerShard);
    if (rows.length !== expect.samples) c.fail('meta', `has ${rows.length} entries, the manifest says ${expect.samples}`);
    meta = rows.map((r, i) => decodeMeta(c, r, `meta[${i}]`));
  }
  return { format: INDEX_FORMAT, version, shard, firstSample, keys: keys as string[], labels: labels as number[][], ...(meta ? { meta } : {}) };
}
