// Runs shard checks in worker threads, so hashing and CRCs use every core (the in-process path is one thread).
import type { Worker } from 'node:worker_threads';
import type { Manifest } from 'shard-format';
import { startWorker, terminateWorkers, workerEntry } from '../worker-entry.js';
import type { KeyBounds, Problem } from '../integrity/index.js';

export interface WorkerSetup {
  dir: string;
  manifest: Manifest;
  quick: boolean;
}
export interface ShardJob {
  shard: number;
}
export type WorkerMessage = { bytes: number } | { shard: number; problems: Problem[]; bounds: KeyBounds | undefined } | { shard: number; error: string };

/**
 * Checks every shard of `setup.manifest` with `threads` workers, each taking the next shard when done.
 * Returns each shard's problems and key bounds, in manifest order.
 */
export async function checkShardsInThreads(setup: WorkerSetup, threads: number, onBytes: (n: number) => void): Promise<{ problems: Problem[]; bounds: KeyBounds | undefined }[]> {
  const count = setup.manifest.shards.length;
  const results: { problems: Problem[]; bounds: KeyBounds | undefined }[] = new Array(count);
  const { file, options } = workerEntry(import.meta.url, 'shard-worker');
  let next = 0;
  const workers: Worker[] = [];
  try {
    await Promise.all(
      Array.from({ length: Math.min(threads, count) }, () => {
        const w = startWorker(file, { ...options, workerData: setup });
        workers.push(w);
        return new Promise<void>((resolve, reject) => {
          const give = () => {
            if (next >= count) return resolve();
            w.postMessage({ shard: next++ } satisfies ShardJob);
          };
          w.on('message', (m: WorkerMessage) => {
            if ('bytes' in m) return onBytes(m.bytes);
            if ('error' in m) return reject(new Error(`verify worker failed on ${setup.manifest.shards[m.shard].file}: ${m.error}`));
            results[m.shard] = { problems: m.problems, bounds: m.bounds };
            give();
          });
          w.on('error', (err) => reject(new Error(`verify worker failed: ${err.message}`)));
          w.on('exit', (code) => reject(new Error(`verify worker exited early (code ${code})`)));
          give();
        });
      }),
    );
  } finally {
    await terminateWorkers(workers);
  }
  return results;
}
