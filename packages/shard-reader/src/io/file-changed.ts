// The error for a file that changed under an open source (truncated, rewritten in place, unreadable pages).
import { FormatError } from 'shard-format';

/** A shard's bytes are no longer the ones its dataset was opened with. Names the file; never a signal. */
export class FileChangedError extends FormatError {
  override name = 'FileChangedError';
}

/** `what` says what went wrong; the file's size now (`now`, when known) says how it changed. */
export function fileChanged(path: string, now: number | undefined, openedSize: number, what: string): FileChangedError {
  const how =
    now === undefined || now >= openedSize
      ? `it was rewritten in place or could not be read (${openedSize} bytes when opened${now === undefined ? '' : `, ${now} now`})`
      : `it is ${now} bytes now, ${openedSize} when opened: truncated or rewritten in place`;
  return new FileChangedError(`changed while being read (${what}): ${how}; reopen the dataset`, { file: path });
}
