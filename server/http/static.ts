/**
 * Serves the built web app (Vite output) on the same port. The app shell (index.html) answers only
 * the app's own pages (/, /attempt, /login, /review…, /admin…); any other path is a 404, so a
 * mistyped or probing URL is not a 200 page. Assets under /assets/ are sent precompressed (brotli or
 * gzip, built by web/build/compress.ts) when the client accepts it, with immutable caching for
 * hashed file names. Source maps are never served (they would publish the client's source), and a
 * path that resolves outside the assets folder is a 404 (no traversal).
 */
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from './deps.ts';

/** Paths the single-page app renders (web/src/main.tsx, and /attempt after an invitation). */
export const APP_PATH = /^\/(?:(?:attempt|login|review|admin)(?:\/.*)?)?$/;
/** Vite's content hash in a file name: such a file never changes, so it may be cached for good. */
const HASHED = /-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

const notFound = (c: Context) => c.text('Not Found', 404);

export function serveWeb(app: OpenAPIHono<AppEnv>, webDist: string) {
  const index = path.join(webDist, 'index.html');
  const assets = path.resolve(webDist, 'assets');
  app.get('/assets/*', (c) => sendAsset(c, assets, c.req.path.slice('/assets/'.length)));
  app.get('*', (c) => {
    if (!APP_PATH.test(c.req.path)) return notFound(c);
    if (!existsSync(index)) {
      return c.text(
        'The web app is not built yet. Run `npm run build:web` (npm start does it for you).',
        503,
      );
    }
    // The shell names the current hashed bundles: always revalidated.
    c.header('cache-control', 'no-cache');
    return c.html(readFileSync(index, 'utf8'));
  });
}

function sendAsset(c: Context, root: string, rel: string) {
  let name: string;
  try {
    name = decodeURIComponent(rel);
  } catch {
    return notFound(c);
  }
  const file = path.resolve(root, name);
  if (!file.startsWith(root + path.sep) || name.includes('\0') || file.endsWith('.map')) return notFound(c);
  if (!isFile(file)) return notFound(c);
  const accepts = c.req.header('accept-encoding') ?? '';
  const variant =
    (/\bbr\b/.test(accepts) && isFile(`${file}.br`) && { suffix: '.br', encoding: 'br' }) ||
    (/\bgzip\b/.test(accepts) && isFile(`${file}.gz`) && { suffix: '.gz', encoding: 'gzip' }) ||
    undefined;
  const sent = variant ? file + variant.suffix : file;
  const headers: Record<string, string> = {
    'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'content-length': String(statSync(sent).size),
    'cache-control': HASHED.test(file) ? 'public, max-age=31536000, immutable' : 'no-cache',
  };
  if (isFile(`${file}.br`) || isFile(`${file}.gz`)) headers.vary = 'Accept-Encoding';
  if (variant) headers['content-encoding'] = variant.encoding;
  if (c.req.method === 'HEAD') return c.body(null, 200, headers);
  return c.body(Readable.toWeb(createReadStream(sent)) as ReadableStream, 200, headers);
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
