// Opens a dataset in an object store: manifest and index sidecars fetched and checked as a local open checks them.
import { MANIFEST_FILE, FormatError, decodeManifest, type Manifest } from 'shard-format';
import { checkIndexBytes, indexSizeProblem, keyBoundaryProblems, openFailure, type KeyBounds } from '../integrity/index.js';
import { SeriesOrderCollector, type SeriesOrder } from '../context/index.js';
import { RemoteError } from './errors.js';
import type { ObjectStore } from './object-store.js';

export interface LoadedRemoteDataset {
  /** The dataset's base URL (ends in '/'). */
  url: string;
  manifest: Manifest;
  /** Global sample index -> key. */
  keys: string[];
  /** size x labelCount, from the index sidecars. */
  labels: Float32Array;
  /** DICOM series order from the index metadata, when the build recorded one. */
  order?: SeriesOrder;
}

/**
 * Fetches manifest.json (always fresh: it says which build the store holds now) and every index sidecar,
 * checking each against the manifest's size and SHA-256. Errors name the object's URL.
 */
export async function loadRemoteDataset(store: ObjectStore, concurrency = 16): Promise<LoadedRemoteDataset> {
  const manifestUrl = store.urlOf(MANIFEST_FILE);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(await store.get(MANIFEST_FILE));
  } catch (err) {
    if (err instanceof RemoteError && /HTTP 404/.test(err.reason)) throw new FormatError('no manifest.json: not a dataset (or its build has not finished uploading)', { file: store.url });
    if (err instanceof TypeError) throw new FormatError('is not UTF-8 text', { file: manifestUrl });
    throw err;
  }
  const manifest = decodeManifest(text, manifestUrl);
  const L = manifest.schema.labelNames.length;
  const keys: string[] = new Array(manifest.samples);
  const labels = new Float32Array(manifest.samples * L);
  const bounds: KeyBounds[] = new Array(manifest.shards.length);
  const order = new SeriesOrderCollector(manifest.samples);
  let next = 0;
  const worker = async () => {
    for (let s = next++; s < manifest.shards.length; s = next++) {
      const entry = manifest.shards[s];
      const url = store.urlOf(entry.index.file);
      let bytes: Uint8Array;
      try {
        bytes = await store.get(entry.index.file);
      } catch (err) {
        if (err instanceof RemoteError && /HTTP 404/.test(err.reason)) throw new FormatError(openFailure({ code: 'ENOENT' }, 'index').message, { file: url });
        throw err;
      }
      const wrongSize = indexSizeProblem(manifest, s, bytes.length);
      if (wrongSize) throw new FormatError(wrongSize, { file: url });
      const { index, problems } = checkIndexBytes(bytes, manifest, s);
      if (problems.length || !index) throw new FormatError(problems[0], { file: url });
      bounds[s] = { first: index.keys[0], last: index.keys[entry.samples - 1] };
      for (let r = 0; r < entry.samples; r++) {
        keys[entry.firstSample + r] = index.keys[r];
        labels.set(index.labels[r], (entry.firstSample + r) * L);
      }
      order.note(entry.firstSample, index.meta);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, manifest.shards.length) }, worker));
  const boundary = keyBoundaryProblems(manifest, bounds);
  if (boundary.length) throw new FormatError(boundary[0].message, { file: store.urlOf(boundary[0].file!), record: boundary[0].record, key: boundary[0].key });
  const series = order.result();
  return { url: store.url, manifest, keys, labels, ...(series ? { order: series } : {}) };
}
