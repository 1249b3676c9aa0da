// Reads a label CSV into rows with their 1-based line numbers; the one place csv-parse options live.
import { parse } from 'csv-parse/sync';
import { InputError } from '../errors.js';

export interface CsvRow {
  /** 1-based line number in the file (the header is line 1). */
  line: number;
  cells: string[];
}

/** Tolerates a BOM, CRLF, quoted fields and blank lines; a file that is not CSV at all throws, naming it. */
export function readCsv(text: string, file: string): { header: string[]; rows: CsvRow[] } {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { bom: true, info: true, relax_column_count: true, skip_empty_lines: true, trim: true }) as unknown as typeof records;
  } catch (err) {
    throw new InputError(file, `not valid CSV (${(err as Error).message})`);
  }
  if (records.length === 0) throw new InputError(file, 'is empty (needs a header row)');
  return { header: records[0].record, rows: records.slice(1).map((r) => ({ line: r.info.lines, cells: r.record })) };
}

/** A label value: any finite number. Undefined when the cell is empty or not a number. */
export function labelValue(raw: string): number | undefined {
  const value = raw === '' ? NaN : Number(raw);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * Applies `--label-columns`: the chosen names in the chosen order, each of which must exist.
 * Without a selection every available label is kept in file order.
 */
export function selectLabels(available: string[], selected: string[] | undefined, file: string): string[] {
  if (!selected) return available;
  if (selected.length === 0) throw new InputError(file, '--label-columns names no label');
  if (new Set(selected).size !== selected.length) throw new InputError(file, `--label-columns names a label twice (${selected.join(',')})`);
  const missing = selected.filter((n) => !available.includes(n));
  if (missing.length) throw new InputError(file, `has no label ${missing.map((m) => JSON.stringify(m)).join(', ')} (labels in the file: ${available.join(', ')})`);
  return selected;
}
