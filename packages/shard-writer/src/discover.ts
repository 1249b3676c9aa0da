// Finds every slice image below the input root, in a deterministic order, with its sample key.
// Symlinks are followed (to files and folders) but never into a loop: a loop is reported, not walked.
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import fg from 'fast-glob';
import { InputError } from './errors.js';
import { LABELS_FILE } from './labels.js';

export const IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'tif', 'tiff'] as const;
const IMAGE_RE = new RegExp(`\\.(${IMAGE_EXTENSIONS.join('|')})$`, 'i');

export interface SliceFile {
  /** Path relative to the input root, `/`-separated, with extension. */
  rel: string;
  /** `rel` without the extension: the sample key. */
  key: string;
  /** Folder part of `rel` ('' for the root). */
  dir: string;
  /** File name with extension. */
  name: string;
}

export interface Discovery {
  slices: SliceFile[];
  /** Every labels.csv met on the same walk, relative to the root (`/`-separated). */
  labelFiles: string[];
  /** Symlink loops and broken links met on the way (not inputs, but never ignored). */
  problems: InputError[];
}

/** Lists images below `root`, sorted by key (UTF-16 code-unit order, locale-independent). */
export async function discoverSlices(root: string): Promise<Discovery> {
  const found: Discovery = { slices: [], labelFiles: [], problems: [] };
  await walk(root, '', [await realpath(root)], found);
  found.slices.sort((a, b) => compare(a.key, b.key) || compare(a.rel, b.rel));
  found.labelFiles.sort(compare);
  found.problems.sort((a, b) => compare(a.file, b.file));
  return found;
}

/** `ancestors` are the real paths of the folders this walk is inside: a link back to one of them is a loop. */
async function walk(dirAbs: string, prefix: string, ancestors: string[], found: Discovery): Promise<void> {
  const { slices, problems } = found;
  const entries = await fg('**', { cwd: dirAbs, onlyFiles: false, followSymbolicLinks: false, dot: false, objectMode: true, suppressErrors: false });
  for (const e of entries) {
    const rel = prefix + e.path;
    if (e.dirent.isFile()) {
      if (IMAGE_RE.test(e.name)) slices.push(toSlice(rel));
      else if (e.name === LABELS_FILE) found.labelFiles.push(rel);
      continue;
    }
    if (!e.dirent.isSymbolicLink()) continue;
    const abs = path.join(dirAbs, e.path);
    let real: string;
    try {
      real = await realpath(abs);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      problems.push(new InputError(abs, code === 'ELOOP' ? 'symlink loop (not followed)' : `broken symlink (${code})`));
      continue;
    }
    const st = await stat(real);
    if (st.isFile()) {
      if (IMAGE_RE.test(e.name)) slices.push(toSlice(rel));
      else if (e.name === LABELS_FILE) found.labelFiles.push(rel);
    } else if (st.isDirectory()) {
      const inside = [...ancestors, ...ancestorsOf(e.path, ancestors[ancestors.length - 1])];
      if (inside.some((a) => real === a || a.startsWith(real + path.sep))) problems.push(new InputError(abs, `symlink loop: points back to ${real} (not followed)`));
      else await walk(real, `${rel}/`, [...inside, real], found);
    }
  }
}

/** Real paths of the folders between the walked folder (real path `base`) and the entry `relPath` inside it. */
function ancestorsOf(relPath: string, base: string): string[] {
  const parts = relPath.split('/').slice(0, -1);
  return parts.map((_, i) => path.join(base, ...parts.slice(0, i + 1)));
}

function toSlice(rel: string): SliceFile {
  const posix = rel.split(path.sep).join('/');
  const slash = posix.lastIndexOf('/');
  const name = posix.slice(slash + 1);
  return { rel: posix, key: posix.slice(0, posix.length - path.extname(name).length), dir: slash < 0 ? '' : posix.slice(0, slash), name };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
