// openDataset: a local dataset folder, or an s3:// or http(s):// URL, whose half is loaded only for URLs.
import { openLocalDataset, type Dataset, type OpenDatasetOptions } from './dataset/dataset.js';
import { isRemoteUrl } from './remote/url.js';

/**
 * Opens a dataset and validates its manifest, shard sizes and headers and index files. A URL goes
 * through the remote reader (a local open never pays for loading the AWS SDK).
 */
export async function openDataset(dir: string, options: OpenDatasetOptions = {}): Promise<Dataset> {
  if (isRemoteUrl(dir)) return (await import('./open-remote-dataset.js')).openRemoteDataset(dir, options);
  return openLocalDataset(dir, options);
}
