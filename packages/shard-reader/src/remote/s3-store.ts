// ObjectStore over S3 and S3-compatible stores (Ceph RGW, MinIO...) with the AWS SDK v3.
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, S3Client, paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { MANIFEST_FILE } from 'shard-format';
import { StatusError } from './errors.js';
import { plainWhole } from './http-store.js';
import { GetObjectPresigner } from './s3-presign.js';
import type { S3Options } from './s3-options.js';
import { BaseStore, specOptions, type ObjectBody, type ObjectInfo, type StoreOptions, type StoreSpec } from './object-store.js';

export type { S3Options } from './s3-options.js';

export interface S3StoreOptions extends StoreOptions {
  s3?: S3Options;
}

/** Splits s3://bucket/prefix into bucket and a prefix that ends in '/' (or is empty). */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m || !m[1]) throw new RangeError(`not an s3:// URL with a bucket: ${url}`);
  const prefix = m[2] && !m[2].endsWith('/') ? `${m[2]}/` : m[2];
  return { bucket: m[1], prefix };
}

export function s3ClientFor(o: S3Options = {}, timeoutMs = 30_000): S3Client {
  const endpoint = o.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  const region = o.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? (endpoint ? 'us-east-1' : undefined);
  const agent = { keepAlive: true, maxSockets: o.maxSockets ?? 16 };
  return new S3Client({
    endpoint,
    region,
    forcePathStyle: o.forcePathStyle ?? (endpoint ? true : undefined),
    // Stores without the new CRC trailers (Ceph 16, older MinIO) reject streamed checksums.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // One attempt per call: the store's retry policy (backoff, limit, the error it ends with) is ours.
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: timeoutMs,
      socketTimeout: timeoutMs,
      httpAgent: new http.Agent(agent),
      httpsAgent: new https.Agent(agent),
    }),
  });
}

export class S3Store extends BaseStore {
  /** The SDK client (one attempt per call: wrap calls in withRetry with retryPolicy). */
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;

  constructor(url: string, options: S3StoreOptions = {}) {
    const { bucket, prefix } = parseS3Url(url);
    super(`s3://${bucket}/${prefix}`, options);
    this.bucket = bucket;
    this.prefix = prefix;
    this.client = s3ClientFor(options.s3, this.timeoutMs);
    this.presigner = new GetObjectPresigner(this.client, bucket);
    // A subclass may change how requests are made: only this class can be rebuilt elsewhere from its options.
    const copy = new.target === S3Store ? specOptions(options) : undefined;
    this.spec = copy && { kind: 's3', url: this.url, options: copy };
  }

  readonly spec?: StoreSpec;
  private readonly presigner: GetObjectPresigner;

  urlOf(key: string): string {
    return this.url + key;
  }

  protected async openOnce(key: string, offset: number, length: number | undefined): Promise<ObjectBody> {
    const wantsRange = offset > 0 || length !== undefined;
    if (length === 0) {
      const info = await this.headOnce(key);
      if (!info) throw new StatusError(404, 'Not Found (no such object)');
      return { length: 0, total: info.size, chunks: (async function* () {})(), cancel() {} };
    }
    const range = wantsRange ? `bytes=${offset}-${length === undefined ? '' : offset + length - 1}` : undefined;
    const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key, Range: range })).catch((err) => {
      throw sdkError(err);
    });
    const body = res.Body as Readable | undefined;
    const contentLength = res.ContentLength ?? 0;
    let total = contentLength;
    if (res.ContentRange) {
      const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(res.ContentRange);
      if (m) total = Number(m[3]);
    } else if (wantsRange && offset > 0) {
      body?.destroy();
      throw new StatusError(500, `no Content-Range in the answer to Range ${range}`);
    }
    return {
      length: contentLength,
      total,
      chunks: body ?? (async function* () {})(),
      cancel: () => body?.destroy(),
    };
  }

  /**
   * A whole download over a plain socket (socket-get.ts), to a URL the SDK presigned (its credentials,
   * region and addressing); the SDK's own GetObject for subclasses and for the answers socketGet leaves to a
   * full client (redirects, and 4xx, whose wording the SDK reads from the body).
   */
  protected override wholeOnce(key: string, offset: number): Promise<ObjectBody | undefined> | undefined {
    // A presigned URL is always http(s): socketGet serves both.
    if (!this.spec) return undefined;
    return (async () => {
      const url = await this.presigner.url(this.prefix + key);
      // Range is not part of the presigned request: SigV4 query signing covers the host header only.
      return plainWhole(url, offset > 0 ? { range: `bytes=${offset}-` } : {}, offset, this.timeoutMs);
    })();
  }

  /**
   * One presign, result dropped: the first in a thread costs 30-70 ms of CPU (the SDK's code loaded,
   * credentials and endpoint resolved; scripts/bench/presign-cost.ts), so a download thread pays it while
   * starting up, not in the first epoch. A failure (no credentials yet) shows at the first download instead.
   */
  async warmUp(): Promise<void> {
    if (this.spec) await this.presigner.url(this.prefix + MANIFEST_FILE).catch(() => {});
  }

  protected async headOnce(key: string): Promise<ObjectInfo | undefined> {
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
      return { key, size: res.ContentLength ?? 0 };
    } catch (err) {
      const e = sdkError(err);
      if (e instanceof StatusError && e.status === 404) return undefined;
      throw e;
    }
  }

  protected async listOnce(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    try {
      for await (const page of paginateListObjectsV2({ client: this.client }, { Bucket: this.bucket, Prefix: this.prefix + prefix })) {
        for (const o of page.Contents ?? []) if (o.Key) out.push({ key: o.Key.slice(this.prefix.length), size: o.Size ?? 0 });
      }
    } catch (err) {
      throw sdkError(err);
    }
    return out;
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

/** SDK service errors become StatusErrors (so retry and messages treat both stores alike); others pass through. */
export function sdkError(err: unknown): unknown {
  const e = err as { $metadata?: { httpStatusCode?: number }; name?: string; message?: string; Code?: string };
  const status = e?.$metadata?.httpStatusCode;
  if (typeof status !== 'number' || status < 300) return err;
  const code = e.Code ?? e.name;
  const detail = status === 404 ? 'Not Found (no such object or bucket)' : code && code !== 'UnknownError' ? `(${code}${e.message && e.message !== code && e.message !== 'UnknownError' ? `: ${e.message}` : ''})` : '';
  return Object.assign(new StatusError(status, detail), { cause: err });
}
