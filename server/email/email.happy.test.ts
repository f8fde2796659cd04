/**
 * Email through a real SMTP server on loopback (tests/helpers/smtp.ts, with a password): what
 * candidates and staff receive for each kind of message, and the delivery logs.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dialects, makeTestApp, type Browser, type TestApp } from '../testing/index.ts';
import { startSmtp, type TestSmtp } from '../../tests/helpers/smtp.ts';
import { importLoop } from '../assessments/fixtures.ts';

const HOUR = 3600_000;

describe.each(dialects())('email (happy path, real SMTP, %s)', (dialect) => {
  let smtp: TestSmtp;
  let t: TestApp;
  let admin: Browser;
  beforeEach(async () => {
    smtp = await startSmtp();
    t = await makeTestApp({ dialect, env: { SMTP_URL: smtp.url, MAIL_FROM: 'Hiring <hiring@example.com>' } });
    await t.importExample();
    await t.services.email.start();
    admin = await t.staff('admin', 'root@example.com');
  });
  afterEach(async () => {
    await t.close();
    await smtp.close();
  });

  it('emails the invitation link with task, time limit and expiry; the link opens the invitation', async () => {
    const r = await t.req(admin, 'POST', '/api/invitations', {
      taskSlug: 'hello-llm',
      candidateName: 'Ada Lovelace',
      candidateEmail: 'ada@example.com',
      expiresInDays: 3,
    });
    expect(r.status, r.text).toBe(201);
    expect(r.json.emailed).toBe(true);
    await t.services.settle();
    const [m] = await smtp.waitFor(1);
    expect(m!.to).toEqual(['ada@example.com']);
    expect(m!.from).toBe('hiring@example.com');
    expect(m!.subject).toBe('Your work sample: Parse JSON from a model reply');
    expect(m!.text).toContain('Hello Ada Lovelace,');
    expect(m!.text).toContain(r.json.link);
    expect(m!.text).toContain('Time limit: 15 minutes');
    expect(m!.text).toContain('valid until Sun, 4 Jan 2026, 09:00 UTC');
    expect(m!.html).toContain(`href="${r.json.link}"`);
    const token = /\/i\/(\S+)/.exec(m!.text)![1]!;
    const cand = await t.candidate(token);
    expect((await t.req(cand, 'GET', '/api/candidate')).json.candidateName).toBe('Ada Lovelace');

    const log = await t.req(admin, 'GET', `/api/invitations/${r.json.invitation.id}/emails`);
    expect(log.json.emails).toMatchObject([
      { kind: 'invitation', status: 'sent', tries: 1, to: 'ada@example.com' },
    ]);
  });

  it('sends nothing when the admin unticks "send email", and one email per CSV row otherwise', async () => {
    const off = await t.req(admin, 'POST', '/api/invitations', {
      taskSlug: 'hello-llm',
      candidateName: 'Quiet',
      candidateEmail: 'quiet@example.com',
      sendEmail: false,
    });
    expect(off.json.emailed).toBe(false);
    const bulk = await t.req(admin, 'POST', '/api/invitations/bulk', {
      taskSlug: 'hello-llm',
      csv: 'name,email\nAda,ada@example.com\nGrace,grace@example.com\nAlan,alan@example.com\n',
    });
    expect(bulk.status, bulk.text).toBe(201);
    expect(bulk.json.created.map((c: { emailed: boolean }) => c.emailed)).toEqual([true, true, true]);
    await t.services.settle();
    const got = await smtp.waitFor(3);
    expect(got.map((m) => m.to[0]).sort()).toEqual([
      'ada@example.com',
      'alan@example.com',
      'grace@example.com',
    ]);
    for (const c of bulk.json.created) {
      const m = got.find((x) => x.to[0] === c.invitation.candidateEmail)!;
      expect(m.text).toContain(c.link);
    }
    expect(smtp.messages.some((m) => m.to[0] === 'quiet@example.com')).toBe(false);
  });

  it('resend emails a new link and the old one stops working', async () => {
    const inv = await t.invite('Ada', 'ada@example.com');
    await t.services.settle();
    await smtp.waitFor(1);
    const r = await t.req(admin, 'POST', `/api/invitations/${inv.invitation.id}/resend`);
    expect(r.json.emailed).toBe(true);
    await t.services.settle();
    const [, second] = await smtp.waitFor(2);
    expect(second!.text).toContain(r.json.link);
    expect(second!.text).not.toContain(inv.link);
    await expect(t.candidate(inv.token)).rejects.toThrow(/not valid/);
  });

  it('reminds once before expiry with a fresh link, and not for invitations whose link was copied', async () => {
    const emailed = await t.invite('Ada', 'ada@example.com', 2);
    await t.req(admin, 'POST', '/api/invitations', {
      taskSlug: 'hello-llm',
      candidateName: 'Copied',
      candidateEmail: 'copied@example.com',
      expiresInDays: 2,
      sendEmail: false,
    });
    await t.services.settle();
    await smtp.waitFor(1);
    await t.services.email.sweep();
    await t.services.settle();
    expect(smtp.messages).toHaveLength(1); // 48 h left: not yet
    t.clock.advance(25 * HOUR);
    await t.services.email.sweep();
    await t.services.email.sweep();
    await t.services.settle();
    const got = await smtp.waitFor(2);
    expect(smtp.messages).toHaveLength(2);
    expect(got[1]!.subject).toBe('Reminder: your work sample Parse JSON from a model reply expires soon');
    expect(got[1]!.to).toEqual(['ada@example.com']);
    expect(got[1]!.text).toContain('expires at Sat, 3 Jan 2026, 09:00 UTC');
    const fresh = /\/i\/(\S+)/.exec(got[1]!.text)![1]!;
    expect(fresh).not.toBe(emailed.token);
    await t.candidate(fresh);
  });

  it('confirms a submission, saying when the deadline submitted it', async () => {
    const own = await t.startedCandidate('Ada', 'ada@example.com');
    const late = await t.startedCandidate('Grace', 'grace@example.com');
    await t.services.settle();
    await smtp.waitFor(2);
    await t.req(own.browser, 'POST', `/api/attempts/${own.attemptId}/submit`);
    await t.services.settle();
    t.clock.advance(16 * 60_000 + t.config.submitGraceMs);
    const { sweepDeadlines } = await import('../attempts/index.ts');
    await sweepDeadlines(t.ctx);
    await t.services.settle();
    await t.services.email.sweep();
    await t.services.settle();
    const got = await smtp.waitFor(4);
    const mine = got.find((m) => m.to[0] === 'ada@example.com' && m.subject.startsWith('We received'))!;
    expect(mine.text).toContain('You submitted your work for Parse JSON from a model reply.');
    const auto = got.find((m) => m.to[0] === 'grace@example.com' && m.subject.startsWith('We received'))!;
    expect(auto.text).toContain('ran out, so your work was submitted automatically');
    expect(smtp.messages).toHaveLength(4); // one confirmation each, however often the tail runs
    expect(late.attemptId).not.toBe(own.attemptId);
  });

  it('confirms an assessment once, when it is complete, with the outcome of each task', async () => {
    await importLoop(t.ctx, { clock: 'overall', timeLimitMinutes: 30 });
    const r = await t.req(admin, 'POST', '/api/invitations', {
      assessmentSlug: 'loop-overall',
      candidateName: 'Ada',
      candidateEmail: 'ada@example.com',
    });
    expect(r.status, r.text).toBe(201);
    await t.services.settle();
    await smtp.waitFor(1);
    const b = await t.candidate(r.json.link.split('/i/')[1]);
    await t.req(b, 'POST', '/api/candidate/assessment/start');
    const first = (await t.req(b, 'POST', '/api/candidate/start')).json.attempt.id;
    expect((await t.req(b, 'POST', `/api/attempts/${first}/submit`)).status).toBe(200);
    await t.services.settle();
    await t.services.email.sweep();
    await t.services.settle();
    // One task of two submitted, the clock still running: nothing confirmed yet.
    expect(smtp.messages.filter((m) => m.subject.startsWith('We received'))).toHaveLength(0);

    // Task 2 is opened and left; the overall clock runs out and the sweeper submits it.
    await t.req(b, 'POST', '/api/candidate/assessment/select', { position: 1 });
    t.clock.advance(31 * 60_000 + t.config.submitGraceMs);
    const { sweepDeadlines } = await import('../attempts/index.ts');
    await sweepDeadlines(t.ctx);
    await t.services.settle();
    await t.services.email.sweep();
    await t.services.email.sweep();
    await t.services.settle();
    await smtp.waitFor(2);
    const confirmations = smtp.messages.filter((m) => m.subject.startsWith('We received'));
    expect(confirmations.map((m) => [m.to[0], m.subject])).toEqual([
      ['ada@example.com', 'We received your work sample: Loop'],
    ]);
    expect(confirmations[0]!.text).toContain('Your assessment Loop is complete:');
    expect(confirmations[0]!.text).toMatch(/- Parse JSON from a model reply: submitted\n/);
    expect(confirmations[0]!.text).toMatch(/: submitted automatically when the time ran out/);
  });

  it('notices reviewers of assignments and emails the feedback report when the admin sends it', async () => {
    const rev = await t.staff('reviewer', 'rita@example.com');
    const c = await t.startedCandidate('Ada', 'ada@example.com');
    await t.req(c.browser, 'POST', `/api/attempts/${c.attemptId}/submit`);
    await t.services.settle();
    const notice = smtp.messages.find((m) => m.to[0] === 'rita@example.com')!;
    expect(notice.subject).toMatch(/^New review assigned: C-[0-9A-F]{4} \(Parse JSON from a model reply\)$/);
    expect(notice.text).toContain(`http://localhost:8080/review/${c.attemptId}`);
    expect(notice.text).not.toContain('Ada');
    const saved = await t.req(rev, 'PUT', `/api/reviews/${c.attemptId}/mine`, {
      levels: {
        correctness: { level: 3, evidence: 'handles fences well', shareable: true },
        'error-handling': { level: 3, evidence: 'ok' },
        clarity: { level: 3, evidence: 'ok' },
      },
      recommendation: 3,
    });
    expect(saved.status, saved.text).toBe(200);
    const sub = await t.req(rev, 'POST', `/api/reviews/${c.attemptId}/mine/submit`);
    expect(sub.status, sub.text).toBe(200);
    const d = await t.req(admin, 'POST', `/api/reviews/${c.attemptId}/decision`, {
      decision: 'advance',
      reason: 'good',
    });
    expect(d.status, d.text).toBe(200);
    const r = await t.req(admin, 'POST', `/api/reviews/${c.attemptId}/feedback/email`);
    expect(r.status, r.text).toBe(202);
    await t.services.settle();
    const fb = smtp.messages.find((m) => m.subject.startsWith('Feedback on'))!;
    expect(fb.to).toEqual(['ada@example.com']);
    expect(fb.text).toContain('handles fences well');
    const log = await t.req(admin, 'GET', `/api/invitations/${c.invitation.id}/emails`);
    expect(log.json.emails.map((e: { kind: string }) => e.kind).sort()).toEqual([
      'feedback',
      'invitation',
      'submitted',
    ]);
    const rlog = await t.req(
      admin,
      'GET',
      `/api/users/${(await t.req(rev, 'GET', '/api/auth/me')).json.user.id}/emails`,
    );
    expect(rlog.json.emails).toMatchObject([{ kind: 'review_assigned', status: 'sent' }]);
  });

  it('says email is on', async () => {
    expect((await t.req(admin, 'GET', '/api/email/status')).json).toEqual({ enabled: true });
  });
});
