// Loads and cross-checks a dataset folder: manifest, every shard's size and header, every index sidecar.
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  HEADER_BYTES,
  MANIFEST_FILE,
  FormatError,
  checkHeaderAgainstManifest,
  decodeHeader,
  decodeManifest,
  decodeShardIndex,
  sha256Hex,
  type Manifest,
} from 'shard-format';

export interface LoadedDataset {
  dir: string;
  manifest: Manifest;
  /** Global sample index -> key. */
  keys: string[];
  /** size x labelCount, from the index sidecars. */
  labels: Float32Array;
}

/** Validates everything that can be checked without reading image bytes; errors name the file at fault. */
export function loadDataset(dir: string): LoadedDataset {
  const manifestPath = path.join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = readFileSync(manifestPath, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new FormatError(code === 'ENOENT' ? 'no manifest.json: not a dataset folder (or the build did not finish)' : `cannot be read (${code})`, { file: code === 'ENOENT' ? dir : manifestPath });
  }
  const manifest = decodeManifest(text, manifestPath);
  const L = manifest.schema.labelNames.length;
  const keys: string[] = new Array(manifest.samples);
  const labels = new Float32Array(manifest.samples * L);
  manifest.shards.forEach((entry, s) => {
    const file = path.join(dir, entry.file);
    checkShardFile(file, entry.bytes, (bytes) => checkHeaderAgainstManifest(decodeHeader(bytes, file), manifest, s, { ...entry, file }));
    const indexFile = path.join(dir, entry.index.file);
    const indexBytes = readFileOrThrow(indexFile);
    if (indexBytes.length !== entry.index.bytes) throw new FormatError(`is ${indexBytes.length} bytes, the manifest says ${entry.index.bytes}`, { file: indexFile });
    if (sha256Hex(indexBytes) !== entry.index.sha256) throw new FormatError('SHA-256 does not match the manifest (index damaged or replaced)', { file: indexFile });
    const index = decodeShardIndex(indexBytes.toString('utf8'), indexFile, { shard: entry.file, firstSample: entry.firstSample, samples: entry.samples, labelCount: L });
    for (let r = 0; r < entry.samples; r++) {
      keys[entry.firstSample + r] = index.keys[r];
      labels.set(index.labels[r], (entry.firstSample + r) * L);
    }
  });
  // Each index checks its own keys are unique and sorted; across shards, compare the boundaries.
  for (const entry of manifest.shards.slice(1)) {
    const i = entry.firstSample;
    if (!(keys[i - 1] < keys[i])) {
      throw new FormatError(`key ${JSON.stringify(keys[i].slice(0, 80))} ${keys[i - 1] === keys[i] ? 'appears twice' : 'is out of order'} (record 0; keys are unique and sorted across shards)`, { file: path.join(dir, entry.index.file) });
    }
  }
  return { dir, manifest, keys, labels };
}

/** Size first (never read past a short file), then the header. */
function checkShardFile(file: string, expectedBytes: number, checkHeader: (bytes: Uint8Array) => void): void {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new FormatError(code === 'ENOENT' ? 'shard named in the manifest is missing' : `cannot be read (${code})`, { file });
  }
  if (size !== expectedBytes) throw new FormatError(`is ${size} bytes, the manifest says ${expectedBytes}${size < expectedBytes ? ' (truncated)' : ''}`, { file });
  const header = new Uint8Array(HEADER_BYTES);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, HEADER_BYTES, 0);
  } finally {
    closeSync(fd);
  }
  checkHeader(header);
}

function readFileOrThrow(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new FormatError(code === 'ENOENT' ? 'index named in the manifest is missing' : `cannot be read (${code})`, { file });
  }
}
