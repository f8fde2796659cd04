/**
 * Email from a real `worksample serve` process to a real SMTP server on loopback: mail queued while
 * the server was down (the CLI's `invite`), and a send cut off by a crash (left `sending`), both go
 * out after the start; the emailed link opens the candidate's page; the SMTP password never appears
 * in the server's output.
 */
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, startServe, tempDir, type ServerProcess, serveEnv } from '../helpers/process.ts';
import { startSmtp, type TestSmtp } from '../helpers/smtp.ts';

describe('email from the server process', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let server: ServerProcess | undefined;
  let smtp: TestSmtp;
  beforeEach(async () => {
    tmp = await tempDir();
    smtp = await startSmtp();
  });
  afterEach(async () => {
    await server?.stop();
    await smtp.close();
    await tmp.remove();
  });

  it('sends mail queued before the start and mail cut off mid-send; the link opens the candidate page', async () => {
    const env = await serveEnv(tmp.dir, {
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Hiring <hiring@example.com>',
      DEADLINE_SWEEP_SECONDS: '1',
      LOG_LEVEL: 'debug',
    });
    expect((await runCli(['tasks', 'import', 'tasks/hello-llm'], env)).code).toBe(0);
    const links: string[] = [];
    for (const [name, email] of [
      ['Grace Hopper', 'grace@example.com'],
      ['Alan Turing', 'alan@example.com'],
    ]) {
      const r = await runCli(['invite', '--task', 'hello-llm', '--email', email!, '--name', name!], env);
      expect(r.code, r.stderr).toBe(0);
      links.push(r.stdout.trim().split('\n').pop()!);
    }
    // No server ran: both are queued. One is made to look cut off by a crash mid-send.
    const db = new Database(`${tmp.dir}/ws.db`);
    const rows = db.prepare('select id, status, to_address from outbox order by to_address').all() as Array<{
      id: string;
      status: string;
      to_address: string;
    }>;
    expect(rows.map((r) => [r.to_address, r.status])).toEqual([
      ['alan@example.com', 'queued'],
      ['grace@example.com', 'queued'],
    ]);
    db.prepare("update outbox set status = 'sending', tries = 1 where to_address = 'alan@example.com'").run();
    db.close();
    expect(smtp.messages).toHaveLength(0);

    server = await startServe(env);
    const got = await smtp.waitFor(2, 30_000);
    expect(got.map((m) => m.to[0]).sort()).toEqual(['alan@example.com', 'grace@example.com']);
    const grace = got.find((m) => m.to[0] === 'grace@example.com')!;
    expect(grace.from).toBe('hiring@example.com');
    expect(grace.subject).toBe('Your work sample: Parse JSON from a model reply');
    expect(grace.text).toContain('Hello Grace Hopper,');
    expect(grace.text).toContain(links[0]);

    // Follow the emailed link like a browser: a candidate session and the candidate's page.
    const link = /(http\S+\/i\/\S+)/.exec(grace.text)![1]!;
    const open = await fetch(link, { redirect: 'manual' });
    expect(open.status).toBe(303);
    expect(open.headers.get('location')).toBe('/attempt');
    const cookie = open.headers
      .getSetCookie()
      .map((c) => c.split(';')[0]!)
      .join('; ');
    const page = await fetch(`${server.url}/attempt`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<div id="root">|<script type="module"/);
    const view = await fetch(`${server.url}/api/candidate`, { headers: { cookie } }).then((r) => r.json());
    expect(view.candidateName).toBe('Grace Hopper');
    expect(view.task.title).toBe('Parse JSON from a model reply');

    expect(server.stdout() + server.stderr()).toMatch(/email sent/);
    expect(server.stdout() + server.stderr()).not.toContain(smtp.password);
  });
});
