// One error type for format violations, carrying where the problem is.

export interface FormatErrorWhere {
  file?: string;
  record?: number;
  key?: string;
}

/** A dataset file breaks the format. The message names the file (and record/key when known). */
export class FormatError extends Error {
  readonly file?: string;
  readonly record?: number;
  readonly key?: string;
  /** The message without the location prefix, for callers that report the location themselves. */
  readonly reason: string;

  constructor(message: string, where: FormatErrorWhere = {}) {
    super(formatWhere(where) + message);
    this.reason = message;
    this.name = 'FormatError';
    this.file = where.file;
    this.record = where.record;
    this.key = where.key;
  }
}

function formatWhere({ file, record, key }: FormatErrorWhere): string {
  const parts: string[] = [];
  if (file !== undefined) parts.push(file);
  if (record !== undefined) parts.push(`record ${record}`);
  if (key !== undefined) parts.push(`key ${key}`);
  return parts.length ? `${parts.join(', ')}: ` : '';
}
