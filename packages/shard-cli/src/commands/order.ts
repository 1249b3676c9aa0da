// `shard order <dir>`: the sample keys in exactly the order the reader yields them (no image bytes read).
import { Command } from 'commander';
import { addRemoteFlags, datasetLocation, openForCli, type RemoteFlags } from '../open-dataset.js';
import { addReaderFlags, batchOptions, batchStream, type ReaderFlags } from '../reader-flags.js';

export function orderCommand(): Command {
  return addRemoteFlags(addReaderFlags(
    new Command('order')
      .description('print sample keys in the order the reader yields them for these options, one per line')
      .argument('<dir>', 'dataset folder, s3://bucket/prefix or https://host/path/')
      .option('--json', 'print a JSON array of keys')
      .option('--batches', 'mark batch boundaries (one line per batch: keys separated by spaces)'),
  )).action(async (dirArg: string, flags: ReaderFlags & RemoteFlags & { json?: boolean; batches?: boolean }) => {
    const options = batchOptions(flags, 'shard order'); // bad flags before any dataset is opened
    const ds = await openForCli(datasetLocation(dirArg), {}, flags);
    try {
      const stream = batchStream(ds, options, 'shard order');
      const batches: string[][] = [];
      for (let b = flags.startBatch; b < stream.batchesPerEpoch; b++) batches.push(Array.from(stream.plan.batch(b), (i) => ds.keys[i]));
      if (flags.json) process.stdout.write(JSON.stringify(flags.batches ? batches : batches.flat()) + '\n');
      else process.stdout.write(batches.map((b) => b.join(flags.batches ? ' ' : '\n')).join('\n') + (batches.length ? '\n' : ''));
    } finally {
      await ds.close();
    }
  });
}
