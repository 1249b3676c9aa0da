// Checks one record's bytes: CRC, key CRC against its index entry, labels against the index, zero padding.
import { crc32, paddingIsZero, recordCrcOk, storedKeyCrc, type Crc32Fn, type RecordLayout } from 'shard-format';

/** The record's bytes do not match their CRC. */
export const RECORD_CHECKSUM_MISMATCH = 'checksum mismatch (damaged bytes)';
/** An intact record whose key CRC does not match its index entry: another sample's record, or another build's. */
export const RECORD_OF_ANOTHER_KEY = 'record belongs to another key or another build (shard and index disagree)';
export const RECORD_PADDING = 'record padding is not zero';

/** What the index says of one record: the key CRC it must carry and its labels (float32, as stored). */
export interface RecordExpectation {
  keyCrc: number;
  labels: ArrayLike<number>;
  labelNames: readonly string[];
}

/** Why `record` (one stride of bytes) is damaged, or undefined; without `expect`, only CRC and padding are checked. */
export function recordProblem(record: Uint8Array, layout: RecordLayout, expect?: RecordExpectation, crc: Crc32Fn = crc32): string | undefined {
  const padded = paddingIsZero(record, layout);
  if (!recordCrcOk(record, layout, crc)) return padded ? RECORD_CHECKSUM_MISMATCH : `${RECORD_CHECKSUM_MISMATCH}; ${RECORD_PADDING}`;
  let message: string | undefined;
  if (expect) {
    if (storedKeyCrc(record, layout) !== expect.keyCrc) {
      message = RECORD_OF_ANOTHER_KEY;
    } else {
      const view = new DataView(record.buffer, record.byteOffset + layout.labelsOffset, 4 * layout.labelCount);
      const differ: string[] = [];
      for (let j = 0; j < layout.labelCount; j++) {
        const inRecord = view.getFloat32(4 * j, true);
        const inIndex = expect.labels[j];
        if (inRecord !== inIndex) differ.push(`${expect.labelNames[j]} ${inRecord} vs ${inIndex}`);
      }
      if (differ.length) message = `labels differ from the index (record vs index: ${differ.join(', ')})`;
    }
  }
  if (!padded) message = message ? `${message}; ${RECORD_PADDING}` : RECORD_PADDING;
  return message;
}
