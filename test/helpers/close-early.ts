// Child-process script for a regression test: stop reading with batches still in flight, close, then go on.
import { openDataset } from 'shard-reader';

const ds = await openDataset(process.argv[2], { workers: 2 });
await ds.ready();
for await (const b of ds.batches({ batchSize: 2, prefetch: 8 })) {
  void b;
  break; // seven prefetched batches are still being assembled
}
// A second stream, float32 like the tfjs adapter's, also abandoned with work in flight.
for await (const b of ds.batches({ batchSize: 4, prefetch: 8, float: { scale: 1 / 255, offset: 0 } })) {
  void b;
  break;
}
await ds.close();
process.stdout.write('after close\n');
