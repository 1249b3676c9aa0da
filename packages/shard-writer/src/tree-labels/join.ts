// Joins every discovered slice with its row in the tree label file; collects what cannot be joined.
import path from 'node:path';
import type { SliceFile } from '../discover.js';
import { InputError } from '../errors.js';
import { checkKeys, type LabelJoin, type PlannedSlice } from '../join-labels.js';
import { NO_META, type SliceMetaLookup } from '../slice-meta.js';
import type { IdKind, TreeLabelTable } from './types.js';

/**
 * The ids under which a row of this kind may name the slice. A bare file name (no `/`) is an id
 * of `file` rows too, which is why an id may name more than one slice (an error on that row).
 */
export function sampleIds(s: SliceFile, kind: IdKind, meta: SliceMetaLookup = NO_META): string[] {
  const stem = s.name.slice(0, s.name.length - path.posix.extname(s.name).length);
  const sop = meta(s.key)?.sopInstanceUid;
  switch (kind) {
    case 'key':
      return [s.key];
    case 'path':
      return [s.rel, s.key];
    case 'file':
      return [s.rel, s.key, s.name, stem];
    case 'sopInstanceUid':
      return sop ? [sop] : [];
    case 'id':
      return unique([sop, stem].flatMap((v) => (v === undefined ? [] : v.startsWith('ID_') ? [v, v.slice(3)] : [v])));
  }
}

/** Rows name samples with `/`; a Windows-made file may use `\` or a leading `./`. */
function normaliseId(id: string, kind: IdKind): string {
  if (kind !== 'key' && kind !== 'path' && kind !== 'file') return id;
  return id.replaceAll('\\', '/').replace(/^(\.\/)+/, '');
}

export function joinTreeLabels(root: string, slices: SliceFile[], table: TreeLabelTable, meta: SliceMetaLookup = NO_META): LabelJoin {
  // Which slices each id could mean.
  const byId = new Map<string, number[]>();
  slices.forEach((s, i) => {
    for (const id of sampleIds(s, table.idKind, meta)) {
      const list = byId.get(id);
      if (!list) byId.set(id, [i]);
      else if (list[list.length - 1] !== i) list.push(i);
    }
  });

  const orphanRows: InputError[] = [];
  // Slice index -> the rows that name it (id as written, and its line).
  const claims = new Map<number, { id: string; line: number }[]>();
  const ambiguous = new Map<number, InputError>();
  const entries = [
    ...[...table.rows].map(([id, r]) => ({ id, line: r.line })),
    ...[...table.badRows].map(([id, r]) => ({ id, line: r.line })),
  ].sort((a, b) => a.line - b.line);
  for (const { id, line } of entries) {
    const matches = byId.get(normaliseId(id, table.idKind)) ?? [];
    if (matches.length === 0) {
      orphanRows.push(new InputError(table.file, `row ${line}: names ${id}, which is not an image ${table.idKind === 'sopInstanceUid' || table.idKind === 'id' ? 'SOP Instance UID or file name ' : ''}under ${root}`));
      continue;
    }
    if (matches.length > 1) {
      const shown = matches.slice(0, 3).map((i) => slices[i].rel).join(', ') + (matches.length > 3 ? ', ...' : '');
      const error = new InputError(table.file, `row ${line}: ${id} matches ${matches.length} images (${shown}); name them by their path below the input root`);
      for (const i of matches) ambiguous.set(i, error);
      continue;
    }
    const i = matches[0];
    if (!claims.has(i)) claims.set(i, []);
    claims.get(i)!.push({ id, line });
  }

  const planned = slices.map((s, i): PlannedSlice => {
    const file = path.join(root, s.rel);
    const rowsFor = claims.get(i) ?? [];
    if (ambiguous.has(i)) return { ...s, file, error: ambiguous.get(i)! };
    if (rowsFor.length === 0) return { ...s, file, error: new InputError(file, `no row for ${s.rel} in ${table.file}`) };
    if (rowsFor.length > 1) {
      const [a, b] = rowsFor;
      return { ...s, file, error: new InputError(table.file, `row ${b.line}: duplicate row for ${s.rel} (${b.id}; first at row ${a.line} as ${a.id})`) };
    }
    const id = rowsFor[0].id;
    const bad = table.badRows.get(id);
    return bad ? { ...s, file, error: bad.error } : { ...s, file, labels: table.rows.get(id)!.labels };
  });
  checkKeys(planned);
  return { labelNames: table.labelNames, slices: planned, orphanRows };
}

function unique(a: string[]): string[] {
  return [...new Set(a)];
}
