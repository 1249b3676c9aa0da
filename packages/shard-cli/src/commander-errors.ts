// Commander's own parse errors as ours: silenced where commander would print them, re-issued as one `shard: ...` line, exit 2.
import { Command, CommanderError } from 'commander';
import { UsageError } from './cli-error.js';

/** 'shard build' for the build subcommand: what the user types before --help. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Makes `cmd` throw instead of exiting and print nothing itself; `onError` learns which command
 * failed (commander reports it only through the output hooks), so the hint names the right --help.
 */
export function silenceCommander(cmd: Command, onError: (cmd: Command) => void): Command {
  return cmd.exitOverride().configureOutput({
    outputError: () => onError(cmd),
    // Only error-time help goes here (a missing subcommand); main prints its own line instead.
    writeErr: () => {},
  });
}

/** null when commander finished normally (--help, --version); else the usage error to report. */
export function fromCommanderError(err: CommanderError, failed: Command, program: Command, argv: readonly string[]): UsageError | null {
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return null;
  if (err.code === 'commander.help') {
    if (err.exitCode === 0) return null;
    // Error-time help comes from a bare `shard` or from `shard help <unknown>`.
    const names = program.commands.map((c) => c.name()).filter((n) => n !== 'help');
    const operands = argv.filter((a) => !a.startsWith('-'));
    const what = operands[0] === 'help' && operands[1] !== undefined ? `unknown command '${operands[1]}'` : 'missing command';
    return new UsageError(`${what}: one of ${names.join(', ')}`, { helpFor: commandPath(program) });
  }
  const message = err.message
    .replace(/^error: /, '')
    .replace(/ is invalid\. /, ' is invalid: ')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ')
    .replace(/\.$/, '');
  return new UsageError(message, { helpFor: commandPath(failed) });
}
