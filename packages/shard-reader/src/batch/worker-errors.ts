// Errors cross the worker boundary as plain data and are rebuilt with their type and location.
import { FormatError } from 'shard-format';
import { CorruptRecordError } from '../dataset/record-store.js';
import { FileChangedError } from '../io/file-changed.js';

export interface SerializedError {
  name: string;
  message: string;
  /** FormatError's message without its location prefix. */
  reason?: string;
  file?: string;
  record?: number;
  key?: string;
}

export function serializeError(err: unknown): SerializedError {
  const e = err as Error & Partial<SerializedError>;
  return { name: e?.name ?? 'Error', message: e?.message ?? String(err), reason: e?.reason, file: e?.file, record: e?.record, key: e?.key };
}

/** Rebuilds a worker's error on this side, keeping its type and location. */
export function reviveError(s: SerializedError): Error {
  const types: Record<string, typeof FormatError> = { CorruptRecordError, FileChangedError, FormatError };
  const Type = types[s.name];
  if (Type) return new Type(s.reason ?? s.message, { file: s.file, record: s.record, key: s.key });
  const err = s.name === 'RangeError' ? new RangeError(s.message) : new Error(s.message);
  return err;
}
