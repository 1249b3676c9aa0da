// Retry policy for remote reads: exponential backoff with jitter on timeouts, 5xx and dropped connections.
import { setTimeout as sleep } from 'node:timers/promises';
import { BodyError, DigestError, RemoteError, StatusError, TimeoutError, describeError } from './errors.js';

export interface RetryOptions {
  /** Attempts in all, the first included (default 5). */
  attempts?: number;
  /** Delay before the first retry; doubles each time (default 100 ms). */
  baseDelayMs?: number;
  /** Cap on one delay (default 5 s). */
  maxDelayMs?: number;
}

export const DEFAULT_RETRY: Required<RetryOptions> = { attempts: 5, baseDelayMs: 100, maxDelayMs: 5000 };

/** Network error codes of Node and undici that mean "the connection went away; try again". */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

/** Whether an attempt's failure is transient: timeouts, 5xx/408/429, resets, short or wrong bodies, bad digests. */
export function isRetryable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    if (e instanceof StatusError) return e.status >= 500 || e.status === 408 || e.status === 429;
    if (e instanceof TimeoutError || e instanceof BodyError || e instanceof DigestError) return true;
    const o = e as { code?: unknown; name?: unknown; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
    const status = o.$metadata?.httpStatusCode;
    if (typeof status === 'number' && status >= 400) return status >= 500 || status === 408 || status === 429;
    if (typeof o.code === 'string' && TRANSIENT_CODES.has(o.code)) return true;
    // The AWS SDK's NodeHttpHandler reports its connection and socket timeouts by name.
    if (o.name === 'TimeoutError' || o.name === 'RequestTimeout' || o.name === 'RequestTimeTooSkewed') return true;
    if (o.$retryable) return true;
    e = e instanceof Error ? e.cause : undefined;
  }
  return false;
}

/** Delay before retry number `retry` (1-based): base * 2^(retry-1), capped, scaled by a random 50-100%. */
export function backoffDelay(retry: number, o: Required<RetryOptions>, random: () => number = Math.random): number {
  const ceiling = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (retry - 1));
  return ceiling * (0.5 + 0.5 * random());
}

export function checkRetryOptions(o: RetryOptions = {}): Required<RetryOptions> {
  const r = { ...DEFAULT_RETRY, ...o };
  if (!Number.isInteger(r.attempts) || r.attempts < 1 || r.attempts > 100) throw new RangeError(`retry.attempts must be an integer from 1 to 100 (got ${r.attempts})`);
  for (const k of ['baseDelayMs', 'maxDelayMs'] as const) {
    if (!Number.isFinite(r[k]) || r[k] < 0) throw new RangeError(`retry.${k} must be a number >= 0 (got ${r[k]})`);
  }
  return r;
}

/**
 * Runs `attempt` until it succeeds, retrying transient failures with backoff. A permanent failure, or the
 * last transient one, becomes a RemoteError naming `url` and the last cause. `attempt` gets its 1-based number.
 */
export async function withRetry<T>(url: string, o: Required<RetryOptions>, attempt: (n: number) => Promise<T>): Promise<T> {
  const started = Date.now();
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (err instanceof RemoteError) throw err;
      if (!isRetryable(err)) throw new RemoteError(url, describeError(err), { cause: err });
      if (n >= o.attempts) {
        const secs = ((Date.now() - started) / 1000).toFixed(1);
        throw new RemoteError(url, `gave up after ${n} attempt${n === 1 ? '' : 's'} in ${secs} s (last error: ${describeError(err)})`, { cause: err });
      }
      await sleep(backoffDelay(n, o));
    }
  }
}
