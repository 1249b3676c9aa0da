// CPU of the S3 presign that starts every whole download, in a fresh process (as cold as a download thread):
// the SDK's getSignedUrl for every key, against GetObjectPresigner (src/remote/s3-presign.ts: getSignedUrl for
// the first key only, the SDK's S3RequestPresigner for the rest). The first call of each is the one a download
// thread pays while starting up (S3Store.warmUp, from ds.ready()). No request is sent.
// node --conditions=source --import tsx scripts/bench/presign-cost.ts
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { s3ClientFor } from 'shard-reader/remote';
import { GetObjectPresigner } from '../../packages/shard-reader/src/remote/s3-presign.js';

const CALLS = 20;
Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench', AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });

const method = process.argv[2];
if (!method) {
  for (const m of ['getSignedUrl', 'GetObjectPresigner']) {
    const ms = JSON.parse(execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), m], { encoding: 'utf8' })) as number[];
    const later = ms.slice(1).sort((a, b) => a - b);
    console.log(`${m.padEnd(18)} CPU ms per presign, in order: ${ms.map((x) => x.toFixed(2)).join(' ')} (first ${ms[0].toFixed(1)}, median of the rest ${later[later.length >> 1].toFixed(2)})`);
  }
} else {
  const client = s3ClientFor({ endpoint: 'http://127.0.0.1:9' });
  const presigner = new GetObjectPresigner(client, 'bucket');
  const sign = method === 'getSignedUrl' ? (key: string) => getSignedUrl(client, new GetObjectCommand({ Bucket: 'bucket', Key: key }), { expiresIn: 3600 }) : (key: string) => presigner.url(key);
  const ms: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const before = process.cpuUsage();
    await sign(`prefix/shard-${String(i).padStart(5, '0')}.bin`);
    const after = process.cpuUsage(before);
    ms.push((after.user + after.system) / 1000);
  }
  client.destroy();
  console.log(JSON.stringify(ms));
}
