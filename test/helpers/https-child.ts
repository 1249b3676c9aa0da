// Child-process script for the https tests: NODE_EXTRA_CA_CERTS is read at process start, so a test that
// trusts a certificate runs here. argv: baseUrl key bytes sha256 cacheDir
// Reads the object through HttpStore.openWhole on this thread, then downloads it into a ShardCache (in the
// download thread); prints {"reusesChunks":bool,"sha":hex,"cached":hex} or {"error":message}.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { HttpStore, ShardCache } from 'shard-reader/remote';

const [baseUrl, key, bytes, sha256, cacheDir] = process.argv.slice(2);
const store = new HttpStore(baseUrl, { timeoutMs: 5000, retry: { attempts: 2, baseDelayMs: 10 } });
const cache = ShardCache.open({ cacheDir, cacheBytes: 64 << 20 });
try {
  const body = await store.openWhole(key);
  const h = createHash('sha256');
  for await (const c of body.chunks) h.update(c);
  const file = await cache.acquire(store, { key, bytes: Number(bytes), sha256 });
  const cached = createHash('sha256').update(readFileSync(file)).digest('hex');
  process.stdout.write(JSON.stringify({ reusesChunks: body.reusesChunks === true, sha: h.digest('hex'), cached }) + '\n');
} catch (err) {
  process.stdout.write(JSON.stringify({ error: (err as Error).message }) + '\n');
} finally {
  cache.close();
  await store.close();
}
