// Child-process script for a regression test: stop reading with batches still in flight, close, then go on.
import { openDataset } from 'shard-reader';

const ds = await openDataset(process.argv[2], { workers: 2 });
await ds.ready();
for await (const b of ds.batches({ batchSize: 2, prefetch: 8 })) {
  void b;
  break; // seven prefetched batches are still being assembled
}
await ds.close();
process.stdout.write('after close\n');
