// Joins every discovered slice with its row in its folder's labels.csv; collects what cannot be joined.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { keyProblem } from 'shard-format';
import type { SliceFile } from './discover.js';
import { InputError, quote } from './errors.js';
import { LABELS_FILE, parseLabels, type LabelTable } from './labels.js';

export interface PlannedSlice extends SliceFile {
  /** Path as the user sees it: input root joined with `rel`. */
  file: string;
  labels?: number[];
  /** Why this slice cannot be written; set instead of `labels`. */
  error?: InputError;
}

export interface LabelJoin {
  labelNames: string[];
  slices: PlannedSlice[];
  /** Label rows naming an image that does not exist (not inputs, but never ignored). */
  orphanRows: InputError[];
}

/** `labelFiles` are the labels.csv paths (relative to root) found by discovery, so folders without images are checked too. */
export async function joinLabels(root: string, slices: SliceFile[], labelFiles: string[] = []): Promise<LabelJoin> {
  const csvRels = labelFiles;
  const dirs = new Set([...slices.map((s) => s.dir), ...csvRels.map((r) => path.posix.dirname(r).replace(/^\.$/, ''))]);
  const tables = new Map<string, LabelTable | InputError>();
  let labelNames: string[] | undefined;
  let namesFrom = '';
  for (const dir of [...dirs].sort()) {
    const file = path.join(root, dir, LABELS_FILE);
    const table = await readTable(file);
    if (table instanceof InputError) {
      tables.set(dir, table);
      continue;
    }
    if (!labelNames) {
      labelNames = table.labelNames;
      namesFrom = file;
    } else if (table.labelNames.join('\u0000') !== labelNames.join('\u0000')) {
      tables.set(dir, new InputError(file, `label columns ${listed(table.labelNames)} differ from ${listed(labelNames)} in ${namesFrom}`));
      continue;
    }
    tables.set(dir, table);
  }

  const used = new Map<string, Set<string>>();
  const planned = slices.map((s): PlannedSlice => {
    const file = path.join(root, s.rel);
    const table = tables.get(s.dir)!;
    if (table instanceof InputError) return { ...s, file, error: table };
    const rowName = [s.name, path.posix.basename(s.key)].find((n) => table.rows.has(n) || table.badRows.has(n));
    if (rowName === undefined) return { ...s, file, error: new InputError(file, `no row for ${s.name} in ${table.file}`) };
    if (!used.has(s.dir)) used.set(s.dir, new Set());
    used.get(s.dir)!.add(rowName);
    const bad = table.badRows.get(rowName);
    return bad ? { ...s, file, error: bad } : { ...s, file, labels: table.rows.get(rowName)!.labels };
  });

  const orphanRows: InputError[] = [];
  for (const [dir, table] of tables) {
    if (table instanceof InputError) continue;
    const seen = used.get(dir) ?? new Set();
    for (const [name, row] of [...table.rows, ...[...table.badRows].map(([n]) => [n, undefined] as const)]) {
      if (!seen.has(name)) orphanRows.push(new InputError(table.file, `${row ? `row ${row.line}: ` : ''}names ${name.length > 80 ? quote(name) : name}, which is not an image in ${path.dirname(table.file)}`));
    }
  }
  checkKeys(planned);
  return { labelNames: labelNames ?? [], slices: planned, orphanRows };
}

async function readTable(file: string): Promise<LabelTable | InputError> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return new InputError(file, code === 'ENOENT' ? 'missing (every folder with images needs one)' : `cannot be read (${code ?? (err as Error).message})`);
  }
  try {
    return parseLabels(text, file);
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
}

/** Marks slices whose key cannot be written: shared with another image, or not a valid key. Shared by every label source. */
export function checkKeys(planned: PlannedSlice[]): void {
  flagKeyCollisions(planned);
  for (const p of planned) {
    const problem = p.error ? undefined : keyProblem(p.key);
    if (problem) p.error = new InputError(p.file, `cannot be a sample key: its path ${problem}`);
  }
}

/**
 * Two images with the same key (slice.png and slice.jpg) cannot both be written; nor a volume or
 * multi-frame file whose sample keys `key/...` would mix with another file's keys below `key/`.
 */
function flagKeyCollisions(slices: PlannedSlice[]): void {
  for (let i = 1; i < slices.length; i++) {
    const [prev, s] = [slices[i - 1], slices[i]];
    if (s.key === prev.key && !s.error && !s.many && !prev.many) {
      s.error = new InputError(s.file, `has the same key ${s.key} as ${prev.file}`);
    }
  }
  for (let i = 0; i < slices.length; i++) {
    const s = slices[i];
    const next = slices[i + 1];
    if (s.many && !s.error && next && (next.key === s.key || next.key.startsWith(`${s.key}/`))) {
      s.error = new InputError(s.file, `its frames/slices take the keys ${s.key}/..., which ${next.file} (key ${next.key}) also uses; rename one of them`);
    }
  }
}

/** Label names for a message: each clipped, and no more than a dozen. */
function listed(names: string[]): string {
  const shown = names.slice(0, 12).map((n) => (n.length > 40 ? `${n.slice(0, 40)}…` : n));
  return `[${shown.join(', ')}${names.length > 12 ? `, … ${names.length - 12} more` : ''}]`;
}
