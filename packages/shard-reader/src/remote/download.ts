// One whole-object download into a cache part file: resumed after drops, checked against the manifest's SHA-256.
// The same loop runs in the download thread (ingest-worker.ts) and, for stores it cannot rebuild, on the caller's.
import { setTimeout as sleep } from 'node:timers/promises';
import { DigestError, RemoteError, describeError } from './errors.js';
import { openToEnd, type ObjectStore, type PumpTarget } from './object-store.js';
import { backoffDelay, isRetryable } from './retry.js';

/** Where a download's bytes go: hashed and written in order from byte 0. */
export interface DownloadSink {
  /** Bytes pushed since the start (or the last restart). */
  readonly offset: number;
  push(chunk: Uint8Array): Promise<void> | void;
  /** Every byte pushed is written on return (a failed write is thrown). */
  flush(): Promise<void> | void;
  /** SHA-256 (hex) of every byte pushed. */
  digest(): Promise<string> | string;
  /** Forgets the bytes and the hash, and empties the file: the download starts over. */
  restart(): Promise<void> | void;
  /** Set when a body may pump into this sink (the bytes then never pass through JavaScript). */
  readonly pump?: PumpTarget;
}

export interface DownloadTarget {
  key: string;
  bytes: number;
  sha256: string;
}

/**
 * Downloads `entry` into `sink`, resuming after a dropped connection from the bytes already written (so a reset
 * late in a large shard costs little). A wrong SHA-256 starts over; `digestAttempts` wrong downloads, or the
 * store's retry limit of failed attempts in a row without progress, end in a RemoteError naming the object.
 */
export async function downloadObject(store: ObjectStore, entry: DownloadTarget, sink: DownloadSink, digestAttempts: number, stopped: () => boolean): Promise<void> {
  const url = store.urlOf(entry.key);
  const policy = store.retryPolicy;
  let written = 0;
  let failures = 0;
  let digestFailures = 0;
  let lastError: unknown;
  for (let attempt = 0; attempt < policy.attempts * 4; attempt++) {
    const before = written;
    try {
      const body = await openToEnd(store, entry.key, written);
      if (body.total !== entry.bytes) {
        body.cancel();
        throw new RemoteError(url, `is ${body.total} bytes, the manifest says ${entry.bytes} (object replaced or truncated in the store)`);
      }
      try {
        if (body.pumpTo && sink.pump) {
          await body.pumpTo(sink.pump, stopped);
          if (stopped()) throw new RemoteError(url, 'download stopped: the cache was closed');
        } else for await (const chunk of body.chunks) {
          if (stopped()) {
            body.cancel();
            throw new RemoteError(url, 'download stopped: the cache was closed');
          }
          if (sink.offset + chunk.length > entry.bytes) throw new DigestError(`response runs past the ${entry.bytes} bytes the manifest gives`);
          await sink.push(chunk);
          if (body.reusesChunks) await sink.flush();
        }
      } finally {
        // Bytes received are kept (a resume starts after them); a failed write is thrown from here.
        await sink.flush();
        written = sink.offset;
      }
      if (written !== entry.bytes) throw new DigestError(`response ended after ${written} of ${entry.bytes} bytes`);
      if ((await sink.digest()) === entry.sha256) return;
      digestFailures++;
      if (digestFailures >= digestAttempts) {
        throw new RemoteError(url, `SHA-256 of the download does not match the manifest (${digestFailures} downloads; the object is damaged or was replaced in the store)`);
      }
      written = 0;
      await sink.restart();
      continue;
    } catch (err) {
      if (err instanceof RemoteError) throw err;
      if (!isRetryable(err)) throw new RemoteError(url, describeError(err), { cause: err });
      lastError = err;
      failures = written > before ? 1 : failures + 1; // progress resets the count of failures in a row
      if (failures >= policy.attempts) break;
      await sleep(backoffDelay(failures, policy));
    }
  }
  throw new RemoteError(url, `gave up after ${failures} failed attempts in a row, ${written} of ${entry.bytes} bytes received (last error: ${describeError(lastError)})`, { cause: lastError });
}
