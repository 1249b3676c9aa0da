// Opens a dataset in an object store: manifest and index sidecars fetched and checked as a local open checks them.
import { MANIFEST_FILE, FormatError, decodeManifest, decodeShardIndex, sha256Hex, type Manifest } from 'shard-format';
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
        if (err instanceof RemoteError && /HTTP 404/.test(err.reason)) throw new FormatError('index named in the manifest is missing', { file: url });
        throw err;
      }
      if (bytes.length !== entry.index.bytes) throw new FormatError(`is ${bytes.length} bytes, the manifest says ${entry.index.bytes}`, { file: url });
      if (sha256Hex(bytes) !== entry.index.sha256) throw new FormatError('SHA-256 does not match the manifest (index damaged or replaced)', { file: url });
      const index = decodeShardIndex(new TextDecoder().decode(bytes), url, { shard: entry.file, firstSample: entry.firstSample, samples: entry.samples, labelCount: L });
      for (let r = 0; r < entry.samples; r++) {
        keys[entry.firstSample + r] = index.keys[r];
        labels.set(index.labels[r], (entry.firstSample + r) * L);
      }
      order.note(entry.firstSample, index.meta);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, manifest.shards.length) }, worker));
  for (const entry of manifest.shards.slice(1)) {
    const i = entry.firstSample;
    if (!(keys[i - 1] < keys[i])) {
      throw new FormatError(`key ${JSON.stringify(keys[i].slice(0, 80))} ${keys[i - 1] === keys[i] ? 'appears twice' : 'is out of order'} (record 0; keys are unique and sorted across shards)`, { file: store.urlOf(entry.index.file) });
    }
  }
  const series = order.result();
  return { url: store.url, manifest, keys, labels, ...(series ? { order: series } : {}) };
}
