// Checks on the dataset's files as files: present, readable, regular, and of the size the manifest gives.
import { DATA_OFFSET, type Manifest } from 'shard-format';
import { readFailure, type Problem } from './problem.js';

/** A folder without manifest.json is not a dataset (its build did not finish). */
export const NO_MANIFEST = 'no manifest.json: not a dataset folder (or its build did not finish)';

export type FileRole = 'manifest' | 'shard' | 'index';

/** Where a problem about shard `s`'s file (`role` shard or index) is located. */
export function fileOf(manifest: Manifest, s: number, role: Exclude<FileRole, 'manifest'>): Pick<Problem, 'shard' | 'file'> {
  const entry = manifest.shards[s];
  return role === 'shard' ? { shard: entry.file } : { shard: entry.file, file: entry.index.file };
}

/** A file named in the manifest could not be opened or read: missing (damage), or unreadable (a check that cannot run). */
export function openFailure(err: unknown, role: FileRole): Pick<Problem, 'message' | 'unreadable'> {
  if ((err as NodeJS.ErrnoException)?.code === 'ENOENT' && role !== 'manifest') return { message: `${role} named in the manifest is missing` };
  return { message: `cannot be read: ${readFailure(err)}`, unreadable: true };
}

export const NOT_A_FILE = 'is not a regular file';

/** Why shard `s` of `size` bytes is not the size the manifest gives it (which records that costs), or undefined. */
export function shardSizeProblem(manifest: Manifest, s: number, size: number): string | undefined {
  const { bytes: expected, samples } = manifest.shards[s];
  if (size === expected) return undefined;
  const head = `is ${size} bytes, the manifest says ${expected}`;
  if (size > expected) return `${head} (${size - expected} bytes appended after the last record)`;
  if (size < DATA_OFFSET) return `${head} (truncated inside the header page: all ${samples} records missing)`;
  const whole = Math.min(samples, Math.floor((size - DATA_OFFSET) / manifest.schema.record.stride));
  return `${head} (truncated: ${whole === samples - 1 ? `record ${whole}` : `records ${whole}..${samples - 1}`} of ${samples} missing or incomplete)`;
}

/** Why shard `s`'s index sidecar of `size` bytes is not the size the manifest gives it, or undefined. */
export function indexSizeProblem(manifest: Manifest, s: number, size: number): string | undefined {
  const expected = manifest.shards[s].index.bytes;
  if (size === expected) return undefined;
  return `is ${size} bytes, the manifest says ${expected}${size < expected ? ' (truncated)' : ''}`;
}
