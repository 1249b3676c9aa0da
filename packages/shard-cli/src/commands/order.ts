// `shard order <dir>`: the sample keys in exactly the order the reader yields them (no image bytes read).
import { Command } from 'commander';
import { openForCli } from '../open-dataset.js';
import { addReaderFlags, batchOptions, batchStream, type ReaderFlags } from '../reader-flags.js';
import { resolveUserPath } from '../user-path.js';

export function orderCommand(): Command {
  return addReaderFlags(
    new Command('order')
      .description('print sample keys in the order the reader yields them for these options, one per line')
      .argument('<dir>', 'dataset folder')
      .option('--json', 'print a JSON array of keys')
      .option('--batches', 'mark batch boundaries (one line per batch: keys separated by spaces)'),
  ).action(async (dirArg: string, flags: ReaderFlags & { json?: boolean; batches?: boolean }) => {
    const ds = await openForCli(resolveUserPath(dirArg));
    try {
      const stream = batchStream(ds, batchOptions(flags), 'shard order');
      const batches: string[][] = [];
      for (let b = flags.startBatch; b < stream.batchesPerEpoch; b++) batches.push(Array.from(stream.plan.batch(b), (i) => ds.keys[i]));
      if (flags.json) process.stdout.write(JSON.stringify(flags.batches ? batches : batches.flat()) + '\n');
      else process.stdout.write(batches.map((b) => b.join(flags.batches ? ' ' : '\n')).join('\n') + (batches.length ? '\n' : ''));
    } finally {
      await ds.close();
    }
  });
}
