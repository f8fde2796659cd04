/**
 * `npm start` as an operator (or a process supervisor) runs it: SIGTERM to npm stops the server too
 * (the script `exec`s node, so npm's signal reaches it, instead of orphaning a server that keeps the
 * port), and the terminal shows no build profiler report.
 */
import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freePort, repoRoot, tempDir } from '../helpers/process.ts';

describe('npm start', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => {
    tmp = await tempDir();
  });
  afterEach(async () => {
    await tmp.remove();
  });

  it('stops the server when npm gets SIGTERM, and prints no plugin-timing report; /metrics is scraped from loopback', async () => {
    const port = await freePort();
    const child = spawn('npm', ['start'], {
      cwd: repoRoot,
      env: {
        ...process.env,
        PORT: String(port),
        GATEWAY_PORT: String(await freePort()),
        DATABASE_URL: `sqlite:${tmp.dir}/ws.db`,
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        SANDBOX_DRIVER: 'local',
        SANDBOX_POOL_SIZE: '0',
        DEMO_SEED: 'false',
        LOG_LEVEL: 'warn',
      },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await new Promise<void>((resolve, reject) => {
        const check = () => /running at \S+[\s\S]*\n\n/.test(out) && resolve();
        child.stdout.on('data', check);
        child.once('exit', () => reject(new Error(`npm start exited early:\n${out}`)));
      });
      expect((await fetch(`http://127.0.0.1:${port}/api/health`)).status).toBe(200);
      expect(out).not.toMatch(/PLUGIN_TIMINGS|slowest callbacks/i);

      // A scraper on the machine reads /metrics; a request relayed by a proxy does not.
      const scrape = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(scrape.status).toBe(200);
      expect(await scrape.text()).toMatch(
        /worksample_http_request_duration_seconds_count\{method="GET",route="\/api\/health",status="200"\} 1/,
      );
      const relayed = await fetch(`http://127.0.0.1:${port}/metrics`, {
        headers: { 'x-forwarded-for': '203.0.113.9' },
      });
      expect(relayed.status).toBe(404);

      child.kill('SIGTERM');
      await exited;
      // Nothing answers on the port any more: the server went with npm.
      await expect(fetch(`http://127.0.0.1:${port}/api/health`)).rejects.toThrow();
    } finally {
      child.kill('SIGKILL');
    }
  }, 120_000);
});
