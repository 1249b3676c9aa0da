// Small HTTP helpers for the dataset browser: errors with a status, strict query parsing, JSON and bytes replies.
import type { ServerResponse } from 'node:http';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Query parameters of a request, refusing any the route does not take and any given twice, so a typo
 * (`?pgae=2`) is a 400 rather than a silently ignored filter.
 */
export class Query {
  private readonly values = new Map<string, string>();

  constructor(params: URLSearchParams, allowed: readonly string[]) {
    for (const [k, v] of params) {
      if (!allowed.includes(k)) throw new HttpError(400, `unknown query parameter ${JSON.stringify(k)}${allowed.length ? ` (this path takes ${allowed.join(', ')})` : ' (this path takes none)'}`);
      if (this.values.has(k)) throw new HttpError(400, `query parameter ${JSON.stringify(k)} given twice`);
      this.values.set(k, v);
    }
  }

  string(name: string): string | undefined {
    return this.values.get(name);
  }

  int(name: string, min: number, max: number, fallback: number): number {
    const text = this.values.get(name);
    if (text === undefined) return fallback;
    if (!/^(0|[1-9]\d{0,15})$/.test(text) || Number(text) < min || Number(text) > max) throw new HttpError(400, `${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(text)})`);
    return Number(text);
  }
}

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  // Everything the page uses comes from this server: no CDN, no inline script.
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data: blob:; script-src 'self'; style-src 'self'; connect-src 'self'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
};

export function send(res: ServerResponse, status: number, type: string, body: string | Uint8Array, cache = 'no-store', extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': cache, ...SECURITY_HEADERS, ...extra });
  res.end(body);
}

export function sendJson(res: ServerResponse, value: unknown, status = 200): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

export function sendError(res: ServerResponse, status: number, message: string, extra: Record<string, string> = {}): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify({ error: message }), 'no-store', extra);
}

export function sseHeaders(res: ServerResponse): void {
  res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive', ...SECURITY_HEADERS });
}
