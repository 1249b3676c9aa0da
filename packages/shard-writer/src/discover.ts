// Finds every slice image below the input root, in a deterministic order, with its sample key.
// Symlinks are followed (to files and folders) but never into a loop: a loop is reported, not walked.
// Every file with an image extension is either a slice or an exclusion with its reason: none is silently left out.
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { isUtf8 } from 'node:buffer';
import path from 'node:path';
import fg from 'fast-glob';
import { InputError } from './errors.js';
import { LABELS_FILE } from './labels.js';
import { readDicomHead, type DicomHead } from './dicom-slice-meta.js';
import { detectMedical, medicalExtension, type MedicalFormat } from './decode/detect.js';

export const IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'tif', 'tiff'] as const;
const IMAGE_RE = new RegExp(`\\.(${IMAGE_EXTENSIONS.join('|')})$`, 'i');
/** Medical files known by name; DICOM without an extension (or an all-digit one) is known by DICM at byte 128. */
const MEDICAL_RE = /\.(dcm|nii|nii\.gz)$/i;
const MAYBE_DICOM_RE = /^[^.]+$|\.\d+$/;

export interface SliceFile {
  /** Path relative to the input root, `/`-separated, with extension. */
  rel: string;
  /** `rel` without the extension: the sample key. */
  key: string;
  /** Folder part of `rel` ('' for the root). */
  dir: string;
  /** File name with extension. */
  name: string;
  /** DICOM or NIfTI: one input, one or more samples (keys `key` + frame/slice suffix). */
  format?: MedicalFormat;
  /** True when the file yields several samples (NIfTI, multi-frame DICOM): its keys are `key/...`. */
  many?: boolean;
  /** DICOM: what its header says (frames, identity tags, slice positions); absent when the header is unreadable. */
  dicom?: DicomHead;
  /** Size and SHA-256 when a scanner read the file during discovery (the build plan then does not read it again). */
  content?: { size: number; sha256: string };
}

/**
 * Reads a DICOM file's header, and optionally its size and SHA-256 in the same read (the build passes
 * its decoder threads'). Never throws: what it cannot read is left for decoding to report.
 */
export type HeadScanner = (file: string) => Promise<{ head?: DicomHead; content?: { size: number; sha256: string } }>;

export interface DiscoverOptions {
  /** Defaults to a header-only read on this thread. */
  scan?: HeadScanner;
  /** Told of each slice file as the walk finds it (the build starts its decoder threads on what it sees). */
  onSlice?: (s: SliceFile) => void;
}

/** An image file that is counted as an input but never written, and why. */
export interface Exclusion {
  /** Path relative to the root, `/`-separated; bytes that are not printable UTF-8 shown as `\xNN`. */
  rel: string;
  reason: string;
  /** True when `--on-error fail` must stop on it (its name cannot be a sample key); hidden files never stop a build. */
  fatal: boolean;
}

export const HIDDEN_REASON = 'hidden (its name or a folder above it starts with a dot)';
const CONTROL_REASON = 'its name contains a control character such as a newline (shown as \\xNN), so it cannot be a sample key';
const UTF8_REASON = 'its name is not valid UTF-8 (bytes shown as \\xNN), so it cannot be a sample key';

export interface Discovery {
  slices: SliceFile[];
  /** Image files counted as inputs but not written: hidden ones, names no key can hold. Sorted by `rel`. */
  excluded: Exclusion[];
  /** Every labels.csv met on the same walk, relative to the root (`/`-separated). */
  labelFiles: string[];
  /** Symlink loops and broken links met on the way (not inputs, but never ignored). */
  problems: InputError[];
}

/** Lists images below `root`, sorted by key (UTF-16 code-unit order, locale-independent). */
export async function discoverSlices(root: string, options: DiscoverOptions = {}): Promise<Discovery> {
  const found: Discovery = { slices: [], excluded: [], labelFiles: [], problems: [] };
  await walk(root, '', [await realpath(root)], found, options.onSlice);
  await readMedicalHeads(root, found.slices, options.scan ?? readHeadHere);
  // A file of several samples sorts as `key/`: its keys `key/f000`.. then fall where sorted keys put them.
  found.slices.sort((a, b) => compare(sortKey(a), sortKey(b)) || compare(a.rel, b.rel));
  found.excluded.sort((a, b) => compare(a.rel, b.rel));
  found.labelFiles.sort(compare);
  found.problems.sort((a, b) => compare(a.file, b.file));
  return found;
}

/** `ancestors` are the real paths of the folders this walk is inside: a link back to one of them is a loop. */
async function walk(dirAbs: string, prefix: string, ancestors: string[], found: Discovery, onSlice?: (s: SliceFile) => void): Promise<void> {
  const { problems } = found;
  // fast-glob drops names with a newline and mangles invalid UTF-8 (and cannot read into such folders, hence
  // suppressErrors): each folder it lists is read once more as raw bytes, and only names that survive both count.
  const entries = await fg('**', { cwd: dirAbs, onlyFiles: false, followSymbolicLinks: false, dot: true, objectMode: true, suppressErrors: true });
  const valid = new Set<string>(['']);
  const folders = ['', ...entries.filter((e) => e.dirent.isDirectory()).map((e) => e.path)].sort((a, b) => depth(a) - depth(b));
  for (const dir of folders) {
    if (!valid.has(dir)) continue;
    for (const raw of await readdir(path.join(dirAbs, dir), { encoding: 'buffer' })) {
      const why = nameProblem(raw);
      if (!why) valid.add(dir ? `${dir}/${raw.toString('utf8')}` : raw.toString('utf8'));
      else await exclude(Buffer.concat([Buffer.from(path.join(dirAbs, dir) + '/'), raw]), prefix + (dir ? `${dir}/` : '') + escapeName(raw), why, found);
    }
  }
  for (const e of entries) {
    if (!valid.has(e.path)) continue;
    const rel = prefix + e.path;
    if (e.dirent.isFile()) {
      await addFile(rel, e.name, path.join(dirAbs, e.path), found, onSlice);
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
      await addFile(rel, e.name, abs, found, onSlice);
    } else if (st.isDirectory()) {
      const inside = [...ancestors, ...ancestorsOf(e.path, ancestors[ancestors.length - 1])];
      if (inside.some((a) => real === a || a.startsWith(real + path.sep))) problems.push(new InputError(abs, `symlink loop: points back to ${real} (not followed)`));
      else await walk(real, `${rel}/`, [...inside, real], found, onSlice);
    }
  }
}

async function addFile(rel: string, name: string, abs: string, found: Discovery, onSlice?: (s: SliceFile) => void): Promise<void> {
  const add = (slice: SliceFile) => {
    found.slices.push(slice);
    onSlice?.(slice);
  };
  const hidden = rel.split('/').some((seg) => seg.startsWith('.'));
  if (IMAGE_RE.test(name) || MEDICAL_RE.test(name)) {
    if (hidden) found.excluded.push({ rel, reason: HIDDEN_REASON, fatal: false });
    else add(toSlice(rel, MEDICAL_RE.test(name) ? await detectMedical(abs) : undefined));
  } else if (name === LABELS_FILE && !hidden) found.labelFiles.push(rel);
  else if (!hidden && MAYBE_DICOM_RE.test(name)) {
    // Only extensionless (or UID-named) files are opened: a PNG tree costs no extra reads.
    const format = await detectMedical(abs).catch(() => undefined);
    if (format) add(toSlice(rel, format));
  }
}

/** An entry whose name no key can hold: an image is excluded; a folder's images are all excluded (read as raw bytes). */
async function exclude(abs: Buffer, rel: string, reason: string, found: Discovery): Promise<void> {
  const link = (await lstat(abs)).isSymbolicLink();
  const st = await stat(abs).catch(() => undefined);
  if (st?.isFile()) {
    if (IMAGE_RE.test(rel) || MEDICAL_RE.test(rel)) found.excluded.push({ rel, reason, fatal: true });
    return;
  }
  if (!st?.isDirectory() || link) return; // a linked folder under such a name is not walked: no loop check can name it
  const inside = reason.replace(/^its name/, 'a folder above it');
  for (const raw of await readdir(abs, { encoding: 'buffer' })) {
    await exclude(Buffer.concat([abs, Buffer.from('/'), raw]), `${rel}/${escapeName(raw)}`, inside, found);
  }
}

/** Why a raw file name cannot be a sample key segment, or undefined. */
function nameProblem(raw: Buffer): string | undefined {
  if (!isUtf8(raw)) return UTF8_REASON;
  if (/[\u0000-\u001f\u007f]/.test(raw.toString('utf8'))) return CONTROL_REASON;
  return undefined;
}

/** The name as text, with control characters and bytes that are not UTF-8 written as \xNN. */
function escapeName(raw: Buffer): string {
  let out = '';
  for (let i = 0; i < raw.length; ) {
    const b = raw[i];
    const len = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 ? 2 : 0;
    const seq = len ? raw.subarray(i, i + len) : undefined;
    if (seq && seq.length === len && isUtf8(seq) && !(len === 1 && (b < 0x20 || b === 0x7f))) {
      out += seq.toString('utf8');
      i += len;
    } else {
      out += `\\x${b.toString(16).padStart(2, '0')}`;
      i++;
    }
  }
  return out;
}

function depth(rel: string): number {
  return rel === '' ? 0 : rel.split('/').length;
}

/** Real paths of the folders between the walked folder (real path `base`) and the entry `relPath` inside it. */
function ancestorsOf(relPath: string, base: string): string[] {
  const parts = relPath.split('/').slice(0, -1);
  return parts.map((_, i) => path.join(base, ...parts.slice(0, i + 1)));
}

function toSlice(rel: string, format?: MedicalFormat): SliceFile {
  const posix = rel.split(path.sep).join('/');
  const slash = posix.lastIndexOf('/');
  const name = posix.slice(slash + 1);
  // `.nii.gz` is one extension; a bare DICOM keeps its whole name (a UID's dots are not an extension).
  const ext = format ? medicalExtension(name) : path.extname(name);
  const slice: SliceFile = { rel: posix, key: posix.slice(0, posix.length - ext.length), dir: slash < 0 ? '' : posix.slice(0, slash), name };
  if (format) slice.format = format;
  return slice;
}

export function sortKey(s: SliceFile): string {
  return s.many ? `${s.key}/` : s.key;
}

/**
 * NIfTI always yields several samples (one per slice); DICOM when NumberOfFrames > 1, read from its
 * header (only the bytes before the pixel data), a few files at a time. Unreadable files decide
 * nothing: decoding reports them.
 */
async function readMedicalHeads(root: string, slices: SliceFile[], scan: HeadScanner): Promise<void> {
  const medical = slices.filter((s) => s.format);
  // Enough in flight that a pool of decoder threads never waits for the next file at a chunk's end.
  const CHUNK = scan === readHeadHere ? 32 : 256;
  for (let i = 0; i < medical.length; i += CHUNK) {
    await Promise.all(
      medical.slice(i, i + CHUNK).map(async (s) => {
        if (s.format === 'nifti') {
          s.many = true;
          return;
        }
        const { head, content } = await scan(path.join(root, s.rel));
        s.many = (head?.frames ?? 1) > 1;
        if (head) s.dicom = head;
        if (content) s.content = content;
      }),
    );
  }
}

const readHeadHere: HeadScanner = (file) => readDicomHead(file).then((head) => ({ head }), () => ({}));

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
