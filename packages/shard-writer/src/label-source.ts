// Where a build's labels come from: one label file for the tree (`--labels`), or each folder's labels.csv.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { SliceFile } from './discover.js';
import { InputError } from './errors.js';
import { joinLabels, type LabelJoin } from './join-labels.js';
import { NO_META, type SliceMetaLookup } from './slice-meta.js';
import { joinTreeLabels, parseTreeLabels, type LabelsFormat } from './tree-labels/index.js';

export interface TreeLabelSource {
  /** The CSV file (wide or long form). */
  file: string;
  /** Default: detected from the header (`ID,Label` is long). */
  format?: LabelsFormat;
  /** `--label-columns`: keep these labels, in this order. */
  labelColumns?: string[];
}

/**
 * Joins slices with their labels. With a tree label file, per-folder labels.csv files are not read
 * (a warning says so, since the user may expect them to count).
 */
export async function joinInputs(root: string, slices: SliceFile[], labelFiles: string[], labels?: TreeLabelSource, meta: SliceMetaLookup = NO_META): Promise<LabelJoin & { notes: string[] }> {
  if (!labels) return { ...(await joinLabels(root, slices, labelFiles)), notes: [] };
  let text: string;
  try {
    text = await readFile(labels.file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(labels.file, code === 'ENOENT' ? 'label file does not exist' : `label file cannot be read (${code ?? (err as Error).message})`);
  }
  const table = parseTreeLabels(text, labels.file, { format: labels.format, labelColumns: labels.labelColumns });
  const notes = labelFiles.map((rel) => `${path.join(root, rel)}: not read (--labels ${labels.file} gives the labels)`);
  return { ...joinTreeLabels(root, slices, table, meta), notes };
}
