// Byte layout of one record: image, labels, key CRC, record CRC, zero padding to the stride.
import { DTYPE_BYTES, LIMITS, RECORD_ALIGN, type Dtype } from './constants.js';

export interface RecordLayout {
  /** H x W x C x bytes per element. */
  imageBytes: number;
  /** Float32 little-endian label vector starts here (4-byte aligned). */
  labelsOffset: number;
  labelCount: number;
  /** CRC-32 of the sample key (UTF-8), ties a record to its index entry. */
  keyCrcOffset: number;
  /** CRC-32 of bytes [0, crcOffset) of the record. */
  crcOffset: number;
  /** Distance between records: crcOffset + 4 rounded up to RECORD_ALIGN. */
  stride: number;
}

export type Shape = [height: number, width: number, channels: number];

export function alignUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

export function recordLayout(shape: Shape, dtype: Dtype, labelCount: number): RecordLayout {
  const [h, w, c] = shape;
  const imageBytes = h * w * c * DTYPE_BYTES[dtype];
  const labelsOffset = alignUp(imageBytes, 4);
  const keyCrcOffset = labelsOffset + 4 * labelCount;
  const crcOffset = keyCrcOffset + 4;
  const stride = alignUp(crcOffset + 4, RECORD_ALIGN);
  if (stride > LIMITS.maxRecordBytes) throw new RangeError(`record of ${stride} bytes exceeds the ${LIMITS.maxRecordBytes}-byte limit`);
  return { imageBytes, labelsOffset, labelCount, keyCrcOffset, crcOffset, stride };
}

/** How many records fit in a shard of `shardBytes` (at least one, so huge records still get a shard). */
export function recordsPerShard(shardBytes: number, dataOffset: number, stride: number): number {
  return Math.max(1, Math.min(LIMITS.maxRecordsPerShard, Math.floor((shardBytes - dataOffset) / stride)));
}
