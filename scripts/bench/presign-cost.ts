// CPU of the S3 presign that starts every whole download, on its first use in a process and after: why the
// download threads presign once while starting up (S3Store.warmUp, from ds.ready()). No request is sent.
// node --conditions=source --import tsx scripts/bench/presign-cost.ts
import { S3Store } from 'shard-reader/remote';

Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench', AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });
const store = new S3Store('s3://bucket/prefix/', { s3: { endpoint: 'http://127.0.0.1:9' } });
const ms: string[] = [];
for (let i = 0; i < 20; i++) {
  const before = process.cpuUsage();
  await store.warmUp();
  const d = process.cpuUsage(before);
  ms.push(((d.user + d.system) / 1000).toFixed(1));
}
await store.close();
console.log(`CPU ms per presign, in order: ${ms.join(' ')}`);
