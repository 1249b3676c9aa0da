#!/usr/bin/env node
// The `shard` command: parses arguments, runs one subcommand, turns errors into one line and an exit code.
import os from 'node:os';
import { Command, CommanderError } from 'commander';
import { benchCommand } from './commands/bench.js';
import { buildCommand } from './commands/build.js';
import { exportCommand } from './commands/export.js';
import { inspectCommand } from './commands/inspect.js';
import { orderCommand } from './commands/order.js';
import { serveCommand } from './commands/serve.js';
import { verifyCommand } from './commands/verify.js';
import { exitCodeOf, reportError } from './cli-error.js';

// sharp and fs work run on libuv's pool; size it for the default two decodes per core before anything uses it.
process.env.UV_THREADPOOL_SIZE ??= String(Math.max(4, 2 * os.availableParallelism()));

export function createProgram(): Command {
  const program = new Command('shard')
    .description('Build, verify, inspect and stream fixed-size CT-slice shards for TensorFlow.js training.')
    .option('--debug', 'print stack traces')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const cmd of [buildCommand(), verifyCommand(), inspectCommand(), exportCommand(), orderCommand(), benchCommand(), serveCommand()]) program.addCommand(cmd.exitOverride().showHelpAfterError('(run with --help for usage)'));
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = createProgram();
  process.exitCode = 0;
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
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
