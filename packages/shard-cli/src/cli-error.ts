// Errors the CLI turns into one line and an exit code, and the handler that does it.
import { FormatError } from 'shard-format';
import { CacheFullError, RemoteError } from 'shard-reader';
import { InputError } from 'shard-writer';

/** Exit code of a command that cannot run as typed: bad option value, missing argument, unknown flag, no dataset. */
export const USAGE_EXIT = 2;
/** Exit code of bad input data or damage found. */
export const DATA_EXIT = 1;

/** Bad arguments or a missing dataset: the command cannot run (exit 2). */
export class UsageError extends Error {
  override name = 'UsageError';
  /** When set (e.g. 'shard build'), the line ends with a hint to run that command's --help. */
  readonly helpFor?: string;
  constructor(message: string, options: { helpFor?: string } = {}) {
    super(message);
    this.helpFor = options.helpFor;
  }
}

/** The command ran and found a problem it reports with this exit code. */
export class ExitError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError) return USAGE_EXIT;
  if (err instanceof ExitError) return err.exitCode;
  return DATA_EXIT;
}

/** One line for the user; the stack only with --debug or for errors that are our bugs. */
export function reportError(err: unknown, debug: boolean): void {
  const known = err instanceof UsageError || err instanceof ExitError || err instanceof InputError || err instanceof FormatError || err instanceof RangeError || err instanceof RemoteError || err instanceof CacheFullError || isFsError(err);
  const message = (err instanceof Error ? err.message : String(err)).split('\n')[0];
  const hint = err instanceof UsageError && err.helpFor ? ` (run '${err.helpFor} --help' for usage)` : '';
  process.stderr.write(`shard: ${message}${hint}\n`);
  if (debug || !known) process.stderr.write(`${err instanceof Error ? err.stack : ''}\n`);
}

/** Runs a check that reports bad option values as RangeError, turning them into usage errors. */
export function asUsage<T>(helpFor: string, check: () => T, prefix = ''): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(`${prefix}${err.message}`, { helpFor });
    throw err;
  }
}

function isFsError(err: unknown): boolean {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && typeof (err as NodeJS.ErrnoException).syscall === 'string';
}
