// Checks made before `shard export` writes its first byte: it never overwrites a file, or writes into a
// dataset's own source tree or the dataset folder, unless --overwrite says so.
import { readdirSync, realpathSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { LABELS_FILE } from 'shard-writer';
import { UsageError } from './cli-error.js';

/** Extensions a slice tree's images carry (what `shard build` reads, plus DICOM and NIfTI volumes). */
export const SOURCE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'tif', 'tiff', 'dcm', 'nii', 'nii.gz'] as const;
const SOURCE_RE = new RegExp(`\\.(${SOURCE_EXTENSIONS.map((e) => e.replace('.', '\\.')).join('|')})$`, 'i');
/** Keys of a multi-frame DICOM frame or a NIfTI slice: `<file without extension>/f000`, `/z000`. */
const FRAME_RE = /^[fz]\d{3,}$/;

export interface ExportTarget {
  /** Sample index in the dataset. */
  index: number;
  key: string;
  /** Absolute path of the file to write. */
  file: string;
}

export interface ExportGuardInput {
  /** Absolute --out. */
  out: string;
  /** Absolute dataset folder. */
  /** The dataset's folder; undefined for a remote dataset. */
  datasetDir: string | undefined;
  /** Every key of the dataset (the source tree holds them all, not only the exported ones). */
  keys: readonly string[];
  /** The files the export will write, labels.csv included. */
  files: readonly string[];
  overwrite: boolean;
}

/** Lists each folder once: a 100k-sample export stats a few thousand folders, not 100k files. */
class Listing {
  private readonly cache = new Map<string, Map<string, Dirent> | 'missing'>();

  entries(dir: string): Map<string, Dirent> | 'missing' {
    let e = this.cache.get(dir);
    if (e === undefined) {
      try {
        e = new Map(readdirSync(dir, { withFileTypes: true }).map((d) => [d.name, d]));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') e = 'missing';
        else if (code === 'ENOTDIR') throw new UsageError(`${dir}: is a file where export needs a folder`);
        else throw new UsageError(`${dir}: cannot be listed (${code ?? String(err)})`);
      }
      this.cache.set(dir, e);
    }
    return e;
  }

  entry(file: string): Dirent | undefined {
    const [dir, name] = splitLast(file, path.sep);
    const e = this.entries(dir);
    return e === 'missing' ? undefined : e.get(name);
  }
}

/** Throws a one-line UsageError naming the file or folder when the export would destroy or mix anything. */
export function checkExportTargets(g: ExportGuardInput): void {
  const list = new Listing();
  const overwriteHint = 'export elsewhere, or pass --overwrite to write into it anyway';

  // A remote dataset (a URL) has no local folder to write into by mistake.
  const realDs = g.datasetDir === undefined ? undefined : realpathSync(g.datasetDir);
  const realOut = realpathOfPossiblyMissing(g.out);
  if (realDs !== undefined && !g.overwrite && (realOut === realDs || realOut.startsWith(realDs + path.sep))) {
    throw new UsageError(`${g.out}: is ${realOut === realDs ? '' : 'inside '}the dataset folder ${g.datasetDir}; ${overwriteHint}`);
  }
  if (list.entries(g.out) === 'missing') return; // a new folder: nothing there to harm

  if (!g.overwrite) {
    const source = findSourceFile(g.out, g.keys, list);
    if (source) throw new UsageError(`${g.out}: holds this dataset's source slices (${source} is one); ${overwriteHint}`);
  }
  checkFolders(g.out, g.files, list);
  let first: string | undefined;
  let existing = 0;
  for (const file of g.files) {
    const d = list.entry(file);
    if (!d) continue;
    if (d.isDirectory()) throw new UsageError(`${file}: is a folder where export would write a file`);
    first ??= file;
    existing++;
  }
  if (first && !g.overwrite) {
    const more = existing > 1 ? ` (and ${existing - 1} more of the ${g.files.length} files export would write)` : '';
    throw new UsageError(`${first}: already exists${more}; pass --overwrite to replace, or export elsewhere`);
  }
}

/** Every folder between `out` and a target must be a folder or not exist yet (`out` itself was listed already). */
function checkFolders(out: string, files: readonly string[], list: Listing): void {
  const seen = new Set<string>([out]);
  const dirs = new Set(files.map((f) => splitLast(f, path.sep)[0]));
  for (const first of dirs) {
    for (let dir = first; !seen.has(dir) && dir.startsWith(out + path.sep); dir = path.dirname(dir)) {
      seen.add(dir);
      const entries = list.entries(path.dirname(dir));
      if (entries === 'missing') continue;
      const d = entries.get(path.basename(dir));
      if (d && !d.isDirectory() && !d.isSymbolicLink()) throw new UsageError(`${dir}: is a file where export needs a folder`);
    }
  }
}

/**
 * A file in `out` that a dataset key was built from: `<key>.<image ext>`, `<file>.<ext>` for a frame key
 * `<file>/f000`, or a labels.csv in a key's folder. Finding one means `out` is (a copy of) the input tree.
 * Keys are grouped by folder first, so each folder is listed and scanned once.
 */
function findSourceFile(out: string, keys: readonly string[], list: Listing): string | undefined {
  const stemsOf = (dir: string): Map<string, string> => {
    const m = new Map<string, string>();
    const entries = list.entries(dir);
    if (entries !== 'missing') for (const name of entries.keys()) if (SOURCE_RE.test(name)) m.set(name.replace(SOURCE_RE, ''), name);
    return m;
  };
  const byFolder = new Map<string, string[]>();
  for (const key of keys) {
    const [folder, base] = splitLast(key, '/');
    let bases = byFolder.get(folder);
    if (!bases) byFolder.set(folder, (bases = []));
    bases.push(base);
  }
  for (const [folder, bases] of byFolder) {
    const dir = folder ? path.join(out, folder) : out;
    const stems = stemsOf(dir);
    for (const b of bases) {
      const name = stems.get(b);
      if (name) return path.join(dir, name);
    }
    if (!folder) continue;
    const entries = list.entries(dir);
    if (entries !== 'missing' && entries.has(LABELS_FILE)) return path.join(dir, LABELS_FILE);
    if (bases.some((b) => FRAME_RE.test(b))) {
      const [parent, stem] = splitLast(folder, '/');
      const parentDir = parent ? path.join(out, parent) : out;
      const name = stemsOf(parentDir).get(stem);
      if (name) return path.join(parentDir, name);
    }
  }
  return undefined;
}

/** ['a/b', 'c'] for 'a/b/c'; ['', 'c'] for 'c'. */
function splitLast(p: string, sep: string): [string, string] {
  const i = p.lastIndexOf(sep);
  return i < 0 ? ['', p] : [p.slice(0, i), p.slice(i + 1)];
}

/** realpath of the nearest existing ancestor, with the rest of the path appended. */
function realpathOfPossiblyMissing(p: string): string {
  const tail: string[] = [];
  for (let cur = p; ; cur = path.dirname(cur)) {
    try {
      return path.join(realpathSync(cur), ...tail.reverse());
    } catch {
      if (path.dirname(cur) === cur) return p;
      tail.push(path.basename(cur));
    }
  }
}
