import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../testing/index.ts';

describe('Content-Security-Policy (security)', () => {
  let t: TestApp;
  let dist: string;
  afterEach(async () => {
    await t?.close();
    await rm(dist, { recursive: true, force: true });
  });

  it('is sent with every HTML page (the app shell, SPA fallbacks, the invitation page) and API answer', async () => {
    dist = await mkdtemp(path.join(os.tmpdir(), 'ws-dist-'));
    await writeFile(path.join(dist, 'index.html'), '<!doctype html><title>x</title>');
    t = await makeTestApp({ env: { WEB_DIST: dist } });
    for (const url of ['/', '/review', '/admin/tasks/x', '/i/not-a-real-token', '/api/health']) {
      const res = await t.app.request(url);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, url).toContain("default-src 'self'");
      expect(csp, url).toContain("script-src 'self'");
      expect(csp, url).toContain("worker-src 'self'");
      expect(csp, url).toContain("connect-src 'self'");
      expect(csp, url).toContain("object-src 'none'");
      expect(csp, url).toContain("base-uri 'none'");
      expect(csp, url).toContain("frame-ancestors 'none'");
      // No way to run inline or foreign script.
      expect(csp, url).not.toMatch(/script-src[^;]*('unsafe-inline'|'unsafe-eval'|\*|https?:|data:|blob:)/);
    }
  });
});
