/** The README's promise: on an empty database, `serve` prints a URL, a demo admin and a working invitation link. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freePort, startServe, tempDir, type ServerProcess } from '../helpers/process.ts';
import { dialects, freshDatabaseUrl } from '../../server/testing/index.ts';

describe('first run of worksample serve', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let server: ServerProcess | undefined;
  beforeEach(async () => {
    tmp = await tempDir();
  });
  afterEach(async () => {
    await server?.stop();
    await tmp.remove();
  });

  it('prints a demo admin and an invitation link that both work', async () => {
    const port = await freePort();
    server = await startServe({
      PORT: String(port),
      DATABASE_URL: `sqlite:${tmp.dir}/ws.db`,
      PUBLIC_URL: `http://127.0.0.1:${port}`,
    });
    const out = server.stdout();
    const email = /email:\s+(\S+)/.exec(out)?.[1];
    const password = /password:\s+(\S+)/.exec(out)?.[1];
    const link = /hello-llm: (http\S+)/.exec(out)?.[1];
    expect(email && password && link).toBeTruthy();

    const ready = await fetch(`${server.url}/api/ready`).then((r) => r.json());
    expect(ready).toMatchObject({ ok: true, database: { ok: true, dialect: 'sqlite' } });

    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<div id="app">');
    // The built web app's entry script is served too.
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeTruthy();
    expect((await fetch(`${server.url}${script}`)).status).toBe(200);

    const login = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    expect(login.status).toBe(200);

    const open = await fetch(link!, { redirect: 'manual' });
    expect(open.status).toBe(303);
    expect(open.headers.get('location')).toBe('/attempt');
    const cookie = open.headers
      .getSetCookie()
      .find((c) => c.startsWith('ws_candidate='))!
      .split(';')[0]!;
    const view = await fetch(`${server.url}/api/candidate`, { headers: { cookie } }).then((r) => r.json());
    expect(view.task.title).toBeTruthy();
    expect(view.candidateName).toBe('Demo Candidate');

    // Secrets printed once to the console must never reach the log stream.
    expect(server.stderr()).not.toContain(password!);
  });

  it('does not create a second admin or new links on the next start', async () => {
    const port = await freePort();
    const env = {
      PORT: String(port),
      DATABASE_URL: `sqlite:${tmp.dir}/ws.db`,
      PUBLIC_URL: `http://127.0.0.1:${port}`,
    };
    server = await startServe(env);
    await server.stop();
    server = await startServe(env);
    expect(server.stdout()).not.toContain('password:');
  });

  it('refuses to start on a bad setting, naming the variable and what it accepts', async () => {
    await expect(startServe({ PORT: 'eighty', DATABASE_URL: `sqlite:${tmp.dir}/ws.db` })).rejects.toThrow(
      /PORT="eighty": expected a port number/,
    );
  });
});

describe.each(dialects())('worksample serve on %s', (dialect) => {
  it('migrates an empty database, seeds the demo and answers ready', async () => {
    const tmp = await tempDir();
    const db =
      dialect === 'sqlite'
        ? { url: `sqlite:${tmp.dir}/ws.db`, drop: async () => {} }
        : await freshDatabaseUrl(dialect);
    const port = await freePort();
    const server = await startServe({
      PORT: String(port),
      DATABASE_URL: db.url,
      PUBLIC_URL: `http://127.0.0.1:${port}`,
    });
    try {
      expect(server.stdout()).toMatch(/hello-llm: http:\/\/127\.0\.0\.1:\d+\/i\//);
      const ready = await fetch(`${server.url}/api/ready`).then((r) => r.json());
      expect(ready.database).toEqual({ ok: true, dialect });
    } finally {
      await server.stop();
      await db.drop();
      await tmp.remove();
    }
  });
});
