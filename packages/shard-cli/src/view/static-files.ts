// The browser page's files (packages/shard-cli/web), read once at start: no request ever names a path on disk.
import { readFileSync } from 'node:fs';

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

/** URL path -> file in web/. A fixed list: the only files this server can send from the package. */
const FILES: Record<string, string> = {
  '/': 'index.html',
  '/app.js': 'app.js',
  '/viewer.js': 'viewer.js',
  '/window.js': 'window.js',
  '/style.css': 'style.css',
  '/favicon.svg': 'favicon.svg',
};

export interface StaticFile {
  type: string;
  body: Buffer;
}

export function loadStaticFiles(): Map<string, StaticFile> {
  // src/view and dist/view are both two levels below the package root, beside web/.
  const root = new URL('../../web/', import.meta.url);
  return new Map(Object.entries(FILES).map(([url, file]) => [url, { type: TYPES[file.split('.').pop()!], body: readFileSync(new URL(file, root)) }]));
}
