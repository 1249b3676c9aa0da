// Loads and cross-checks a dataset folder: manifest, every shard's size and header page, every index sidecar.
// Each shard is opened once here and checked through that descriptor, which the dataset then reads through.
// The checks are integrity/'s, shared with `shard verify`: this throws the first problem, verify lists all.
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import path from 'node:path';
import { DATA_OFFSET, MANIFEST_FILE, FormatError, decodeManifest, type Manifest } from 'shard-format';
import {
  NO_MANIFEST,
  NOT_A_FILE,
  checkIndexBytes,
  fileOf,
  headerProblems,
  indexSizeProblem,
  keyBoundaryProblems,
  openFailure,
  problemError,
  shardSizeProblem,
  type FileRole,
  type KeyBounds,
} from '../integrity/index.js';
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
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new FormatError(NO_MANIFEST, { file: dir });
    throw new FormatError(openFailure(err, 'manifest').message, { file: manifestPath });
  }
  const manifest = decodeManifest(text, manifestPath);
  const L = manifest.schema.labelNames.length;
  const keys: string[] = new Array(manifest.samples);
  const labels = new Float32Array(manifest.samples * L);
  const fds: number[] = [];
  const bounds: KeyBounds[] = [];
  const order = new SeriesOrderCollector(manifest.samples);
  // The first problem found, thrown as the error verify would list it with.
  const fail = (s: number, role: Exclude<FileRole, 'manifest'>, message: string): never => {
    throw problemError(dir, { ...fileOf(manifest, s, role), message });
  };
  try {
    manifest.shards.forEach((entry, s) => {
      fds.push(openShard(dir, manifest, s, fail));
      const bytes = readIndex(dir, manifest, s, fail);
      const { index, problems } = checkIndexBytes(bytes, manifest, s);
      if (problems.length || !index) return fail(s, 'index', problems[0]);
      for (let r = 0; r < entry.samples; r++) {
        keys[entry.firstSample + r] = index.keys[r];
        labels.set(index.labels[r], (entry.firstSample + r) * L);
      }
      order.note(entry.firstSample, index.meta);
      bounds.push({ first: index.keys[0], last: index.keys[entry.samples - 1] });
    });
    const boundary = keyBoundaryProblems(manifest, bounds);
    if (boundary.length) throw problemError(dir, boundary[0]);
  } catch (err) {
    fds.forEach((fd) => closeSync(fd));
    throw err;
  }
  const series = order.result();
  return { dir, manifest, keys, labels, fds, ...(series ? { order: series } : {}) };
}

type Fail = (s: number, role: Exclude<FileRole, 'manifest'>, message: string) => never;

/** Opens shard `s` and checks it through the descriptor it returns: size first (never read past a short file), then the header page. */
function openShard(dir: string, manifest: Manifest, s: number, fail: Fail): number {
  const file = path.join(dir, manifest.shards[s].file);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    return fail(s, 'shard', openFailure(err, 'shard').message);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) fail(s, 'shard', NOT_A_FILE);
    const wrongSize = shardSizeProblem(manifest, s, st.size);
    if (wrongSize) fail(s, 'shard', wrongSize);
    const page = new Uint8Array(Math.min(st.size, DATA_OFFSET));
    let got = 0;
    try {
      got = readSync(fd, page, 0, page.length, 0);
    } catch (err) {
      fail(s, 'shard', openFailure(err, 'shard').message);
    }
    const bad = headerProblems(page.subarray(0, got), manifest, s);
    if (bad.length) fail(s, 'shard', bad[0]);
    return fd;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** The bytes of shard `s`'s index sidecar, once its size is the manifest's (a wrong-sized one is never read whole). */
function readIndex(dir: string, manifest: Manifest, s: number, fail: Fail): Buffer {
  const file = path.join(dir, manifest.shards[s].index.file);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    return fail(s, 'index', openFailure(err, 'index').message);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) fail(s, 'index', NOT_A_FILE);
    const wrongSize = indexSizeProblem(manifest, s, st.size);
    if (wrongSize) fail(s, 'index', wrongSize);
    return readFileSync(fd);
  } catch (err) {
    if (err instanceof FormatError) throw err;
    return fail(s, 'index', openFailure(err, 'index').message);
  } finally {
    closeSync(fd);
  }
}
