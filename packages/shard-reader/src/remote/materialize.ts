// A remote dataset copied byte for byte into a local folder (shard verify on a URL checks that copy).
import { mkdirSync } from 'node:fs';
import { open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DATA_OFFSET, MANIFEST_FILE, decodeManifest } from 'shard-format';
import { RemoteError, StatusError, describeError } from './errors.js';
import { openToEnd, type ObjectStore } from './object-store.js';
import { backoffDelay, isRetryable } from './retry.js';

export interface MaterializeOptions {
  /** Only sizes and the first page of each shard (headers), the rest left as a hole: what verify --quick reads. */
  quick?: boolean;
  /** Objects fetched at once (default 4). */
  concurrency?: number;
  onProgress?: (bytesDone: number) => void;
}

/**
 * Copies manifest.json and every file it names into `dir`, unchanged (no check: damage is for verify to
 * find). An object the store does not have is left out, so the copy shows it missing. Returns false when
 * the store has no manifest.json at all.
 */
export async function materializeDataset(store: ObjectStore, dir: string, o: MaterializeOptions = {}): Promise<boolean> {
  mkdirSync(dir, { recursive: true });
  const raw = await store.get(MANIFEST_FILE).catch((err) => {
    if (err instanceof RemoteError && err.cause instanceof StatusError && err.cause.status === 404) return undefined;
    throw err;
  });
  if (!raw) return false;
  await writeFile(path.join(dir, MANIFEST_FILE), raw);
  let names: { file: string; quick: boolean }[];
  try {
    const m = decodeManifest(new TextDecoder().decode(raw), MANIFEST_FILE);
    names = m.shards.flatMap((s) => [{ file: s.file, quick: o.quick === true }, { file: s.index.file, quick: false }]);
  } catch {
    return true; // verify reports why the manifest is unusable; there is nothing else to fetch
  }
  let done = raw.length;
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < names.length; i = next++) {
      const n = await copyObject(store, names[i].file, path.join(dir, names[i].file), names[i].quick);
      done += n;
      o.onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency ?? 4, names.length) }, worker));
  return true;
}

/** Streams one object to `file`, resuming after dropped connections; with `quick`, its first page and its size. */
async function copyObject(store: ObjectStore, key: string, file: string, quick: boolean): Promise<number> {
  const url = store.urlOf(key);
  const policy = store.retryPolicy;
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  let written = 0;
  let failures = 0;
  try {
    for (;;) {
      try {
        if (quick) {
          const info = await store.head(key);
          if (!info) return 0;
          const head = await store.getRange(key, 0, Math.min(DATA_OFFSET, info.size));
          fh = await open(file, 'w');
          await fh.write(head, 0, head.length, 0);
          await fh.truncate(info.size); // the rest a hole: same size, never read by a quick check
          return head.length;
        }
        // Each chunk is written before the next is asked for, so the store may reuse its buffers.
        const body = await openToEnd(store, key, written);
        fh ??= await open(file, 'w');
        const before = written;
        try {
          for await (const chunk of body.chunks) {
            await fh.write(chunk, 0, chunk.length, written);
            written += chunk.length;
          }
        } finally {
          if (written > before) failures = 0;
        }
        if (written < body.total) throw new StatusError(502, `response ended after ${written} of ${body.total} bytes`);
        return written;
      } catch (err) {
        if (err instanceof RemoteError) {
          if (err.cause instanceof StatusError && err.cause.status === 404) return 0;
          throw err;
        }
        if (err instanceof StatusError && err.status === 404) return 0;
        if (!isRetryable(err)) throw new RemoteError(url, describeError(err), { cause: err });
        if (++failures >= policy.attempts) throw new RemoteError(url, `gave up after ${failures} failed attempts in a row, ${written} bytes received (last error: ${describeError(err)})`, { cause: err });
        await sleep(backoffDelay(failures, policy));
      }
    }
  } finally {
    await fh?.close();
  }
}
