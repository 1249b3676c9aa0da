// Wide label CSV for a whole tree: one column naming the sample, one column per label, one row per sample.
import { InputError } from '../errors.js';
import { labelValue, readCsv, selectLabels } from './read-csv.js';
import type { IdKind, TreeLabelRow, TreeLabelTable } from './types.js';

/** Header names (case-insensitive) that name the sample, and what their values mean. */
const ID_COLUMNS: Record<string, IdKind> = { key: 'key', path: 'path', file: 'file', filename: 'file', sopinstanceuid: 'sopInstanceUid' };

export function parseWideLabels(text: string, file: string, labelColumns?: string[]): TreeLabelTable {
  const { header, rows: csvRows } = readCsv(text, file);
  const lower = header.map((h) => h.toLowerCase());
  const idCols = lower.map((h, i) => (h in ID_COLUMNS ? i : -1)).filter((i) => i >= 0);
  if (idCols.length === 0) throw new InputError(file, `header has no column naming the sample (one of key, path, file, filename, SOPInstanceUID; found ${header.join(', ')})`);
  if (idCols.length > 1) throw new InputError(file, `header has ${idCols.length} columns naming the sample (${idCols.map((i) => header[i]).join(', ')}); keep one`);
  const idCol = idCols[0];
  const available = header.filter((_, i) => i !== idCol);
  if (available.length === 0) throw new InputError(file, 'header has no label columns');
  if (available.some((n) => n === '')) throw new InputError(file, 'header has an empty column name');
  if (new Set(available).size !== available.length) throw new InputError(file, 'header has duplicate label names');
  const labelNames = selectLabels(available, labelColumns, file);
  const cols = labelNames.map((n) => header.indexOf(n));

  const rows = new Map<string, TreeLabelRow>();
  const badRows: TreeLabelTable['badRows'] = new Map();
  const bad = (id: string, line: number, reason: string) => badRows.set(id, { line, error: new InputError(file, `row ${line}: ${reason}`) });
  for (const { line, cells } of csvRows) {
    const id = cells[idCol] ?? '';
    if (id === '') throw new InputError(file, `row ${line}: the ${header[idCol]} column is empty`);
    if (rows.has(id) || badRows.has(id)) {
      const first = rows.get(id)?.line ?? badRows.get(id)!.line;
      rows.delete(id);
      bad(id, line, `duplicate row for ${id} (first at row ${first})`);
      continue;
    }
    if (cells.length !== header.length) {
      bad(id, line, `has ${cells.length} columns, the header has ${header.length}`);
      continue;
    }
    const labels: number[] = [];
    for (const c of cols) {
      const value = labelValue(cells[c]);
      if (value === undefined) break;
      labels.push(value);
    }
    if (labels.length < cols.length) bad(id, line, `label ${labelNames[labels.length]} is not a number (${JSON.stringify(cells[cols[labels.length]])})`);
    else rows.set(id, { line, labels });
  }
  return { file, format: 'wide', idKind: ID_COLUMNS[lower[idCol]], idColumn: header[idCol], labelNames, rows, badRows };
}
