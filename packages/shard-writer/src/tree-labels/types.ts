// The parsed form of one label CSV for a whole tree, whichever layout (wide or long) it came in.
import type { InputError } from '../errors.js';

export type LabelsFormat = 'wide' | 'long';

/**
 * How a row names its sample. `key`: the sample key; `path`: the path below the input root (with or
 * without extension); `file`/`filename`: a path, or a bare file name that must be unique in the tree;
 * `sopInstanceUid`: a DICOM SOP Instance UID; `id` (long form): a SOP Instance UID or a file stem,
 * with the stem's `ID_` prefix optional.
 */
export type IdKind = 'key' | 'path' | 'file' | 'sopInstanceUid' | 'id';

export interface TreeLabelRow {
  /** Line of the row (long form: the first row of this id). */
  line: number;
  labels: number[];
}

export interface TreeLabelTable {
  file: string;
  format: LabelsFormat;
  idKind: IdKind;
  /** Header of the column that names samples, as written (for messages). */
  idColumn: string;
  labelNames: string[];
  /** Sample id as written in the file -> its label vector. */
  rows: Map<string, TreeLabelRow>;
  /** Ids whose row(s) cannot be used (duplicate, non-numeric, incomplete): only those samples are unusable. */
  badRows: Map<string, { line: number; error: InputError }>;
}

export interface TreeLabelOptions {
  /** Default: long when the header is `ID,Label`, else wide. */
  format?: LabelsFormat;
  /** `--label-columns`: which labels to keep, in this order. */
  labelColumns?: string[];
}
