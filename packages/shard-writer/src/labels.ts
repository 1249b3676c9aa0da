// Reads one folder's labels.csv: which column names the slice, the label names, one numeric vector per slice.
import { parse } from 'csv-parse/sync';
import { LIMITS } from 'shard-format';
import { InputError, quote } from './errors.js';

export const LABELS_FILE = 'labels.csv';
const FILE_COLUMNS = ['slice', 'file', 'filename'];

export interface LabelRow {
  /** 1-based line number in the file (the header is line 1). */
  line: number;
  labels: number[];
}

export interface LabelTable {
  file: string;
  labelNames: string[];
  /** Image file name (as written in the CSV) -> row. */
  rows: Map<string, LabelRow>;
  /** Problems with single rows (duplicate, non-numeric); they make only that slice unusable. */
  badRows: Map<string, InputError>;
}

/** Parses labels.csv text. Structural problems throw; per-row problems are collected in `badRows`. */
export function parseLabels(text: string, file: string): LabelTable {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { bom: true, info: true, relax_column_count: true, skip_empty_lines: true, trim: true }) as unknown as typeof records;
  } catch (err) {
    throw new InputError(file, `not valid CSV (${clipped((err as Error).message.split('\n')[0], 200)})`);
  }
  if (records.length === 0) throw new InputError(file, 'is empty (needs a header row)');
  const header = records[0].record;
  const lower = header.map((h) => h.toLowerCase());
  const fileCol = Math.max(0, lower.findIndex((h) => FILE_COLUMNS.includes(h)));
  const labelCols = header.map((_, i) => i).filter((i) => i !== fileCol);
  const labelNames = labelCols.map((i) => header[i]);
  if (labelNames.length === 0) throw new InputError(file, 'header has no label columns');
  if (labelNames.some((n) => n === '')) throw new InputError(file, 'header has an empty column name');
  if (new Set(labelNames).size !== labelNames.length) throw new InputError(file, 'header has duplicate label names');
  // The reader refuses a manifest beyond these limits: refuse the CSV first, so no build writes an unreadable dataset.
  if (labelNames.length > LIMITS.maxLabels) throw new InputError(file, `header has ${labelNames.length} label columns; a dataset holds at most ${LIMITS.maxLabels}`);
  const long = labelNames.find((n) => n.length > LIMITS.maxLabelName);
  if (long !== undefined) throw new InputError(file, `header: label name ${quote(long)} is longer than ${LIMITS.maxLabelName} characters, the most a dataset stores`);

  const rows = new Map<string, LabelRow>();
  const badRows = new Map<string, InputError>();
  for (const { record, info } of records.slice(1)) {
    const line = info.lines;
    const name = record[fileCol] ?? '';
    if (name === '') throw new InputError(file, `row ${line}: the ${header[fileCol]} column is empty`);
    if (record.length !== header.length) {
      badRows.set(name, new InputError(file, `row ${line}: has ${record.length} columns, the header has ${header.length}`));
      continue;
    }
    if (rows.has(name) || badRows.has(name)) {
      const first = rows.get(name)?.line;
      badRows.set(name, new InputError(file, `row ${line}: duplicate row for ${clipped(name)}${first ? ` (first at row ${first})` : ''}`));
      rows.delete(name);
      continue;
    }
    const labels: number[] = [];
    for (let j = 0; j < labelCols.length; j++) {
      const raw = record[labelCols[j]];
      const value = raw === '' ? NaN : Number(raw);
      if (!Number.isFinite(value)) {
        badRows.set(name, new InputError(file, `row ${line}: label ${clipped(labelNames[j])} is not a number (${quote(raw)})`));
        break;
      }
      // Labels are stored as float32: a value that becomes Infinity there is refused by every reader.
      if (!Number.isFinite(Math.fround(value))) {
        badRows.set(name, new InputError(file, `row ${line}: label ${clipped(labelNames[j])} is ${quote(raw)}, beyond the float32 range (about ±3.4e38) labels are stored in`));
        break;
      }
      labels.push(value);
    }
    if (!badRows.has(name)) rows.set(name, { line, labels });
  }
  return { file, labelNames, rows, badRows };
}

/** A name or message from the file, cut to a length that keeps the error one readable line. */
function clipped(text: string, max = 80): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}
