// The `shard` command: parses arguments, runs one subcommand, turns errors into one line and an exit code.
// No work at import: bin/shard.js is the process entry (Node check, libuv pool size) and calls main.
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { benchCommand } from './commands/bench.js';
import { buildCommand } from './commands/build.js';
import { exportCommand } from './commands/export.js';
import { inspectCommand } from './commands/inspect.js';
import { orderCommand } from './commands/order.js';
import { verifyCommand } from './commands/verify.js';
import { exitCodeOf, reportError } from './cli-error.js';

export function createProgram(): Command {
  // From src/ or dist/ alike, the package root is one level up.
  const { version } = createRequire(import.meta.url)('../package.json') as { version: string };
  const program = new Command('shard')
    .description('Build, verify, inspect and stream fixed-size CT-slice shards for TensorFlow.js training.')
    .version(version, '-V, --version', 'print the shard-cli version')
    .option('--debug', 'print stack traces')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const cmd of [buildCommand(), verifyCommand(), inspectCommand(), exportCommand(), orderCommand(), benchCommand()]) program.addCommand(cmd.exitOverride().showHelpAfterError('(run with --help for usage)'));
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
