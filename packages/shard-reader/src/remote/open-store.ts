// Picks the object store for a dataset URL: s3:// through the AWS SDK, http(s):// through fetch.
import { HttpStore } from './http-store.js';
import type { ObjectStore, StoreOptions } from './object-store.js';
import { S3Store, type S3Options } from './s3-store.js';
export { isRemoteUrl } from './url.js';

export interface OpenStoreOptions extends StoreOptions {
  s3?: S3Options;
}

export function openObjectStore(url: string, options: OpenStoreOptions = {}): ObjectStore {
  if (/^s3:\/\//i.test(url)) return new S3Store(url, options);
  if (/^https?:\/\//i.test(url)) return new HttpStore(url, options);
  throw new RangeError(`not a remote dataset URL (expected s3://, http:// or https://): ${url}`);
}
