/**
 * An attempt whose deadline passes while the server is down is auto-submitted when the server comes
 * back, before any request is served. The deadline is moved in the database while the server is
 * stopped (no sleeping until a real deadline).
 */
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, startServe, tempDir, type ServerProcess, serveEnv } from '../helpers/process.ts';

describe('server restart after a deadline', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let server: ServerProcess | undefined;
  beforeEach(async () => {
    tmp = await tempDir();
  });
  afterEach(async () => {
    await server?.stop();
    await tmp.remove();
  });

  it('auto-submits the attempt and refuses further writes', async () => {
    const env = await serveEnv(tmp.dir);
    expect((await runCli(['tasks', 'import', 'tasks/hello-llm'], env)).code).toBe(0);
    const invite = await runCli(
      ['invite', '--task', 'hello-llm', '--email', 'grace@example.com', '--name', 'Grace Hopper'],
      env,
    );
    const link = invite.stdout.trim().split('\n').pop()!;

    server = await startServe(env);
    const open = await fetch(link, { redirect: 'manual' });
    // The candidate session and the device cookie, as a browser keeps both.
    const cookie = open.headers
      .getSetCookie()
      .map((c) => c.split(';')[0]!)
      .join('; ');
    const { csrfToken } = await fetch(`${server.url}/api/candidate`, { headers: { cookie } }).then((r) =>
      r.json(),
    );
    const headers = { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' };
    const { attempt } = await fetch(`${server.url}/api/candidate/start`, { method: 'POST', headers }).then(
      (r) => r.json(),
    );
    expect(attempt.status).toBe('started');
    const saved = await fetch(`${server.url}/api/attempts/${attempt.id}/file`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ path: 'answer.md', content: 'work done before the outage' }),
    });
    expect(saved.status).toBe(200);
    await server.stop('SIGKILL'); // a crash, not a clean shutdown

    // While the server is down the deadline (and grace) pass.
    const db = new Database(`${tmp.dir}/ws.db`);
    const past = Date.now() - 3_600_000;
    db.prepare('update attempts set started_at = ?, deadline_at = ? where id = ?').run(
      past - 1_800_000,
      past,
      attempt.id,
    );
    db.close();

    server = await startServe(env);
    const after = await fetch(`${server.url}/api/attempts/${attempt.id}`, { headers: { cookie } }).then((r) =>
      r.json(),
    );
    expect(after.attempt).toMatchObject({
      status: 'submitted',
      submitReason: 'deadline',
      submittedAt: past,
      writable: false,
    });
    const late = await fetch(`${server.url}/api/attempts/${attempt.id}/file`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ path: 'answer.md', content: 'too late' }),
    });
    expect(late.status).toBe(409);
    expect((await late.json()).error.code).toBe('attempt_submitted');
    const file = await fetch(`${server.url}/api/attempts/${attempt.id}/file?path=answer.md`, {
      headers: { cookie },
    }).then((r) => r.json());
    expect(file.content).toBe('work done before the outage');
  });
});
