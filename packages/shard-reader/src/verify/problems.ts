// How `verifyDataset` collects the integrity checks' problems of one shard, with a cap on record problems.
import { readFailure, type Problem } from '../integrity/index.js';

export type { Problem };

/** After this many bad records in one shard, the rest are summarised in one line. */
export const MAX_RECORD_PROBLEMS_PER_SHARD = 100;

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
