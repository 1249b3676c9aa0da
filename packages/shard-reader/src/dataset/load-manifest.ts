// Loads and cross-checks a dataset folder: manifest, every shard's size and header, every index sidecar.
// Each shard is opened once here and checked through that descriptor, which the dataset then reads through.
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
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
import { SeriesOrderCollector, type SeriesOrder } from '../context/index.js';

export interface LoadedDataset {
  dir: string;
  manifest: Manifest;
  /** Global sample index -> key. */
  keys: string[];
  /** size x labelCount, from the index sidecars. */
  labels: Float32Array;
  /** One open descriptor per shard, in manifest order, already checked: the caller closes them. */
  fds: number[];
  /** DICOM series order from the index metadata, when the build recorded one. */
  order?: SeriesOrder;
}

/**
 * Validates everything that can be checked without reading image bytes; errors name the file at fault.
 * On success every shard is open (`fds`); on failure none is left open.
 */
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
  const fds: number[] = [];
  const order = new SeriesOrderCollector(manifest.samples);
  try {
    manifest.shards.forEach((entry, s) => {
      const file = path.join(dir, entry.file);
      fds.push(openShard(file, entry.bytes, (bytes) => checkHeaderAgainstManifest(decodeHeader(bytes, file), manifest, s, { ...entry, file })));
      loadIndex(dir, entry, L, keys, labels, order);
    });
    // Each index checks its own keys are unique and sorted; across shards, compare the boundaries.
    for (const entry of manifest.shards.slice(1)) {
      const i = entry.firstSample;
      if (!(keys[i - 1] < keys[i])) {
        throw new FormatError(`key ${JSON.stringify(keys[i].slice(0, 80))} ${keys[i - 1] === keys[i] ? 'appears twice' : 'is out of order'} (record 0; keys are unique and sorted across shards)`, { file: path.join(dir, entry.index.file) });
      }
    }
  } catch (err) {
    fds.forEach((fd) => closeSync(fd));
    throw err;
  }
  const series = order.result();
  return { dir, manifest, keys, labels, fds, ...(series ? { order: series } : {}) };
}

function loadIndex(dir: string, entry: Manifest['shards'][number], L: number, keys: string[], labels: Float32Array, order: SeriesOrderCollector): void {
  const indexFile = path.join(dir, entry.index.file);
  const indexBytes = readFileOrThrow(indexFile);
  if (indexBytes.length !== entry.index.bytes) throw new FormatError(`is ${indexBytes.length} bytes, the manifest says ${entry.index.bytes}`, { file: indexFile });
  if (sha256Hex(indexBytes) !== entry.index.sha256) throw new FormatError('SHA-256 does not match the manifest (index damaged or replaced)', { file: indexFile });
  const index = decodeShardIndex(indexBytes.toString('utf8'), indexFile, { shard: entry.file, firstSample: entry.firstSample, samples: entry.samples, labelCount: L });
  for (let r = 0; r < entry.samples; r++) {
    keys[entry.firstSample + r] = index.keys[r];
    labels.set(index.labels[r], (entry.firstSample + r) * L);
  }
  order.note(entry.firstSample, index.meta);
}

/** Opens the shard and checks it through the descriptor it returns: size first (never read past a short file), then the header. */
function openShard(file: string, expectedBytes: number, checkHeader: (bytes: Uint8Array) => void): number {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new FormatError(unreadable(err, 'shard named in the manifest is missing'), { file });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new FormatError('is not a regular file', { file });
    if (st.size !== expectedBytes) throw new FormatError(`is ${st.size} bytes, the manifest says ${expectedBytes}${st.size < expectedBytes ? ' (truncated)' : ''}`, { file });
    const header = new Uint8Array(HEADER_BYTES);
    let got = 0;
    try {
      got = readSync(fd, header, 0, HEADER_BYTES, 0);
    } catch (err) {
      throw new FormatError(unreadable(err, ''), { file });
    }
    checkHeader(header.subarray(0, got));
    return fd;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** 'missing' for ENOENT, else "cannot be read (EACCES: permission denied)". */
function unreadable(err: unknown, missing: string): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT' && missing) return missing;
  return `cannot be read (${e.code ?? 'error'}${e.code === 'EACCES' ? ': permission denied' : ''})`;
}

function readFileOrThrow(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new FormatError(unreadable(err, 'index named in the manifest is missing'), { file });
  }
}
