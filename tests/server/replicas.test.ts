/**
 * Two `worksample serve` processes on one Postgres database, as two replicas behind a load balancer:
 * what one process used to keep in memory must hold across both.
 *
 * - Sign-in throttling: wrong passwords sent to both replicas at once are checked at most
 *   LOGIN_MAX_FAILURES times in all (not that many per process), and a replica started afterwards
 *   (a restart) still refuses.
 * - The deadline sweeper runs on every replica: an attempt past its deadline is auto-submitted once,
 *   with one submission event and one grading.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, runCli, startServe, type ServerProcess } from '../helpers/process.ts';
import { needs } from '../helpers/require.ts';
import { freshDatabaseUrl, PASSWORD } from '../../server/testing/index.ts';

const havePostgres = needs('postgres', Boolean(process.env.TEST_DATABASE_URL), 'set TEST_DATABASE_URL');

describe.runIf(havePostgres)('server replicas on one Postgres', () => {
  const servers: ServerProcess[] = [];
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.stop('SIGKILL');
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function replicas(count: number, extra: Record<string, string> = {}) {
    const fresh = await freshDatabaseUrl('postgres');
    cleanup.push(fresh.drop);
    const envFor = async () => {
      const port = await freePort();
      return {
        PORT: String(port),
        DATABASE_URL: fresh.url,
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        DEMO_SEED: 'false',
        SANDBOX_DRIVER: 'none',
        LOGIN_MAX_FAILURES: '5',
        ...extra,
      };
    };
    const first = await envFor();
    const add = await runCli(
      ['users', 'add', '--email', 'admin@example.com', '--role', 'admin', '--password', PASSWORD],
      first,
    );
    expect(add.code, add.stderr).toBe(0);
    const started: ServerProcess[] = [];
    for (let i = 0; i < count; i++) {
      const s = await startServe(i === 0 ? first : await envFor());
      servers.push(s);
      started.push(s);
    }
    return { url: fresh.url, servers: started, envFor, first };
  }

  const signIn = (base: string, password: string) =>
    fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@example.com', password }),
    });

  it('counts failed sign-ins across replicas and across a restart', async () => {
    const {
      servers: [a, b],
      envFor,
    } = await replicas(2);
    // 150 guesses at once, alternating between the replicas: 5 are checked in all, not 5 per replica.
    const answers = await Promise.all(
      Array.from({ length: 150 }, (_, i) => signIn((i % 2 ? a : b)!.url, `guess ${i}`).then((r) => r.status)),
    );
    expect(answers.filter((s) => s === 401)).toHaveLength(5);
    expect(answers.filter((s) => s === 429)).toHaveLength(145);
    // Even the right password is refused now, on either replica...
    expect((await signIn(a!.url, PASSWORD)).status).toBe(429);
    expect((await signIn(b!.url, PASSWORD)).status).toBe(429);
    // ...and on a replica started after the burst (the state is in the database, not a process).
    const c = await startServe(await envFor());
    servers.push(c);
    const late = await signIn(c.url, PASSWORD);
    expect(late.status).toBe(429);
    expect(Number(late.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('auto-submits an attempt past its deadline once, with one grading, while every replica sweeps', async () => {
    const {
      servers: [a],
      url,
      first,
    } = await replicas(3, { DEADLINE_SWEEP_SECONDS: '1' });
    expect((await runCli(['tasks', 'import', 'tasks/hello-llm'], first)).code).toBe(0);
    const invite = await runCli(
      ['invite', '--task', 'hello-llm', '--email', 'k@example.com', '--name', 'K'],
      first,
    );
    const link = invite.stdout.trim().split('\n').pop()!.replace(first.PUBLIC_URL, a!.url);
    const open = await fetch(link, { redirect: 'manual' });
    const cookie = open.headers
      .getSetCookie()
      .map((s) => s.split(';')[0]!)
      .join('; ');
    const { csrfToken } = await fetch(`${a!.url}/api/candidate`, { headers: { cookie } }).then((r) =>
      r.json(),
    );
    const headers = { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' };
    const { attempt } = await fetch(`${a!.url}/api/candidate/start`, { method: 'POST', headers }).then((r) =>
      r.json(),
    );
    expect(attempt.status).toBe('started');

    // The deadline and its grace pass (moved in the database; all three replicas are sweeping).
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    cleanup.push(() => db.end());
    const past = Date.now() - 3_600_000;
    await db.query('update attempts set started_at = $1, deadline_at = $2 where id = $3', [
      past - 1_800_000,
      past,
      attempt.id,
    ]);
    let status = 'started';
    for (let i = 0; i < 100 && status === 'started'; i++) {
      await new Promise((r) => setTimeout(r, 200));
      status = (await db.query('select status from attempts where id = $1', [attempt.id])).rows[0].status;
    }
    expect(status).toBe('submitted');
    // Three more sweeps on each replica find nothing left to do.
    await new Promise((r) => setTimeout(r, 3_000));
    const events = await db.query(
      `select type, count(*)::int as n from attempt_events where attempt_id = $1 and type = 'attempt.submitted' group by type`,
      [attempt.id],
    );
    expect(events.rows).toEqual([{ type: 'attempt.submitted', n: 1 }]);
    const grades = await db.query('select count(*)::int as n from grades where attempt_id = $1', [
      attempt.id,
    ]);
    expect(grades.rows[0].n).toBe(1);
    // Every replica answers the same state.
    for (const s of servers) {
      const r = await fetch(`${s.url}/api/attempts/${attempt.id}`, { headers: { cookie } }).then((x) =>
        x.json(),
      );
      expect(r.attempt).toMatchObject({ status: 'submitted', submitReason: 'deadline', writable: false });
    }
  });
});
