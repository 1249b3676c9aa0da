// `shard serve <dir>`: the local dataset browser; prints its URL on stdout and serves until interrupted.
import { Command } from 'commander';
import { intInRange } from '../format-units.js';
import { UsageError } from '../cli-error.js';
import { openForCli } from '../open-dataset.js';
import { resolveUserPath } from '../user-path.js';
import { startViewServer } from '../view/server.js';

interface ServeFlags {
  port: number;
  host: string;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('browse a dataset in a local web page: summary, label charts, thumbnails, slices with window/level, verify (read-only)')
    .argument('<dir>', 'dataset folder (holds manifest.json)')
    .option('--port <n>', 'TCP port (0: any free port)', intInRange(0, 65535), 0)
    .option('--host <addr>', 'address to listen on (other than loopback exposes the dataset to the network)', '127.0.0.1')
    .action(async (dirArg: string, flags: ServeFlags) => {
      const dir = resolveUserPath(dirArg);
      const ds = await openForCli(dir);
      let view;
      try {
        view = await startViewServer(ds, { host: flags.host, port: flags.port });
      } catch (err) {
        await ds.close();
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UsageError(`cannot listen on ${flags.host}:${flags.port} (${code})`);
        throw err;
      }
      process.stdout.write(`${view.url}\n`);
      process.stderr.write(`serving ${dir} read-only; Ctrl-C stops\n`);
      // Runs until SIGINT/SIGTERM; then the server and the dataset close and the command returns 0.
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await view.close();
      await ds.close();
    });
}
