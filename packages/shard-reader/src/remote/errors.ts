// Errors of remote reads: each names the object (its full URL) and, after retries, the last cause.

/** A remote object could not be read: not found, refused, or still failing after every retry. */
export class RemoteError extends Error {
  override name = 'RemoteError';
  constructor(
    /** The object's URL (s3://bucket/key or https://host/path). */
    readonly url: string,
    /** The message without the URL prefix. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${url}: ${reason}`, options);
  }
}

/** An HTTP status answered by the store; 5xx, 408 and 429 are worth retrying, other 4xx are not. */
export class StatusError extends Error {
  override name = 'StatusError';
  constructor(
    readonly status: number,
    detail: string,
  ) {
    super(`HTTP ${status}${detail ? ` ${detail}` : ''}`);
  }
}

/** The store answered with other bytes than asked for (short body, wrong range): a transient fault. */
export class BodyError extends Error {
  override name = 'BodyError';
}

/** No bytes arrived for too long (headers or body); retried like a reset. */
export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/** A whole-object download whose SHA-256 is not the manifest's: retried from scratch, then reported. */
export class DigestError extends Error {
  override name = 'DigestError';
}

/** The cache cannot make room: too small for what is in use, or other processes' shards never freed. */
export class CacheFullError extends Error {
  override name = 'CacheFullError';
}

/** One line for an error and its causes, e.g. "fetch failed (connect ECONNREFUSED 127.0.0.1:9)". */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    const msg = e instanceof Error ? e.message || e.name : String(e);
    if (!parts.some((p) => p.includes(msg))) parts.push(msg);
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.length > 1 ? `${parts[0]} (${parts.slice(1).join('; ')})` : (parts[0] ?? 'unknown error');
}
