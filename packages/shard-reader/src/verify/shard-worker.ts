// Worker thread for `verifyDataset`: checks whole shards (index sidecar, then the shard) on its own core.
import { parentPort, workerData } from 'node:worker_threads';
import { allocateChunks, checkIndex, checkShard, type ShardCheckContext } from './check-shard.js';
import { ShardProblems } from './problems.js';
import type { ShardJob, WorkerMessage, WorkerSetup } from './threads.js';

const setup = workerData as WorkerSetup;
const bufs = allocateChunks(setup.manifest, setup.quick);
const post = (m: WorkerMessage) => parentPort!.postMessage(m);
const ctx: ShardCheckContext = { dir: setup.dir, manifest: setup.manifest, quick: setup.quick, onBytes: (n) => post({ bytes: n }) };

parentPort!.on('message', ({ shard }: ShardJob) => {
  const problems = new ShardProblems(setup.manifest.shards[shard].file);
  checkIndex(ctx, shard, problems)
    .then(async (index) => {
      await checkShard(ctx, shard, index, bufs, problems);
      return index?.bounds;
    })
    .then(
      (bounds) => post({ shard, problems: problems.list, bounds }),
      (err: unknown) => post({ shard, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
    );
});
