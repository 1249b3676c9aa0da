// What the remote benches share: a bench dataset put into a started RGW, and the raw limit the issue compares
// against (parallel whole-object GETs through the standard clients: the SDK's GetObject, fetch).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { MANIFEST_FILE, type Manifest } from 'shard-format';
import type { Rgw } from '../../test/helpers/servers.js';

/** Whole-object GETs in flight for the raw limit: what a fast client would open against one server. */
export const RAW_PARALLEL = 8;

/** The RGW's credentials for this process: the reader's S3 clients (and its download threads) read them here. */
export function useRgwCredentials(rgw: Rgw): void {
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: rgw.accessKeyId, AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey, AWS_REGION: rgw.region });
}

/** Creates `bucket` and puts the dataset folder `dir` (shards, index sidecars, manifest last) under `prefix`. */
export async function uploadDataset(client: S3Client, bucket: string, prefix: string, dir: string, manifest: Manifest): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  for (const name of [...manifest.shards.map((s) => s.file), ...manifest.shards.map((s) => s.index.file), MANIFEST_FILE]) {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}${name}`, Body: readFileSync(path.join(dir, name)) }));
  }
}

/** One object through the SDK's GetObject, body read and dropped: its bytes. */
export const sdkGet = (client: S3Client, bucket: string, prefix: string) => async (file: string) => {
  const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}${file}` }));
  let n = 0;
  for await (const c of r.Body as AsyncIterable<Uint8Array>) n += c.length;
  return n;
};

/** One object through fetch, body read and dropped: its bytes. */
export const fetchGet = (base: string) => async (file: string) => {
  const r = await fetch(base + file);
  let n = 0;
  for await (const c of r.body as unknown as AsyncIterable<Uint8Array>) n += c.length;
  return n;
};

/** Bytes per second of fetching every file once, RAW_PARALLEL at a time. */
export async function rawLimit(files: string[], get: (file: string) => Promise<number>): Promise<number> {
  const started = performance.now();
  let next = 0;
  let bytes = 0;
  await Promise.all(
    Array.from({ length: RAW_PARALLEL }, async () => {
      while (next < files.length) {
        // Not `bytes += await ...`: that reads bytes before the await and drops the others' additions.
        const n = await get(files[next++]);
        bytes += n;
      }
    }),
  );
  return bytes / ((performance.now() - started) / 1000);
}
