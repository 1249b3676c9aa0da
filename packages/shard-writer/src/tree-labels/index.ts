// One label CSV for the whole tree (`--labels`): parse it in either layout, then join it to the slices.
import { InputError } from '../errors.js';
import { isLongHeader, parseLongLabels } from './long.js';
import { readCsv } from './read-csv.js';
import type { LabelsFormat, TreeLabelOptions, TreeLabelTable } from './types.js';
import { parseWideLabels } from './wide.js';

export { joinTreeLabels, sampleIds } from './join.js';
export { isLongHeader, parseLongLabels, splitLongId } from './long.js';
export { parseWideLabels } from './wide.js';
export type { IdKind, LabelsFormat, TreeLabelOptions, TreeLabelRow, TreeLabelTable } from './types.js';

export const LABELS_FORMATS: readonly LabelsFormat[] = ['wide', 'long'];

/** Parses a tree label file; the format is detected from the header unless given. */
export function parseTreeLabels(text: string, file: string, options: TreeLabelOptions = {}): TreeLabelTable {
  let format = options.format;
  if (format !== undefined && !LABELS_FORMATS.includes(format)) throw new RangeError(`labels format must be wide or long (got ${String(format)})`);
  format ??= isLongHeader(readCsv(text, file).header) ? 'long' : 'wide';
  if (format === 'long') return parseLongLabels(text, file, options.labelColumns);
  return parseWideLabels(text, file, options.labelColumns);
}

/** Parses `--label-columns a,b,c`. */
export function parseLabelColumns(text: string): string[] {
  const names = text.split(',').map((s) => s.trim());
  if (names.some((n) => n === '')) throw new RangeError(`--label-columns has an empty name (${JSON.stringify(text)})`);
  return names;
}
