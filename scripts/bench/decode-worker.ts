// Worker thread for the decode-only rows: decodes its share of the DICOM files (read from disk), results dropped.
import { readFile } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { decodeDicom } from '../../packages/shard-writer/src/decode/index.js';

const { files, warm } = workerData as { files: string[]; warm: string[] };
async function decodeAll(list: string[]): Promise<number> {
  let slices = 0;
  for (const f of list) for await (const s of decodeDicom(f, await readFile(f))) slices += s.modality.length > 0 ? 1 : 0; // modality values are lazy: computed here, as before
  return slices;
}
await decodeAll(warm); // WASM instantiation and JIT, as the build's workers pay before their first file
parentPort!.postMessage('ready');
parentPort!.once('message', async () => {
  const t = performance.now();
  const slices = await decodeAll(files);
  parentPort!.postMessage({ slices, ms: performance.now() - t });
});
