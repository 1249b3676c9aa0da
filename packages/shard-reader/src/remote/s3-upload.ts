// Uploads of finished dataset files to S3: multipart for large ones, each object tagged with its SHA-256 so a
// rerun can tell an object already uploaded intact from one it still has to send.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { DeleteObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { StatusError } from './errors.js';
import { withRetry } from './retry.js';
import { sdkError, type S3Store } from './s3-store.js';

/** Object metadata key holding the content's SHA-256 (x-amz-meta-sha256). */
export const SHA256_META = 'sha256';

export interface UploadOptions {
  /** Multipart part size (default 16 MiB; S3's minimum is 5 MiB). */
  partBytes?: number;
  /** Parts in flight per object (default 4). */
  queueSize?: number;
}

/** Whether `key` already holds exactly this content: same size and the SHA-256 recorded at its upload. */
export async function uploadedIntact(store: S3Store, key: string, bytes: number, sha256: string): Promise<boolean> {
  return withRetry(store.urlOf(key), store.retryPolicy, async () => {
    try {
      const head = await store.client.send(new HeadObjectCommand({ Bucket: store.bucket, Key: store.prefix + key }));
      return head.ContentLength === bytes && head.Metadata?.[SHA256_META] === sha256;
    } catch (err) {
      const e = sdkError(err);
      if (e instanceof StatusError && e.status === 404) return false;
      throw e;
    }
  });
}

/**
 * Uploads a local file as `key` (multipart above one part), recording its SHA-256. A failed attempt aborts
 * its multipart upload (no orphan parts) and is retried from the start per the store's retry policy.
 */
export async function uploadFile(store: S3Store, key: string, file: string, sha256: string, o: UploadOptions = {}): Promise<void> {
  const { size } = await stat(file);
  await withRetry(store.urlOf(key), store.retryPolicy, async () => {
    const body = createReadStream(file);
    try {
      const upload = new Upload({
        client: store.client,
        params: { Bucket: store.bucket, Key: store.prefix + key, Body: body, ContentLength: size, Metadata: { [SHA256_META]: sha256 } },
        partSize: Math.max(5 * 1024 * 1024, o.partBytes ?? 16 * 1024 * 1024),
        queueSize: o.queueSize ?? 4,
        leavePartsOnError: false,
      });
      await upload.done();
    } catch (err) {
      throw sdkError(err);
    } finally {
      body.destroy();
    }
  });
}

/** Deletes `key` (no error when it is already gone: S3 answers 204 either way). */
export async function deleteObject(store: S3Store, key: string): Promise<void> {
  await withRetry(store.urlOf(key), store.retryPolicy, async () => {
    try {
      await store.client.send(new DeleteObjectCommand({ Bucket: store.bucket, Key: store.prefix + key }));
    } catch (err) {
      const e = sdkError(err);
      if (e instanceof StatusError && e.status === 404) return;
      throw e;
    }
  });
}
