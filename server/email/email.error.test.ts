/**
 * Email when things go wrong: the SMTP server refuses (4xx, 5xx) or the password is wrong, the server
 * restarts with mail still queued, or no SMTP_URL is configured at all.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { freshDatabaseUrl, makeTestApp, type TestApp } from '../testing/index.ts';
import { needs } from '../../tests/helpers/require.ts';
import { openDatabase } from '../db/index.ts';
import { FakeClock, JOB_LEASE } from '../platform/index.ts';
import { startSmtp, type TestSmtp } from '../../tests/helpers/smtp.ts';
import { loadConfig, ConfigError } from '../config/index.ts';

const HOUR = 3600_000;

describe('email (errors, real SMTP)', () => {
  let smtp: TestSmtp;
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
    await smtp?.close();
  });

  async function app(url?: string) {
    smtp = await startSmtp();
    t = await makeTestApp({ env: { SMTP_URL: url ?? smtp.url } });
    await t.importExample();
    await t.services.email.start();
    return t;
  }

  it('retries after the SMTP server answers 451 and then 554, and delivers when it accepts', async () => {
    const t = await app();
    const admin = await t.staff('admin');
    smtp.rejectNext(451);
    smtp.rejectNext(554);
    const inv = await t.invite('Ada', 'ada@example.com');
    await t.services.settle();
    expect(smtp.messages).toHaveLength(0);
    let log = (await t.req(admin, 'GET', `/api/invitations/${inv.invitation.id}/emails`)).json.emails;
    expect(log).toMatchObject([
      { status: 'queued', tries: 1, lastError: expect.stringMatching(/^SMTP 451/) },
    ]);
    expect(log[0].nextTryAt).toBeGreaterThan(t.clock.now());
    for (let i = 0; i < 2; i++) {
      t.clock.advance(2 * HOUR);
      t.services.email.kick();
      await t.services.settle();
    }
    const [m] = await smtp.waitFor(1);
    expect(m!.text).toContain(inv.link);
    log = (await t.req(admin, 'GET', `/api/invitations/${inv.invitation.id}/emails`)).json.emails;
    expect(log).toMatchObject([{ status: 'sent', tries: 3, lastError: null }]);
  });

  it('gives up after the last try, says why, and keeps no body (the link) in the database', async () => {
    const t = await app();
    smtp.rejectNext(550, 100);
    const inv = await t.invite('Ada', 'ada@example.com');
    for (let i = 0; i < 10; i++) {
      t.services.email.kick();
      await t.services.settle();
      t.clock.advance(2 * HOUR);
    }
    const admin = await t.staff('admin'); // signed in now: 20 hours passed
    const log = (await t.req(admin, 'GET', `/api/invitations/${inv.invitation.id}/emails`)).json.emails;
    expect(log).toMatchObject([
      { status: 'failed', tries: 8, lastError: expect.stringMatching(/^SMTP 550/) },
    ]);
    const row = await t.ctx.db.selectFrom('outbox').selectAll().executeTakeFirstOrThrow();
    expect(row.text_body).toBeNull();
    expect(row.html_body).toBeNull();
  });

  it('a wrong SMTP password is retried and never written into the log or the delivery log', async () => {
    smtp = await startSmtp();
    const wrong = smtp.url.replace(smtp.password, 'hunter2-wrong-secret');
    const lines: string[] = [];
    const { createLogger } = await import('../logger/index.ts');
    const logger = createLogger('debug', { write: (s: string) => void lines.push(s) } as never);
    t = await makeTestApp({ env: { SMTP_URL: wrong }, logger });
    await t.importExample();
    await t.services.email.start();
    const admin = await t.staff('admin');
    const inv = await t.invite('Ada', 'ada@example.com');
    await t.services.settle();
    expect(smtp.authFailures).toBeGreaterThan(0);
    const log = (await t.req(admin, 'GET', `/api/invitations/${inv.invitation.id}/emails`)).json.emails;
    expect(log[0]).toMatchObject({ status: 'queued', lastError: expect.stringMatching(/SMTP 535|auth/i) });
    expect(JSON.stringify(log)).not.toContain('hunter2-wrong-secret');
    expect(lines.join('')).toMatch(/email not accepted/);
    expect(lines.join('')).not.toContain('hunter2-wrong-secret');
  });

  it('mail queued before a restart is sent after it; a send cut off mid-way goes again', async () => {
    smtp = await startSmtp();
    const database = await openDatabase('sqlite::memory:');
    const clock = new FakeClock();
    const first = await makeTestApp({ env: { SMTP_URL: smtp.url }, database, clock });
    await first.importExample();
    // Not started: the process "dies" with the mail still queued.
    const inv = await first.invite('Ada', 'ada@example.com');
    await first.ctx.db.updateTable('outbox').set({ status: 'sending' }).execute();
    await first.close();
    expect(smtp.messages).toHaveLength(0);
    t = await makeTestApp({ env: { SMTP_URL: smtp.url }, database, clock });
    expect(await t.services.email.start()).toEqual({ requeued: 1 });
    await t.services.settle();
    const [m] = await smtp.waitFor(1);
    expect(m!.text).toContain(inv.link);
    await t.close();
    t = undefined;
    await database.close();
  });
});

describe.runIf(needs('postgres', Boolean(process.env.TEST_DATABASE_URL), 'set TEST_DATABASE_URL'))(
  'email with replicas on Postgres',
  () => {
    let smtp: TestSmtp | undefined;
    const cleanup: Array<() => Promise<unknown>> = [];
    afterEach(async () => {
      for (const f of cleanup.splice(0).reverse()) await f();
      await smtp?.close();
    });

    it('leaves a message another replica is sending alone until its lease runs out, then sends it once', async () => {
      smtp = await startSmtp();
      const fresh = await freshDatabaseUrl('postgres');
      cleanup.push(fresh.drop);
      const database = await openDatabase(fresh.url);
      cleanup.push(() => database.close());
      const clock = new FakeClock();
      const t = await makeTestApp({ env: { SMTP_URL: smtp.url }, database, clock });
      cleanup.push(() => t.close());
      await t.importExample();
      const inv = await t.invite('Ada', 'ada@example.com');
      // Another replica took the message a moment ago and is sending it (its lease is live).
      await t.ctx.db
        .updateTable('outbox')
        .set({ status: 'sending', tries: 1, lease_until: clock.now() + JOB_LEASE.ms })
        .execute();
      expect(await t.services.email.start()).toEqual({ requeued: 0 });
      clock.advance(JOB_LEASE.ms - 1);
      expect(await t.services.email.takeOver()).toBe(0);
      await t.services.settle();
      expect(smtp.messages).toHaveLength(0);
      // That replica died: nobody renews the lease, and once it has run out this one sends the message.
      clock.advance(2);
      expect(await t.services.email.takeOver()).toBe(1);
      await t.services.settle();
      const [m] = await smtp.waitFor(1);
      expect(m!.text).toContain(inv.link);
      expect(await t.ctx.db.selectFrom('outbox').select(['status', 'tries']).execute()).toEqual([
        { status: 'sent', tries: 2 },
      ]);
    });
  },
);

describe('email (not configured)', () => {
  let t: TestApp;
  afterEach(() => t.close());

  it('queues nothing without SMTP_URL and says so, so the UI asks to copy links', async () => {
    t = await makeTestApp();
    await t.importExample();
    await t.services.email.start();
    const admin = await t.staff('admin');
    expect((await t.req(admin, 'GET', '/api/email/status')).json).toEqual({ enabled: false });
    const r = await t.req(admin, 'POST', '/api/invitations', {
      taskSlug: 'hello-llm',
      candidateName: 'Ada',
      candidateEmail: 'ada@example.com',
    });
    expect(r.json.emailed).toBe(false);
    expect(r.json.link).toMatch(/\/i\//);
    const staff = await t.req(admin, 'POST', '/api/users/invite', {
      email: 'new@example.com',
      role: 'reviewer',
    });
    expect(staff.json).toMatchObject({
      emailed: false,
      link: expect.stringContaining('/login/set-password#token='),
    });
    expect(await t.ctx.db.selectFrom('outbox').selectAll().execute()).toEqual([]);
  });
});

describe('SMTP_URL configuration', () => {
  it('accepts smtp:// and smtps:// and names the problem without echoing the password', () => {
    expect(loadConfig({ SMTP_URL: 'smtps://u:p@mail.example.com:465' }).email.smtpUrl).toBe(
      'smtps://u:p@mail.example.com:465',
    );
    let err: unknown;
    try {
      loadConfig({ SMTP_URL: 'http://user:s3cret-pw@mail.example.com' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(String(err)).toMatch(/SMTP_URL=.*expected an smtp:\/\/ or smtps:\/\//);
    expect(String(err)).not.toContain('s3cret-pw');
    expect(loadConfig({ REMINDER_HOURS: '6' }).email.reminderMs).toBe(6 * HOUR);
    expect(() => loadConfig({ REMINDER_HOURS: '0' })).toThrow(/REMINDER_HOURS/);
  });
});
