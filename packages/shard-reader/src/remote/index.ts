// Remote datasets: object stores (S3, HTTP), retries and the bounded shared on-disk cache.
export { CacheFullError, RemoteError, describeError } from './errors.js';
export { DEFAULT_RETRY, isRetryable, backoffDelay, withRetry, type RetryOptions } from './retry.js';
export { collect, type ObjectBody, type ObjectInfo, type ObjectStore, type StoreOptions } from './object-store.js';
export { S3Store, parseS3Url, s3ClientFor, type S3Options, type S3StoreOptions } from './s3-store.js';
export { HttpStore } from './http-store.js';
export { isRemoteUrl, openObjectStore, type OpenStoreOptions } from './open-store.js';
export { ShardCache, type CacheEntry, type CacheOptions, type CacheUsage } from './shard-cache.js';
export { cacheBytesNeeded, checkCacheBytes, type CacheNeed, type NeedInput } from './cache-need.js';
export { loadRemoteDataset, type LoadedRemoteDataset } from './load-remote.js';
export { RangeReader, type RangeReaderOptions } from './range-reader.js';
export { ShardFeed, type FeedEvents, type FeedShard } from './shard-feed.js';
export { SHA256_META, deleteObject, uploadFile, uploadedIntact, type UploadOptions } from './s3-upload.js';
export { materializeDataset, type MaterializeOptions } from './materialize.js';
