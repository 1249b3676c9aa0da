// Errors cross the worker boundary as plain data and are rebuilt with their type and location.
import { FormatError } from 'shard-format';
import { CorruptRecordError } from '../dataset/record-store.js';

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
  if (s.name === 'CorruptRecordError' || s.name === 'FormatError') {
    const bare = s.reason ?? s.message;
    const where = { file: s.file, record: s.record, key: s.key };
    return s.name === 'CorruptRecordError' ? new CorruptRecordError(bare, where) : new FormatError(bare, where);
  }
  const err = s.name === 'RangeError' ? new RangeError(s.message) : new Error(s.message);
  return err;
}
