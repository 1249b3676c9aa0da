// Finds every slice image below the input root, in a deterministic order, with its sample key.
import path from 'node:path';
import fg from 'fast-glob';

export const IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'tif', 'tiff'] as const;

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

/** Lists images below `root`, sorted by key (UTF-16 code-unit order, locale-independent). */
export async function discoverSlices(root: string): Promise<SliceFile[]> {
  const rels = await fg(`**/*.{${IMAGE_EXTENSIONS.join(',')}}`, {
    cwd: root,
    onlyFiles: true,
    caseSensitiveMatch: false,
    dot: false,
    followSymbolicLinks: true,
    suppressErrors: false,
  });
  return rels.map(toSlice).sort((a, b) => compare(a.key, b.key) || compare(a.rel, b.rel));
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
