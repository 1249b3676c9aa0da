// Long label CSV (the RSNA haemorrhage layout): `ID,Label` header, rows `ID_<id>_<label>,<value>`,
// pivoted to one label vector per id.
import { InputError } from '../errors.js';
import { labelValue, readCsv, selectLabels } from './read-csv.js';
import type { TreeLabelRow, TreeLabelTable } from './types.js';

/** True when the header is exactly `ID,Label` (case-insensitive): the long form, detected. */
export function isLongHeader(header: string[]): boolean {
  return header.length === 2 && header[0].toLowerCase() === 'id' && header[1].toLowerCase() === 'label';
}

/**
 * Splits `ID_<id>_<label>`. The label is the longest `--label-columns` name the text ends with,
 * else the text after the last `_` (so labels may contain `_` only when named in --label-columns);
 * the leading `ID_` is optional.
 */
export function splitLongId(text: string, knownLabels: readonly string[] = []): { id: string; label: string } | undefined {
  const body = text.startsWith('ID_') ? text.slice(3) : text;
  const known = knownLabels.filter((l) => body.length > l.length + 1 && body.endsWith(`_${l}`)).sort((a, b) => b.length - a.length)[0];
  if (known) return { id: body.slice(0, body.length - known.length - 1), label: known };
  const cut = body.lastIndexOf('_');
  if (cut <= 0 || cut === body.length - 1) return undefined;
  return { id: body.slice(0, cut), label: body.slice(cut + 1) };
}

interface Pending {
  line: number;
  values: Map<string, number>;
  /** The first problem met in this id's rows; the id stays unusable. */
  error?: InputError;
}

export function parseLongLabels(text: string, file: string, labelColumns?: string[]): TreeLabelTable {
  const { header, rows: csvRows } = readCsv(text, file);
  if (!isLongHeader(header)) throw new InputError(file, `long label form needs the header ID,Label (found ${header.join(',')})`);
  const ids = new Map<string, Pending>();
  const labelOrder: string[] = [];
  for (const { line, cells } of csvRows) {
    const rowError = (reason: string) => new InputError(file, `row ${line}: ${reason}`);
    const name = cells[0] ?? '';
    if (name === '') throw rowError('the ID column is empty');
    const parts = splitLongId(name, labelColumns);
    if (!parts) throw rowError(`${JSON.stringify(name)} is not ID_<id>_<label>`);
    const { id, label } = parts;
    if (labelColumns && !labelColumns.includes(label)) continue; // not selected: its values do not matter
    let p = ids.get(id);
    if (!p) ids.set(id, (p = { line, values: new Map() }));
    if (!labelOrder.includes(label)) labelOrder.push(label);
    if (p.error) continue;
    if (cells.length !== 2) p.error = rowError(`has ${cells.length} columns, the header has 2`);
    else if (p.values.has(label)) p.error = rowError(`duplicate row for ${name}`);
    else {
      const value = labelValue(cells[1]);
      if (value === undefined) p.error = rowError(`label ${label} of ${id} is not a number (${JSON.stringify(cells[1])})`);
      else p.values.set(label, value);
    }
  }
  if (ids.size === 0) throw new InputError(file, 'has a header but no rows');
  const labelNames = selectLabels(labelOrder, labelColumns, file);

  const rows = new Map<string, TreeLabelRow>();
  const badRows: TreeLabelTable['badRows'] = new Map();
  for (const [id, p] of ids) {
    if (p.error) {
      badRows.set(id, { line: p.line, error: p.error });
      continue;
    }
    const missing = labelNames.filter((l) => !p.values.has(l));
    if (missing.length) {
      const has = [...p.values.keys()].filter((l) => labelNames.includes(l));
      badRows.set(id, { line: p.line, error: new InputError(file, `row ${p.line}: ${id} has labels [${has.join(', ')}], the label set is [${labelNames.join(', ')}] (missing ${missing.join(', ')})`) });
      continue;
    }
    rows.set(id, { line: p.line, labels: labelNames.map((l) => p.values.get(l)!) });
  }
  return { file, format: 'long', idKind: 'id', idColumn: header[0], labelNames, rows, badRows };
}
