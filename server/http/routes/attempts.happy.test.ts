import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../../testing/index.ts';
import { sweepDeadlines } from '../../attempts/index.ts';

describe('attempts (happy path)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await makeTestApp();
    await t.importExample();
  });
  afterEach(() => t.close());

  it('shows the attempt with the server clock and whether it is writable', async () => {
    const { browser, attemptId } = await t.startedCandidate();
    const r = await t.req(browser, 'GET', `/api/attempts/${attemptId}`);
    expect(r.status).toBe(200);
    expect(r.json.attempt).toEqual({
      id: attemptId,
      status: 'started',
      taskVersionId: expect.any(String),
      startedAt: t.clock.now(),
      deadlineAt: t.clock.now() + 15 * 60_000,
      submittedAt: null,
      submitReason: null,
      writable: true,
      serverNow: t.clock.now(),
      position: 0,
    });
  });

  it('starting twice returns the same attempt and does not restart the clock', async () => {
    const { browser, attempt } = await t.startedCandidate();
    t.clock.advance(60_000);
    const again = await t.req(browser, 'POST', '/api/candidate/start');
    expect(again.json.attempt).toMatchObject({
      id: attempt.id,
      startedAt: attempt.startedAt,
      deadlineAt: attempt.deadlineAt,
    });
    const events = (await t.req(browser, 'GET', `/api/attempts/${attempt.id}/events`)).json.events;
    expect(events.filter((e: { type: string }) => e.type === 'attempt.started')).toHaveLength(1);
  });

  it('submits once: a second submit returns the stored attempt and records no second event', async () => {
    const { browser, attemptId } = await t.startedCandidate();
    t.clock.advance(60_000);
    const first = await t.req(browser, 'POST', `/api/attempts/${attemptId}/submit`);
    expect(first.json.attempt).toMatchObject({
      status: 'submitted',
      submitReason: 'candidate',
      submittedAt: t.clock.now(),
      writable: false,
    });
    t.clock.advance(60_000);
    const second = await t.req(browser, 'POST', `/api/attempts/${attemptId}/submit`);
    expect(second.status).toBe(200);
    expect(second.json.attempt.submittedAt).toBe(first.json.attempt.submittedAt);
    const events = (await t.req(browser, 'GET', `/api/attempts/${attemptId}/events`)).json.events;
    // attempt.device: the browser that started it (server/attempts/devices.ts).
    expect(events.map((e: { type: string }) => e.type)).toEqual([
      'attempt.started',
      'attempt.device',
      'attempt.submitted',
    ]);
    expect(events[2]).toMatchObject({ at: first.json.attempt.submittedAt, payload: { reason: 'candidate' } });
  });

  it('lets the candidate read their workspace after submitting', async () => {
    const { browser, attemptId } = await t.startedCandidate();
    await t.req(browser, 'PUT', `/api/attempts/${attemptId}/file`, { path: 'final.md', content: 'done' });
    await t.req(browser, 'POST', `/api/attempts/${attemptId}/submit`);
    expect((await t.req(browser, 'GET', `/api/attempts/${attemptId}/file?path=final.md`)).json.content).toBe(
      'done',
    );
  });

  it('sweepDeadlines auto-submits only attempts past deadline + grace, stamped with their deadline', async () => {
    const early = await t.startedCandidate('Early', 'early@example.com');
    t.clock.advance(5 * 60_000);
    const late = await t.startedCandidate('Late', 'late@example.com');
    const done = await t.startedCandidate('Done', 'done@example.com');
    await t.req(done.browser, 'POST', `/api/attempts/${done.attemptId}/submit`);
    const doneBefore = (await t.req(done.browser, 'GET', `/api/attempts/${done.attemptId}`)).json.attempt;

    // Exactly at the early deadline + grace nothing is overdue yet.
    t.clock.set(early.attempt.deadlineAt + t.config.submitGraceMs);
    expect(await sweepDeadlines(t.ctx)).toBe(0);

    t.clock.advance(1);
    expect(await sweepDeadlines(t.ctx)).toBe(1);
    const e = (await t.req(early.browser, 'GET', `/api/attempts/${early.attemptId}`)).json.attempt;
    expect(e).toMatchObject({
      status: 'submitted',
      submitReason: 'deadline',
      submittedAt: early.attempt.deadlineAt,
      writable: false,
    });
    const l = (await t.req(late.browser, 'GET', `/api/attempts/${late.attemptId}`)).json.attempt;
    expect(l).toMatchObject({ status: 'started', submittedAt: null, writable: true });
    const d = (await t.req(done.browser, 'GET', `/api/attempts/${done.attemptId}`)).json.attempt;
    expect({ ...d, serverNow: 0 }).toEqual({ ...doneBefore, serverNow: 0 });

    // Idempotent: a second sweep finds nothing.
    expect(await sweepDeadlines(t.ctx)).toBe(0);
    const events = (await t.req(early.browser, 'GET', `/api/attempts/${early.attemptId}/events`)).json.events;
    expect(events.filter((x: { type: string }) => x.type === 'attempt.submitted')).toEqual([
      expect.objectContaining({ at: early.attempt.deadlineAt, payload: { reason: 'deadline' } }),
    ]);

    // Much later (e.g. the server was down), the late attempt is still stamped with its own deadline.
    t.clock.advance(24 * 3600_000);
    expect(await sweepDeadlines(t.ctx)).toBe(1);
    const l2 = (await t.req(late.browser, 'GET', `/api/attempts/${late.attemptId}`)).json.attempt;
    expect(l2).toMatchObject({
      status: 'submitted',
      submitReason: 'deadline',
      submittedAt: late.attempt.deadlineAt,
    });
  });
});
