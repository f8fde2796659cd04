/** Serves the built web app (Vite output) on the same port, with an SPA fallback to index.html. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { serveStatic } from '@hono/node-server/serve-static';
import type { AppEnv } from './deps.ts';

export function serveWeb(app: OpenAPIHono<AppEnv>, webDist: string) {
  const index = path.join(webDist, 'index.html');
  const root = path.relative(process.cwd(), webDist) || '.';
  app.use('/assets/*', serveStatic({ root }));
  app.get('*', serveStatic({ root }));
  app.get('*', (c) => {
    if (!existsSync(index)) {
      return c.text(
        'The web app is not built yet. Run `npm run build:web` (npm start does it for you).',
        503,
      );
    }
    return c.html(readFileSync(index, 'utf8'));
  });
}
