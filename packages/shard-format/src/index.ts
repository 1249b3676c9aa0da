// shard-format public API: constants, layout, header, record, manifest and index codecs, checksums.
export {
  BUILD_ID_BYTES,
  DATA_OFFSET,
  DTYPES,
  DTYPE_BYTES,
  FORMAT_VERSION,
  HEADER_BYTES,
  JOURNAL_DIR,
  LIMITS,
  LOCK_FILE,
  MAGIC,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  PAGE_SIZE,
  PARTIAL_SUFFIX,
  RECORD_ALIGN,
  SHARD_FILE_PATTERN,
  indexFileName,
  shardFileName,
  type Dtype,
} from './constants.js';
export { FormatError, type FormatErrorWhere } from './errors.js';
export { crc32, sha256Hex, createSha256 } from './checksum.js';
export { canonicalJson } from './canonical-json.js';
export { alignUp, recordLayout, recordsPerShard, type RecordLayout, type Shape } from './layout.js';
export { schemaHash, type Fit, type Preprocess, type Schema } from './schema.js';
export { buildIdBytes, encodeHeader, decodeHeader, type ShardHeader } from './header.js';
export { buildSeed, encodeRecord, decodeLabels, imageBytes, keyCrc, paddingIsZero, recordCrcOk, storedCrc, storedKeyCrc, type Crc32Fn } from './record.js';
export { encodeManifest, decodeManifest, manifestChecksum, type FileEntry, type Manifest, type ShardEntry, type SkippedInput, type ValueStats, HISTOGRAM_BINS } from './manifest.js';
export { encodeShardIndex, decodeShardIndex, keyProblem, type SampleMeta, type ShardIndex } from './index-file.js';
export { checkHeaderAgainstManifest } from './consistency.js';
