#!/usr/bin/env node
// The `shard` command: parses arguments, runs one subcommand, turns errors into one line and an exit code.
import os from 'node:os';
import { Command, CommanderError } from 'commander';
import { benchCommand } from './commands/bench.js';
import { buildCommand } from './commands/build.js';
import { exportCommand } from './commands/export.js';
import { inspectCommand } from './commands/inspect.js';
import { orderCommand } from './commands/order.js';
import { verifyCommand } from './commands/verify.js';
import { exitCodeOf, reportError, USAGE_EXIT } from './cli-error.js';
import { fromCommanderError, silenceCommander } from './commander-errors.js';

// sharp and fs work run on libuv's pool; size it for the default two decodes per core before anything uses it.
process.env.UV_THREADPOOL_SIZE ??= String(Math.max(4, 2 * os.availableParallelism()));

export { resolveUserPath, userCwd } from './user-path.js';

/** The program; `onError` learns which (sub)command commander failed in, for the --help hint. */
export function createProgram(onError: (cmd: Command) => void = () => {}): Command {
  const program = silenceCommander(
    new Command('shard').description('Build, verify, inspect and stream fixed-size CT-slice shards for TensorFlow.js training.').option('--debug', 'print stack traces'),
    onError,
  );
  for (const cmd of [buildCommand(), verifyCommand(), inspectCommand(), exportCommand(), orderCommand(), benchCommand()]) program.addCommand(silenceCommander(cmd, onError));
  return program;
}

/** Runs `shard <argv...>`; resolves to the exit code: 0 done, 1 bad input data or damage found, 2 usage error. */
export async function main(argv: string[]): Promise<number> {
  let failed: Command | undefined;
  const program = createProgram((cmd) => (failed = cmd));
  process.exitCode = 0;
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      const usage = fromCommanderError(err, failed ?? program, program, argv);
      if (!usage) return 0;
      reportError(usage, false);
      return USAGE_EXIT;
    }
    reportError(err, program.opts().debug === true || argv.includes('--debug'));
    return exitCodeOf(err);
  }
}

const isEntry = process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!);
if (isEntry) {
  let settled = false;
  // If the event loop ever empties before the command settles, that is our bug: never exit 0 on it.
  process.on('exit', () => {
    if (!settled) {
      process.stderr.write('shard: internal error: the command stopped before finishing\n');
      process.exitCode = 70;
    }
  });
  main(process.argv.slice(2)).then((code) => {
    settled = true;
    process.exitCode = code;
  });
}
