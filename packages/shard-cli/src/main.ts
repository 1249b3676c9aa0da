// The `shard` command: parses arguments, runs one subcommand, turns errors into one line and an exit code.
// No work at import: bin/shard.js is the process entry (Node check, libuv pool size) and calls main.
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { benchCommand } from './commands/bench.js';
import { buildCommand } from './commands/build.js';
import { exportCommand } from './commands/export.js';
import { inspectCommand } from './commands/inspect.js';
import { mergeCommand } from './commands/merge.js';
import { orderCommand } from './commands/order.js';
import { serveCommand } from './commands/serve.js';
import { verifyCommand } from './commands/verify.js';
import { exitCodeOf, reportError, USAGE_EXIT } from './cli-error.js';
import { fromCommanderError, silenceCommander } from './commander-errors.js';

export { resolveUserPath, userCwd } from './user-path.js';

/** The program; `onError` learns which (sub)command commander failed in, for the --help hint. */
export function createProgram(onError: (cmd: Command) => void = () => {}): Command {
  // From src/ or dist/ alike, the package root is one level up.
  const { version } = createRequire(import.meta.url)('../package.json') as { version: string };
  const program = silenceCommander(
    new Command('shard')
      .description('Build, verify, inspect and stream fixed-size CT-slice shards for TensorFlow.js training.')
      .version(version, '-V, --version', 'print the shard-cli version')
      .option('--debug', 'print stack traces'),
    onError,
  );
  for (const cmd of [buildCommand(), verifyCommand(), inspectCommand(), exportCommand(), orderCommand(), benchCommand(), serveCommand(), mergeCommand()]) program.addCommand(silenceCommander(cmd, onError));
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
