// What `verifyDataset` reports: one Problem per finding, located by shard / record / key / file.
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
   * Set while checking: the file could not be read at all (permission denied, I/O error). That is not
   * damage but a check that could not run; verifyDataset reports these in `unreadable`, not `problems`.
   */
  unreadable?: true;
}

/** After this many bad records in one shard, the rest are summarised in one line. */
export const MAX_RECORD_PROBLEMS_PER_SHARD = 100;

/** `shard-00002.bin record 17 (key patient_003/slice_012): checksum mismatch`. */
export function formatProblem(p: Problem): string {
  const parts: string[] = [];
  const where = p.file ?? p.shard;
  if (where !== undefined) parts.push(where);
  if (p.record !== undefined) parts.push(`record ${p.record}`);
  if (p.key !== undefined) parts.push(`(key ${p.key})`);
  return parts.length ? `${parts.join(' ')}: ${p.message}` : p.message;
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

/** Problems of one shard (and its index), with the per-shard cap on record problems. */
export class ShardProblems {
  readonly list: Problem[] = [];
  private badRecords = 0;

  constructor(readonly shard: string) {}

  add(message: string, where: Omit<Problem, 'shard' | 'message'> = {}): void {
    this.list.push({ shard: this.shard, ...where, message });
  }

  /** The shard (or, with `file`, its index) cannot be read: the check of it could not run. */
  cannotRead(err: unknown, where: Pick<Problem, 'file'> = {}): void {
    this.list.push({ shard: this.shard, ...where, message: `cannot be read: ${readFailure(err)}`, unreadable: true });
  }

  record(record: number, key: string | undefined, message: string): void {
    this.badRecords++;
    if (this.badRecords > MAX_RECORD_PROBLEMS_PER_SHARD) return;
    this.list.push(key === undefined ? { shard: this.shard, record, message } : { shard: this.shard, record, key, message });
  }

  /** How many records had a problem (listed or not). */
  get damagedRecords(): number {
    return this.badRecords;
  }

  /** Adds the summary line for records beyond the cap; call once, when the scan is done. */
  finish(): void {
    const hidden = this.badRecords - MAX_RECORD_PROBLEMS_PER_SHARD;
    if (hidden > 0) this.add(`${hidden} more damaged records not listed (${this.badRecords} in all)`);
  }
}
