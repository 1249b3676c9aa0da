// Wire constants of the shard format, in one place (see docs/FORMAT.md).

/** First 8 bytes of every shard file: ASCII "CTSHARD" + NUL. */
export const MAGIC = Uint8Array.from([0x43, 0x54, 0x53, 0x48, 0x41, 0x52, 0x44, 0x00]);
/** Bumped on any incompatible change; readers refuse versions they do not know. */
export const FORMAT_VERSION = 2;
/** Meaningful header bytes; the rest of the first page is zero. */
export const HEADER_BYTES = 128;
/** Record data starts on a page boundary so mmap views and O_DIRECT-style reads align. */
export const PAGE_SIZE = 4096;
export const DATA_OFFSET = PAGE_SIZE;
/** Every record starts on a cache-line boundary; stride is a multiple of this. */
export const RECORD_ALIGN = 64;
/** A build id is this many raw bytes (32 hex digits in the manifest). */
export const BUILD_ID_BYTES = 16;

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 'ct-shards';
export const INDEX_FORMAT = 'ct-shards-index';

// Other names in a dataset folder, here so the writer, the reader's verify and the CLI agree on them.
/** The writer's lock while a build runs in the folder. */
export const LOCK_FILE = '.build.lock';
/** The writer's journal/staging folder of an unfinished build. */
export const JOURNAL_DIR = '.build';
/** Suffix of a file being written (renamed into place when complete). */
export const PARTIAL_SUFFIX = '.partial';
/** A shard's data or index file as shardFileName/indexFileName write them (any number of digits is recognised). */
export const SHARD_FILE_PATTERN = /^shard-\d+\.(bin|index\.json)$/;

/** Stored element types, little-endian: unsigned display values, or modality values (HU for CT) as int16 / float32. */
export const DTYPES = ['uint8', 'uint16', 'int16', 'float32'] as const;
export type Dtype = (typeof DTYPES)[number];
export const DTYPE_CODE: Record<Dtype, number> = { uint8: 1, uint16: 2, int16: 3, float32: 4 };
export const DTYPE_BYTES: Record<Dtype, number> = { uint8: 1, uint16: 2, int16: 2, float32: 4 };

/** Limits that keep hostile manifests and headers from causing huge allocations. */
export const LIMITS = {
  maxSide: 16_384,
  maxChannels: 4,
  maxLabels: 4_096,
  /** build.shardBytes in the manifest. */
  maxShardBytes: 2 ** 48,
  maxRecordBytes: 1 << 30,
  maxRecordsPerShard: 1 << 24,
  maxShards: 1 << 20,
  maxSamples: 2 ** 40,
  /** UTF-8 bytes of one sample key. */
  maxKeyBytes: 4_096,
  /** UTF-16 code units of one label name. */
  maxLabelName: 256,
} as const;

export function shardFileName(index: number): string {
  return `shard-${String(index).padStart(5, '0')}.bin`;
}

export function indexFileName(index: number): string {
  return `shard-${String(index).padStart(5, '0')}.index.json`;
}
