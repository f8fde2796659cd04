/**
 * Webhooks through the product: an admin's endpoint receives one signed event per step of a full
 * round (opened, started, submitted, graded, reviewed, decided), bodies carry ids and links but no
 * candidate identity or code, and the admin page's test event and redelivery work.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exampleTaskDir } from '../testing/index.ts';
import { webhookFixture } from '../testing/webhooks.ts';
import { LocalDriver } from '../sandbox/index.ts';
import { silentLogger } from '../logger/index.ts';
import { sweepDeadlines } from '../attempts/index.ts';
import { WEBHOOK_EVENTS } from './index.ts';

describe('webhooks (happy path)', () => {
  let f: Awaited<ReturnType<typeof webhookFixture>>;
  afterEach(() => f?.close());

  it('delivers each event of a full round once, signed, with ids and links and nothing private', async () => {
    f = await webhookFixture({ driver: new LocalDriver({ logger: silentLogger, useBwrap: false }) });
    const { t, receiver } = f;
    await t.importExample();
    const reviewer = await t.staff('reviewer');
    const inv = await t.invite('Ada Secretname', 'ada.secret@example.com');
    const cand = await t.candidate(inv.token);
    await t.candidate(inv.token); // a second open is not news
    const start = await t.req(cand, 'POST', '/api/candidate/start');
    const attemptId: string = start.json.attempt.id;
    const solution = await readFile(path.join(exampleTaskDir, 'solution/parse-model-json.mjs'), 'utf8');
    const secretCode = `// SECRET-CANDIDATE-CODE\n${solution}`;
    await t.req(cand, 'PUT', `/api/attempts/${attemptId}/file`, {
      path: 'parse-model-json.mjs',
      content: secretCode,
    });
    expect((await t.req(cand, 'POST', `/api/attempts/${attemptId}/submit`)).status).toBe(200);
    await f.flush();
    const levels = {
      correctness: { level: 3, evidence: 'SECRET-EVIDENCE in parse' },
      'error-handling': { level: 3, evidence: 'SECRET-EVIDENCE tests' },
      clarity: { level: 3, evidence: 'SECRET-EVIDENCE read' },
    };
    expect(
      (await t.req(reviewer, 'PUT', `/api/reviews/${attemptId}/mine`, { levels, recommendation: 3 })).status,
    ).toBe(200);
    expect((await t.req(reviewer, 'POST', `/api/reviews/${attemptId}/mine/submit`)).status).toBe(200);
    const decided = await t.req(f.admin, 'POST', `/api/reviews/${attemptId}/decision`, {
      decision: 'advance',
      reason: 'SECRET-REASON strong work',
    });
    expect(decided.status).toBe(200);
    await f.flush();

    const types = receiver.received.map((r) => r.body.type);
    expect(types.sort()).toEqual([...WEBHOOK_EVENTS].sort());
    for (const r of receiver.received) {
      expect(r.verified).toBe(true);
      expect(r.answered).toBe(200);
      expect(r.headers['x-worksample-event']).toBe(r.body.type);
      expect(r.headers['x-worksample-delivery']).toMatch(/^whd_/);
      expect(r.body.data.invitationId).toBe(inv.invitation.id);
      expect(r.body.data.task).toEqual({ slug: 'hello-llm', version: 1 });
      for (const secret of [
        'Secretname',
        'ada.secret',
        'SECRET-CANDIDATE-CODE',
        'SECRET-EVIDENCE',
        'SECRET-REASON',
      ])
        expect(r.raw).not.toContain(secret);
    }
    const body = (type: string) => receiver.of(type)[0]!.body;
    expect(body('attempt.submitted').data).toMatchObject({ attemptId, reason: 'candidate' });
    expect(body('attempt.submitted').links.review).toBe(`http://localhost:8080/review/${attemptId}`);
    expect(body('grade.completed').data).toMatchObject({ attemptId, status: 'done', verdict: 'passed' });
    expect(body('review.submitted').data).toMatchObject({ reviewsSubmitted: 1, reviewsAssigned: 1 });
    expect(body('decision.made').data).toMatchObject({ attemptId, decision: 'advance' });
    expect(body('invitation.opened').data).not.toHaveProperty('attemptId');
    expect(new Set(receiver.received.map((r) => r.body.id)).size).toBe(6);

    // Nothing more arrives on later passes, not even when the tailer reads the timelines again from
    // the start: one webhook event per timeline event, one delivery per (endpoint, event).
    await t.ctx.db.updateTable('webhook_cursors').set({ last_id: 0 }).execute();
    await f.flush();
    expect(receiver.received).toHaveLength(6);
    const log = await f.deliveries();
    expect(log).toHaveLength(6);
    expect(
      log.every((d) => d.status === 'succeeded' && d.log.length === 1 && d.log[0].statusCode === 200),
    ).toBe(true);
  });

  it('sends only the events an endpoint subscribed to, and only to enabled endpoints', async () => {
    f = await webhookFixture({ events: ['attempt.submitted'] });
    const { t, receiver } = f;
    await t.importExample();
    const off = await t.req(f.admin, 'POST', '/api/webhooks', {
      url: receiver.url,
      events: ['attempt.started'],
      enabled: false,
    });
    expect(off.status).toBe(201);
    const c = await t.startedCandidate();
    await t.req(c.browser, 'POST', `/api/attempts/${c.attemptId}/submit`);
    await f.flush();
    expect(receiver.received.map((r) => r.body.type)).toEqual(['attempt.submitted']);
    expect(receiver.received[0]!.body.data.reason).toBe('candidate');
    // Time runs out on another attempt: the sweeper submits it, and the event says so.
    const late = await t.startedCandidate('Late', 'late@example.com');
    t.clock.advance(3 * 3600_000);
    expect(await sweepDeadlines(t.ctx)).toBe(1);
    await f.flush();
    expect(receiver.received[1]!.body.data).toMatchObject({ attemptId: late.attemptId, reason: 'deadline' });
  });

  it("carries the ATS's externalId when the invitation has one", async () => {
    f = await webhookFixture({ events: ['invitation.opened'] });
    const { t, receiver } = f;
    await t.importExample();
    const made = await t.req(f.admin, 'POST', '/api/invitations', {
      taskSlug: 'hello-llm',
      candidateName: 'Ada',
      candidateEmail: 'ada@example.com',
      externalId: 'ats-application-42',
    });
    expect(made.status).toBe(201);
    await t.candidate(made.json.link.split('/i/')[1]);
    await f.flush();
    expect(receiver.received[0]!.body.data).toMatchObject({
      invitationId: made.json.invitation.id,
      externalId: 'ats-application-42',
    });
  });

  it('sends a test event on demand, shows it in the log, and redelivers it', async () => {
    f = await webhookFixture();
    const { t, receiver } = f;
    const sent = await t.req(f.admin, 'POST', `/api/webhooks/${f.endpoint.id}/test`);
    expect(sent.status).toBe(202);
    await f.flush();
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]!.body.type).toBe('webhook.test');
    expect(receiver.received[0]!.verified).toBe(true);
    const [d] = await f.deliveries();
    expect(d).toMatchObject({ id: sent.json.delivery.id, status: 'succeeded', lastStatus: 200 });
    expect(d.log[0]).toMatchObject({ try: 1, statusCode: 200, responseExcerpt: 'ok', error: null });

    const again = await t.req(f.admin, 'POST', `/api/webhooks/deliveries/${d.id}/redeliver`);
    expect(again.status).toBe(202);
    await f.flush();
    expect(receiver.received).toHaveLength(2);
    // The same event and delivery id: a receiver that already handled it can tell.
    expect(receiver.received[1]!.headers['x-worksample-delivery']).toBe(d.id);
    expect(receiver.received[1]!.raw).toBe(receiver.received[0]!.raw);
    const [after] = await f.deliveries();
    expect(after.log.map((x: { try: number }) => x.try)).toEqual([1, 2]);
  });

  it('deletes deliveries finished longer ago than WEBHOOK_RETENTION_DAYS, with their tries and events; keeps the rest', async () => {
    f = await webhookFixture({
      env: { WEBHOOK_RETENTION_DAYS: '30' },
      plan: ({ n }) => (n === 2 ? 500 : 200),
    });
    const { t } = f;
    const DAY = 24 * 3600_000;
    // A fresh admin each time: sessions expire over the days this test skips.
    const test = async () =>
      (await t.req(await t.staff('admin'), 'POST', `/api/webhooks/${f.endpoint.id}/test`)).json.delivery.id;
    const old = await test(); // answered 200: succeeded
    await f.flush();
    const failing = await test(); // answered 500: waits to retry (pending)
    await f.flush();
    t.clock.advance(29 * DAY);
    const recent = await test();
    await f.flush();
    t.clock.advance(2 * DAY); // the first is now 31 days old, the third 2 days
    const admin = await t.staff('admin');
    expect(await f.worker.prune()).toBe(1);
    const ids = (await t.req(admin, 'GET', `/api/webhooks/${f.endpoint.id}/deliveries`)).json.deliveries.map(
      (d: { id: string }) => d.id,
    );
    expect(ids.sort()).toEqual([failing, recent].sort());
    const tries = await t.ctx.db.selectFrom('webhook_tries').select('delivery_id').execute();
    expect(tries.map((x) => x.delivery_id)).not.toContain(old);
    const events = await t.ctx.db.selectFrom('webhook_events').select('id').execute();
    expect(events).toHaveLength(2); // the pending one's and the recent one's
    expect(await f.worker.prune()).toBe(0);
  });

  it('rotates the secret: shown once, the new one signs, the old one still verifies for a day', async () => {
    f = await webhookFixture();
    const { t, receiver } = f;
    const rotated = await t.req(f.admin, 'POST', `/api/webhooks/${f.endpoint.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.json.secret).toMatch(/^whsec_/);
    expect(rotated.json.secret).not.toBe(f.secret);
    const listed = await t.req(f.admin, 'GET', '/api/webhooks');
    expect(listed.text).not.toContain(rotated.json.secret);
    expect(listed.json.endpoints[0].secretHint).toBe(`whsec_…${rotated.json.secret.slice(-4)}`);
    await t.req(f.admin, 'POST', `/api/webhooks/${f.endpoint.id}/test`);
    await f.flush();
    expect(receiver.received[0]!.verified).toBe(true); // still the old secret in the receiver
    receiver.setSecret(rotated.json.secret);
    t.clock.advance(25 * 3600_000);
    const admin = await t.staff('admin'); // the first admin's session has expired by now
    expect((await t.req(admin, 'POST', `/api/webhooks/${f.endpoint.id}/test`)).status).toBe(202);
    await f.flush();
    expect(receiver.received[1]!.verified).toBe(true);
    expect(String(receiver.received[1]!.headers['x-worksample-signature']).match(/v1=/g)).toHaveLength(1);
  });
});
