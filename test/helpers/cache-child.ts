// Child-process script for cache tests: one "rank" sharing a cacheDir with others.
// argv: cacheDir cacheBytes baseUrl entriesJson hold [waitForStdin]
// Acquires every entry in order, keeping the last `hold` pinned (a window in flight), checks each file's
// SHA-256, and prints {"ok":n} or {"error":message}. With waitForStdin it keeps its pins until stdin closes.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { HttpStore, ShardCache, type CacheEntry } from 'shard-reader/remote';

const [cacheDir, cacheBytes, baseUrl, entriesJson, hold, wait] = process.argv.slice(2);
const entries = JSON.parse(entriesJson) as CacheEntry[];
const store = new HttpStore(baseUrl, { timeoutMs: 5000, retry: { attempts: 3, baseDelayMs: 10 } });
const cache = ShardCache.open({ cacheDir, cacheBytes: Number(cacheBytes), spaceWaitMs: 20_000 });
const held: CacheEntry[] = [];
let ok = 0;
try {
  for (const e of entries) {
    const file = await cache.acquire(store, e);
    if (createHash('sha256').update(readFileSync(file)).digest('hex') !== e.sha256) throw new Error(`${file}: wrong bytes for ${e.key}`);
    ok++;
    held.push(e);
    if (held.length > Number(hold)) cache.release(held.shift()!);
  }
  process.stdout.write(JSON.stringify({ ok }) + '\n');
  if (wait) {
    process.stdin.resume();
    await new Promise((r) => process.stdin.on('end', r));
  }
} catch (err) {
  process.stdout.write(JSON.stringify({ error: (err as Error).message }) + '\n');
} finally {
  cache.close();
  await store.close();
}
