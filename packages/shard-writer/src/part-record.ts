// part.json: what one `--part k/n` build wrote, for `shard merge` to check and assemble. Never a dataset by itself.
import { canonicalJson, sha256Hex, type Schema, type ShardEntry, type SkippedInput } from 'shard-format';
import type { TotalsJson } from './values.js';

export const PART_FILE = 'part.json';
export const PART_FORMAT = 'ct-shards-part';
export const PART_VERSION = 1;

export interface PartRecord {
  format: typeof PART_FORMAT;
  version: number;
  /** SHA-256 of the whole plan (every input, every option): all parts of one build share it. */
  plan: string;
  buildId: string;
  part: { k: number; n: number };
  /** Shards and samples of the whole plan this part was given (as planned: no input skipped). */
  range: { firstShard: number; endShard: number; firstSample: number; endSample: number; totalShards: number; totalSamples: number };
  schema: Schema;
  schemaHash: string;
  recordsPerShard: number;
  dataOffset: number;
  build: {
    tool: string;
    shardBytes: number;
    /** Inputs of the whole plan, and those left out by name (decided by the plan, the same in every part). */
    inputs: number;
    excluded: SkippedInput[];
  };
  /** Inputs this part skipped, in plan order (a volume cut by a part boundary is reported by both parts). */
  skipped: SkippedInput[];
  samples: number;
  /** Value statistics of this part's samples (ValueTotals JSON). */
  values: TotalsJson;
  shards: ShardEntry[];
  /**
   * For shards whose index lists no `meta` (PNG/JPEG/TIFF only): each record's source file extension as
   * [extension, run length] pairs, so a merge that re-packs them beside DICOM/NIfTI records can name their sources.
   */
  sourceExtensions: Record<string, [string, number][]>;
  /** SHA-256 of the canonical JSON of every other field: proves the record is ours and unedited. */
  checksum: string;
}

export function partChecksum(r: Omit<PartRecord, 'checksum'> & { checksum?: unknown }): string {
  const { checksum: _ignored, ...rest } = r;
  return sha256Hex(canonicalJson(rest));
}

export function encodePartRecord(r: Omit<PartRecord, 'checksum'>): string {
  return canonicalJson({ ...r, checksum: partChecksum(r) }, 1) + '\n';
}

/** The record in `text`, or why it is not a part record of this tool (one short phrase). */
export function decodePartRecord(text: string): PartRecord | string {
  let r: PartRecord;
  try {
    r = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (r === null || typeof r !== 'object' || r.format !== PART_FORMAT) return `its format is not "${PART_FORMAT}"`;
  if (r.version !== PART_VERSION) return `version ${String(r.version)} is not ${PART_VERSION}`;
  if (typeof r.checksum !== 'string' || r.checksum !== partChecksum(r)) return 'its checksum does not match its content (edited or damaged)';
  const ok =
    /^[0-9a-f]{64}$/.test(r.plan) &&
    /^[0-9a-f]{32}$/.test(r.buildId) &&
    Number.isSafeInteger(r.part?.k) &&
    Number.isSafeInteger(r.part?.n) &&
    r.part.k >= 0 &&
    r.part.k < r.part.n &&
    Array.isArray(r.shards) &&
    r.shards.every((s) => /^shard-\d+\.bin$/.test(s?.file) && /^shard-\d+\.index\.json$/.test(s?.index?.file)) &&
    Array.isArray(r.skipped) &&
    Array.isArray(r.build?.excluded);
  return ok ? r : 'it does not hold the fields of a part record';
}

/** `part 2/4` as people read it. */
export function partName(r: Pick<PartRecord, 'part'>): string {
  return `part ${r.part.k}/${r.part.n}`;
}
