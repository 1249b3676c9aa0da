// openDataset('s3://bucket/prefix' | 'https://host/path/'): the remote dataset, checked as a local one is (loaded by open-dataset.ts for URLs only).
import { resolveReaderWorkers } from './batch/options.js';
import { Dataset, type OpenDatasetOptions } from './dataset/dataset.js';
import { loadRemoteDataset } from './remote/load-remote.js';
import { RemoteBacking } from './remote/open-remote.js';
import { openObjectStore } from './remote/open-store.js';

export async function openRemoteDataset(url: string, options: OpenDatasetOptions = {}): Promise<Dataset> {
  // Validated as for a local dataset, though batches are assembled on this thread (see RemoteBacking).
  resolveReaderWorkers(options.workers);
  const onCorrupt = options.onCorrupt ?? 'error';
  if (onCorrupt !== 'error' && onCorrupt !== 'skip') throw new RangeError(`onCorrupt must be 'error' or 'skip' (got ${String(onCorrupt)})`);
  const store = openObjectStore(url, { ...options.remote, s3: options.s3 });
  try {
    const loaded = await loadRemoteDataset(store);
    const verify = options.verify ?? true;
    const backing = new RemoteBacking(store, loaded, { cacheDir: options.cacheDir, cacheBytes: options.cacheBytes }, verify);
    return new Dataset(store.url, loaded.manifest, loaded.keys, loaded.labels, { backend: options.backend ?? 'auto', workers: 0, verify, onCorrupt, onWarning: options.onWarning }, backing.fds, backing, loaded.order);
  } catch (err) {
    await store.close();
    throw err;
  }
}
