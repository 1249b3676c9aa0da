// Shard header: encode and decode side by side. Little-endian, HEADER_BYTES long, CRC-protected.
import { crc32 } from './checksum.js';
import { BUILD_ID_BYTES, DATA_OFFSET, DTYPES, DTYPE_CODE, FORMAT_VERSION, HEADER_BYTES, LIMITS, MAGIC, type Dtype } from './constants.js';
import { FormatError } from './errors.js';

export interface ShardHeader {
  version: number;
  /** 32 raw bytes of the schema hash (hex in the manifest). */
  schemaHash: string;
  /** 16 raw bytes (32 hex digits) naming the build this shard belongs to; also mixed into every key CRC. */
  buildId: string;
  shardIndex: number;
  recordCount: number;
  recordStride: number;
  dataOffset: number;
  /** Global sample index of the shard's record 0. */
  firstSample: number;
  imageBytes: number;
  labelCount: number;
  dtype: Dtype;
  height: number;
  width: number;
  channels: number;
}

const OFF = {
  magic: 0,
  version: 8,
  schemaHash: 16,
  shardIndex: 48,
  recordCount: 52,
  recordStride: 56,
  dataOffset: 60,
  firstSample: 64,
  imageBytes: 72,
  labelCount: 76,
  dtype: 80,
  channels: 82,
  height: 84,
  width: 88,
  buildId: 92,
  crc: 124,
} as const;

/** Reserved header ranges [from, to): zero when written, refused when not. */
const RESERVED: [number, number][] = [
  [12, 16],
  [OFF.buildId + BUILD_ID_BYTES, OFF.crc],
];

/** The raw bytes of a build id given as 32 lowercase hex digits. */
export function buildIdBytes(buildId: string): Uint8Array {
  if (!/^[0-9a-f]{32}$/.test(buildId)) throw new RangeError(`build id must be 32 lowercase hex digits (got ${JSON.stringify(buildId)})`);
  return Buffer.from(buildId, 'hex');
}

export function encodeHeader(h: Omit<ShardHeader, 'version' | 'dataOffset'>): Uint8Array {
  const bytes = new Uint8Array(HEADER_BYTES);
  const v = new DataView(bytes.buffer);
  bytes.set(MAGIC, OFF.magic);
  v.setUint32(OFF.version, FORMAT_VERSION, true);
  bytes.set(Buffer.from(h.schemaHash, 'hex'), OFF.schemaHash);
  v.setUint32(OFF.shardIndex, h.shardIndex, true);
  v.setUint32(OFF.recordCount, h.recordCount, true);
  v.setUint32(OFF.recordStride, h.recordStride, true);
  v.setUint32(OFF.dataOffset, DATA_OFFSET, true);
  v.setBigUint64(OFF.firstSample, BigInt(h.firstSample), true);
  v.setUint32(OFF.imageBytes, h.imageBytes, true);
  v.setUint32(OFF.labelCount, h.labelCount, true);
  v.setUint16(OFF.dtype, DTYPE_CODE[h.dtype], true);
  v.setUint16(OFF.channels, h.channels, true);
  v.setUint32(OFF.height, h.height, true);
  v.setUint32(OFF.width, h.width, true);
  bytes.set(buildIdBytes(h.buildId), OFF.buildId);
  v.setUint32(OFF.crc, crc32(bytes.subarray(0, OFF.crc)), true);
  return bytes;
}

/** Decodes and sanity-checks a header; `file` names the shard in errors. */
export function decodeHeader(bytes: Uint8Array, file: string): ShardHeader {
  if (bytes.length < HEADER_BYTES) throw new FormatError(`shard header truncated (${bytes.length} of ${HEADER_BYTES} bytes)`, { file });
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) throw new FormatError('not a shard file (bad magic)', { file });
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  // Checksum before version: a damaged version field is damage, not a newer format.
  const storedCrc = v.getUint32(OFF.crc, true);
  if (crc32(bytes.subarray(0, OFF.crc)) !== storedCrc) throw new FormatError('shard header checksum mismatch', { file });
  const version = v.getUint32(OFF.version, true);
  if (version !== FORMAT_VERSION) throw new FormatError(`unsupported shard format version ${version} (this reader knows ${FORMAT_VERSION})`, { file });
  const code = v.getUint16(OFF.dtype, true);
  const dtype = DTYPES.find((d) => DTYPE_CODE[d] === code);
  if (!dtype) throw new FormatError(`unknown dtype code ${code} in header`, { file });
  const firstSample = v.getBigUint64(OFF.firstSample, true);
  if (firstSample > BigInt(LIMITS.maxSamples)) throw new FormatError(`header firstSample ${firstSample} is out of range`, { file });
  const header: ShardHeader = {
    version,
    schemaHash: Buffer.from(bytes.subarray(OFF.schemaHash, OFF.schemaHash + 32)).toString('hex'),
    buildId: Buffer.from(bytes.subarray(OFF.buildId, OFF.buildId + BUILD_ID_BYTES)).toString('hex'),
    shardIndex: v.getUint32(OFF.shardIndex, true),
    recordCount: v.getUint32(OFF.recordCount, true),
    recordStride: v.getUint32(OFF.recordStride, true),
    dataOffset: v.getUint32(OFF.dataOffset, true),
    firstSample: Number(firstSample),
    imageBytes: v.getUint32(OFF.imageBytes, true),
    labelCount: v.getUint32(OFF.labelCount, true),
    dtype,
    channels: v.getUint16(OFF.channels, true),
    height: v.getUint32(OFF.height, true),
    width: v.getUint32(OFF.width, true),
  };
  // Reserved bytes are zero in this version; anything else was written by something we do not know.
  for (const [from, to] of RESERVED) {
    for (let i = from; i < to; i++) if (bytes[i] !== 0) throw new FormatError(`reserved header byte ${i} is not zero`, { file });
  }
  if (header.dataOffset !== DATA_OFFSET) throw new FormatError(`header dataOffset ${header.dataOffset} is not ${DATA_OFFSET}`, { file });
  if (header.recordCount > LIMITS.maxRecordsPerShard) throw new FormatError(`header recordCount ${header.recordCount} is out of range`, { file });
  return header;
}
