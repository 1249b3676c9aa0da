// Child process for test/worker-flags.test.ts: reads one epoch with two worker threads (under whatever Node
// flags it was started with), then starts a worker the way the built package (dist/) does; prints a JSON line.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { openDataset } from 'shard-reader';
import { startWorker, workerEntry } from '../../packages/shard-reader/src/worker-entry.js';

const [dir, scratch] = process.argv.slice(2);
const ds = await openDataset(dir, { workers: 2 });
await ds.ready(); // rejects if a worker thread could not start
let samples = 0;
for await (const b of ds.batches({ batchSize: 8 })) samples += b.keys.length;
await ds.close();

// dist/: the caller is a .js file and the worker is the .js beside it.
writeFileSync(path.join(scratch, 'probe.js'), "require('node:worker_threads').parentPort.postMessage('up');\n");
const { file, options } = workerEntry(pathToFileURL(path.join(scratch, 'caller.js')).href, 'probe');
const worker = startWorker(file, options);
const message = await new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject));
await worker.terminate();
process.stdout.write(JSON.stringify({ samples, dist: message, execArgv: options.execArgv }) + '\n');
