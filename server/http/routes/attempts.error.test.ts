import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type Browser, type TestApp } from '../../testing/index.ts';
import { expectError, workspaceState } from '../../testing/expect.ts';
import { listEvents } from '../../workspace/index.ts';

describe('attempt deadline and submit (errors)', () => {
  let t: TestApp;
  let b: Browser;
  let id: string;
  let deadlineAt: number;
  beforeEach(async () => {
    t = await makeTestApp();
    await t.importExample();
    const s = await t.startedCandidate();
    ({ browser: b, attemptId: id } = s);
    deadlineAt = s.attempt.deadlineAt;
    await t.req(b, 'PUT', `/api/attempts/${id}/file`, { path: 'work.md', content: 'v1' });
  });
  afterEach(() => t.close());
  const put = (content: string, path = 'work.md') =>
    t.req(b, 'PUT', `/api/attempts/${id}/file`, { path, content });
  const attempt = async () => (await t.req(b, 'GET', `/api/attempts/${id}`)).json.attempt;

  it('accepts writes during the grace period after the deadline', async () => {
    t.clock.set(deadlineAt + 1);
    expect((await put('v2')).status).toBe(200);
    t.clock.set(deadlineAt + t.config.submitGraceMs);
    expect((await put('v3')).status).toBe(200);
    expect((await attempt()).status).toBe('started');
    expect((await attempt()).writable).toBe(true);
  });

  it('after deadline + grace refuses a write with 409 deadline_passed and submits the attempt at its deadline', async () => {
    t.clock.set(deadlineAt + t.config.submitGraceMs + 1);
    expect((await attempt()).writable).toBe(false);
    const before = await workspaceState(t, id);
    const r = await put('too late');
    expectError(r, 409, 'deadline_passed', /time limit has passed/);
    expect(await attempt()).toMatchObject({
      status: 'submitted',
      submitReason: 'deadline',
      submittedAt: deadlineAt,
      writable: false,
    });
    const after = await workspaceState(t, id);
    expect(after.files).toEqual(before.files);
    expect(after.contents).toEqual(before.contents);
    expect(after.events.slice(before.events.length)).toEqual([
      expect.objectContaining({ type: 'attempt.submitted', at: deadlineAt, payload: { reason: 'deadline' } }),
    ]);
    // Now it is submitted, so further changes get the submitted refusal, and nothing else changes.
    expectError(await put('again'), 409, 'attempt_submitted');
    expectError(await t.req(b, 'DELETE', `/api/attempts/${id}/file?path=work.md`), 409, 'attempt_submitted');
    expect(await workspaceState(t, id)).toEqual(after);
  });

  it('refuses rename and delete after deadline + grace too', async () => {
    t.clock.set(deadlineAt + t.config.submitGraceMs + 1);
    const before = await workspaceState(t, id);
    expectError(
      await t.req(b, 'POST', `/api/attempts/${id}/file/rename`, { from: 'work.md', to: 'x.md' }),
      409,
      'deadline_passed',
    );
    const after = await workspaceState(t, id);
    expect(after.files).toEqual(before.files);
    expectError(await t.req(b, 'DELETE', `/api/attempts/${id}/file?path=work.md`), 409, 'attempt_submitted');
    expect((await workspaceState(t, id)).files).toEqual(before.files);
  });

  it('refuses every change after the candidate submits (409 attempt_submitted), and nothing changes', async () => {
    await t.req(b, 'POST', `/api/attempts/${id}/submit`);
    const before = await workspaceState(t, id);
    expectError(await put('v2'), 409, 'attempt_submitted', /already submitted/);
    expectError(await put('new', 'new.md'), 409, 'attempt_submitted');
    expectError(
      await t.req(b, 'POST', `/api/attempts/${id}/file/rename`, { from: 'work.md', to: 'x.md' }),
      409,
      'attempt_submitted',
    );
    expectError(await t.req(b, 'DELETE', `/api/attempts/${id}/file?path=work.md`), 409, 'attempt_submitted');
    expect(await workspaceState(t, id)).toEqual(before);
  });

  it('a submit after deadline + grace is idempotent and stamps the deadline', async () => {
    t.clock.set(deadlineAt + t.config.submitGraceMs + 60_000);
    const first = await t.req(b, 'POST', `/api/attempts/${id}/submit`);
    expect(first.status).toBe(200);
    expect(first.json.attempt).toMatchObject({
      status: 'submitted',
      submitReason: 'deadline',
      writable: false,
    });
    t.clock.advance(60_000);
    const second = await t.req(b, 'POST', `/api/attempts/${id}/submit`);
    expect(second.json.attempt).toEqual({ ...first.json.attempt, serverNow: t.clock.now() });
    // Work after the deadline does not count, so the submission time is the deadline itself (as when
    // the sweeper or a refused write submits it).
    expect(first.json.attempt.submittedAt).toBe(deadlineAt);
  });

  it('a submit after the deadline is idempotent once the write path has auto-submitted', async () => {
    t.clock.set(deadlineAt + t.config.submitGraceMs + 1);
    await put('too late');
    const r = await t.req(b, 'POST', `/api/attempts/${id}/submit`);
    expect(r.status).toBe(200);
    expect(r.json.attempt).toMatchObject({
      status: 'submitted',
      submitReason: 'deadline',
      submittedAt: deadlineAt,
    });
    const events = (await listEvents(t.ctx, id)).filter((e) => e.type === 'attempt.submitted');
    expect(events).toHaveLength(1);
  });

  it('the page’s submit when the clock ran out is recorded as auto-submitted at the deadline', async () => {
    t.clock.set(deadlineAt + 1000);
    const r = await t.req(b, 'POST', `/api/attempts/${id}/submit?timeUp=true`);
    expect(r.json.attempt).toMatchObject({
      status: 'submitted',
      submitReason: 'deadline',
      submittedAt: deadlineAt,
    });
  });

  it('a time-up claim before the deadline is the candidate’s own submit', async () => {
    t.clock.set(deadlineAt - 1000);
    const r = await t.req(b, 'POST', `/api/attempts/${id}/submit?timeUp=true`);
    expect(r.json.attempt).toMatchObject({ submitReason: 'candidate', submittedAt: deadlineAt - 1000 });
  });

  it('a submit inside the grace period counts as the candidate’s own', async () => {
    t.clock.set(deadlineAt + 1000);
    const r = await t.req(b, 'POST', `/api/attempts/${id}/submit`);
    expect(r.json.attempt).toMatchObject({
      status: 'submitted',
      submitReason: 'candidate',
      submittedAt: deadlineAt + 1000,
    });
  });

  it('start after submit returns the submitted attempt instead of a new one', async () => {
    await t.req(b, 'POST', `/api/attempts/${id}/submit`);
    const r = await t.req(b, 'POST', '/api/candidate/start');
    expect(r.json.attempt).toMatchObject({ id, status: 'submitted' });
    expect(await t.ctx.db.selectFrom('attempts').selectAll().execute()).toHaveLength(1);
  });
});
