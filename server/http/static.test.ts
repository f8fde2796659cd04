import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gzipSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../testing/index.ts';

const JS = 'console.log("hello from a hashed bundle");\n'.repeat(100);

describe('serving the web app', () => {
  let t: TestApp;
  let dist: string;
  beforeAll(async () => {
    dist = await mkdtemp(path.join(os.tmpdir(), 'ws-dist-'));
    await mkdir(path.join(dist, 'assets'));
    await writeFile(path.join(dist, 'index.html'), '<!doctype html><title>shell</title>');
    const js = path.join(dist, 'assets/app-AbCd1234.js');
    await writeFile(js, JS);
    await writeFile(`${js}.br`, brotliCompressSync(JS));
    await writeFile(`${js}.gz`, gzipSync(JS));
    await writeFile(`${js}.map`, '{"sources":["secret.ts"]}');
    await writeFile(path.join(dist, 'secret.txt'), 'outside the assets folder');
    t = await makeTestApp({ env: { WEB_DIST: dist } });
  });
  afterAll(async () => {
    await t.close();
    await rm(dist, { recursive: true, force: true });
  });

  const get = (url: string, headers: Record<string, string> = {}) => t.app.request(url, { headers });

  it('answers the app pages with the shell, revalidated on every load', async () => {
    for (const url of ['/', '/attempt', '/login', '/review', '/review/att_1', '/admin/tasks/x']) {
      const res = await get(url);
      expect(res.status, url).toBe(200);
      expect(await res.text()).toContain('<title>shell</title>');
      expect(res.headers.get('cache-control')).toBe('no-cache');
    }
  });

  it('answers 404 for paths that are not the app (not the shell with 200)', async () => {
    for (const url of [
      '/wp-login.php',
      '/.env',
      '/favicon.ico',
      '/attempts',
      '/adminx',
      '/secret.txt',
      '/assets/nope.js',
    ]) {
      const res = await get(url);
      expect(res.status, url).toBe(404);
      expect(await res.text()).not.toContain('<title>shell</title>');
    }
  });

  it('sends brotli or gzip when accepted, with Vary and immutable caching for hashed names', async () => {
    const br = await get('/assets/app-AbCd1234.js', { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.status).toBe(200);
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(br.headers.get('vary')).toBe('Accept-Encoding');
    expect(br.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(br.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(brotliDecompressSync(Buffer.from(await br.arrayBuffer())).toString()).toBe(JS);

    const gz = await get('/assets/app-AbCd1234.js', { 'accept-encoding': 'gzip' });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(gunzipSync(Buffer.from(await gz.arrayBuffer())).toString()).toBe(JS);

    const plain = await get('/assets/app-AbCd1234.js', { 'accept-encoding': 'identity' });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toBe(JS);
  });

  it('never serves source maps, nor anything outside the assets folder', async () => {
    expect((await get('/assets/app-AbCd1234.js.map')).status).toBe(404);
    for (const url of ['/assets/..%2Fsecret.txt', '/assets/%2e%2e/secret.txt', '/assets/..%2Findex.html'])
      expect((await get(url)).status, url).toBe(404);
  });
});
