// Errors the CLI turns into one line and an exit code, and the handler that does it.
import { FormatError } from 'shard-format';
import { InputError } from 'shard-writer';

/** Bad arguments or a missing dataset: the command cannot run (exit 2). */
export class UsageError extends Error {
  override name = 'UsageError';
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
  if (err instanceof UsageError) return 2;
  if (err instanceof ExitError) return err.exitCode;
  return 1;
}

/** One line for the user; the stack only with --debug or for errors that are our bugs. */
export function reportError(err: unknown, debug: boolean): void {
  const known = err instanceof UsageError || err instanceof ExitError || err instanceof InputError || err instanceof FormatError || err instanceof RangeError || isFsError(err);
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`shard: ${message.split('\n')[0]}\n`);
  if (debug || !known) process.stderr.write(`${err instanceof Error ? err.stack : ''}\n`);
}

function isFsError(err: unknown): boolean {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && typeof (err as NodeJS.ErrnoException).syscall === 'string';
}
