// One finding of the integrity checks, where it is, and how it reads as a line or as a thrown error.
import path from 'node:path';
import { FormatError } from 'shard-format';

/**
 * One finding. `shard` is the shard file name when the problem is in or about a shard (also for its
 * index sidecar); `file` names a non-shard file at fault (manifest.json, an index sidecar, a stray file).
 * `record` and `key` are set when the finding is about one record.
 */
export interface Problem {
  shard?: string;
  record?: number;
  key?: string;
  file?: string;
  message: string;
  /**
   * The file could not be read at all (permission denied, I/O error). That is not damage but a check
   * that could not run; verifyDataset reports these in `unreadable`, not `problems`.
   */
  unreadable?: true;
}

/** `shard-00002.bin record 17 (key patient_003/slice_012): checksum mismatch`. */
export function formatProblem(p: Problem): string {
  const parts: string[] = [];
  const where = p.file ?? p.shard;
  if (where !== undefined) parts.push(where);
  if (p.record !== undefined) parts.push(`record ${p.record}`);
  if (p.key !== undefined) parts.push(`(key ${p.key})`);
  return parts.length ? `${parts.join(' ')}: ${p.message}` : p.message;
}

/** The problem as the error openDataset throws: same message, the file given as its full path under `dir`. */
export function problemError(dir: string, p: Problem): FormatError {
  const name = p.file ?? p.shard;
  return new FormatError(p.message, { file: name === undefined ? dir : path.join(dir, name), record: p.record, key: p.key });
}

/** The message of an error without its location (the Problem carries the file). */
export function bareMessage(err: unknown, file?: string): string {
  if (err instanceof FormatError) return err.reason;
  const message = err instanceof Error ? err.message : String(err);
  if (file !== undefined && message.startsWith(`${file}: `)) return message.slice(file.length + 2);
  return message;
}

/** Why a file could not be read, for a person: "permission denied (EACCES)". */
export function readFailure(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const why: Record<string, string> = { EACCES: 'permission denied', EPERM: 'operation not permitted', EIO: 'I/O error', EISDIR: 'is a folder' };
  if (typeof e?.code === 'string') return why[e.code] ? `${why[e.code]} (${e.code})` : e.code;
  return bareMessage(err);
}
