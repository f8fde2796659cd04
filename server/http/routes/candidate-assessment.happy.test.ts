/** An assessment through the candidate's HTTP path: both clocks, Submit all, the deadline sweep. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dialects, makeTestApp, type Browser, type TestApp } from '../../testing/index.ts';
import { importLoop } from '../../assessments/fixtures.ts';
import { sweepDeadlines } from '../../attempts/index.ts';

const MIN = 60_000;

describe.each(dialects())('candidate assessment on %s', (dialect) => {
  let t: TestApp;
  let admin: Browser;
  beforeEach(async () => {
    t = await makeTestApp({ dialect });
    admin = await t.staff('admin');
  });
  afterEach(() => t.close());

  async function invite(slug: string, email = 'ada@example.com') {
    const r = await t.req(admin, 'POST', '/api/invitations', {
      assessmentSlug: slug,
      candidateName: 'Ada',
      candidateEmail: email,
    });
    expect(r.status).toBe(201);
    return { invitation: r.json.invitation, browser: await t.candidate(r.json.link.split('/i/')[1]) };
  }

  it('overall clock: Start runs one clock for every task; the sweep auto-submits the open ones at the deadline', async () => {
    await importLoop(t.ctx, { clock: 'overall', timeLimitMinutes: 30 });
    const { invitation, browser: b } = await invite('loop-overall');
    expect(invitation).toMatchObject({
      taskSlug: 'hello-llm',
      status: 'invited',
      assessment: { slug: 'loop-overall', version: 1, title: 'Loop', taskCount: 2 },
    });

    const intro = await t.req(b, 'GET', '/api/candidate');
    expect(intro.status).toBe(200);
    expect(intro.json.attempt).toBeNull();
    expect(intro.json.task.title).toMatch(/JSON/);
    expect(intro.json.assessment).toMatchObject({
      title: 'Loop',
      introMarkdown: 'Two **parts**.',
      clock: 'overall',
      timeLimitMinutes: 30,
      startedAt: null,
      deadlineAt: null,
      current: null,
      submittedAll: false,
      tasks: [
        {
          position: 0,
          kind: 'code',
          weight: 2,
          timeLimitMinutes: 30,
          status: 'not_started',
          attemptId: null,
        },
        {
          position: 1,
          kind: 'critique',
          weight: 1,
          timeLimitMinutes: 30,
          status: 'not_started',
          attemptId: null,
        },
      ],
    });
    // A task cannot be opened before the clock starts.
    expect((await t.req(b, 'POST', '/api/candidate/assessment/select', { position: 1 })).status).toBe(409);

    const started = await t.req(b, 'POST', '/api/candidate/assessment/start');
    const startedAt = t.clock.now();
    expect(started.json.assessment).toMatchObject({ startedAt, deadlineAt: startedAt + 30 * MIN });
    // Begun before any task is opened: the invitation is started, and can no longer be revoked.
    expect((await t.req(admin, 'GET', '/api/invitations')).json.invitations[0].status).toBe('started');
    const row = (await t.req(admin, 'GET', '/api/pipeline')).json.rows[0];
    expect(row).toMatchObject({
      stage: 'started',
      attemptId: null,
      assessment: { slug: 'loop-overall', position: null, count: 2 },
    });
    expect((await t.req(admin, 'POST', `/api/invitations/${invitation.id}/revoke`)).status).toBe(409);
    // Idempotent: a second Start (another tab) keeps the clock.
    t.clock.advance(MIN);
    expect((await t.req(b, 'POST', '/api/candidate/assessment/start')).json.assessment.startedAt).toBe(
      startedAt,
    );

    const second = await t.req(b, 'POST', '/api/candidate/assessment/select', { position: 1 });
    expect(second.status).toBe(200);
    expect(second.json.assessment.current).toBe(1);
    expect(second.json.task.title).toMatch(/support bot/i);
    expect(second.json.task.statement).toMatch(/\S/);
    expect(second.json.attempt).toMatchObject({
      position: 1,
      deadlineAt: startedAt + 30 * MIN,
      status: 'started',
    });
    // The session remembers where it is.
    expect((await t.req(b, 'GET', '/api/candidate')).json.assessment.current).toBe(1);

    const first = await t.req(b, 'POST', '/api/candidate/assessment/select', { position: 0 });
    const a0 = first.json.attempt;
    expect(a0).toMatchObject({ position: 0, deadlineAt: startedAt + 30 * MIN });
    expect((await t.req(b, 'POST', `/api/attempts/${a0.id}/submit`)).json.attempt.status).toBe('submitted');
    const back = await t.req(b, 'POST', '/api/candidate/assessment/select', { position: null });
    expect(back.json.assessment).toMatchObject({
      current: null,
      submittedAll: false,
      tasks: [{ status: 'submitted', submitReason: 'candidate' }, { status: 'started' }],
    });

    // The deadline passes with task 2 open: the existing sweeper submits it as the deadline's.
    t.clock.advance(30 * MIN + t.config.submitGraceMs);
    expect(await sweepDeadlines(t.ctx)).toBe(1);
    const after = await t.req(b, 'GET', '/api/candidate');
    expect(after.json.assessment).toMatchObject({
      submittedAll: true,
      tasks: [
        { status: 'submitted', submitReason: 'candidate' },
        { status: 'submitted', submitReason: 'deadline', deadlineAt: startedAt + 30 * MIN },
      ],
    });
    expect((await t.req(b, 'POST', '/api/candidate/assessment/select', { position: 1 })).status).toBe(409);
  });

  it('overall clock: a task never opened by the deadline is not attempted', async () => {
    await importLoop(t.ctx, { clock: 'overall', timeLimitMinutes: 10 });
    const { invitation, browser: b } = await invite('loop-overall');
    await t.req(b, 'POST', '/api/candidate/assessment/start');
    await t.req(b, 'POST', '/api/candidate/assessment/select', { position: 0 });
    t.clock.advance(10 * MIN + t.config.submitGraceMs + 1);
    await sweepDeadlines(t.ctx);
    const view = await t.req(b, 'GET', '/api/candidate');
    expect(view.json.assessment.tasks.map((x: { status: string }) => x.status)).toEqual([
      'submitted',
      'not_attempted',
    ]);
    expect(view.json.assessment.submittedAll).toBe(false);
    const list = await t.req(admin, 'GET', '/api/invitations');
    expect(list.json.invitations.find((i: { id: string }) => i.id === invitation.id).status).toBe(
      'submitted',
    );
    const summary = await t.req(admin, 'GET', `/api/invitations/${invitation.id}/summary`);
    expect(summary.json.tasks).toMatchObject([
      { position: 0, status: 'submitted', weight: 2 },
      { position: 1, status: 'not_attempted', attemptId: null, score: 0 },
    ]);
  });

  it('per-task clock: each task starts on its own Start with its own limit; Submit all closes the rest', async () => {
    await importLoop(t.ctx, { clock: 'per-task' });
    const { invitation, browser: b } = await invite('loop-per-task');
    const intro = await t.req(b, 'POST', '/api/candidate/assessment/start');
    expect(intro.json.assessment).toMatchObject({
      clock: 'per-task',
      startedAt: t.clock.now(),
      deadlineAt: null,
    });
    expect(intro.json.assessment.tasks.map((x: { timeLimitMinutes: number }) => x.timeLimitMinutes)).toEqual([
      15, 50,
    ]);

    const sel = await t.req(b, 'POST', '/api/candidate/assessment/select', { position: 1 });
    expect(sel.json.attempt).toBeNull();
    expect(sel.json.assessment.tasks[1].status).toBe('not_started');
    const s1 = await t.req(b, 'POST', '/api/candidate/start');
    expect(s1.status).toBe(200);
    expect(s1.json.attempt).toMatchObject({ position: 1, deadlineAt: t.clock.now() + 50 * MIN });

    t.clock.advance(5 * MIN);
    await t.req(b, 'POST', '/api/candidate/assessment/select', { position: 0 });
    const s0 = await t.req(b, 'POST', '/api/candidate/start');
    expect(s0.json.attempt).toMatchObject({ position: 0, deadlineAt: t.clock.now() + 15 * MIN });
    // Start again on the same task: the same attempt.
    expect((await t.req(b, 'POST', '/api/candidate/start')).json.attempt.id).toBe(s0.json.attempt.id);
    expect((await t.req(admin, 'GET', '/api/invitations')).json.invitations[0].status).toBe('started');

    const all = await t.req(b, 'POST', '/api/candidate/assessment/submit');
    expect(all.status).toBe(200);
    expect(all.json.assessment).toMatchObject({
      submittedAll: true,
      tasks: [
        { status: 'submitted', submitReason: 'candidate' },
        { status: 'submitted', submitReason: 'candidate' },
      ],
    });
    expect((await t.req(b, 'POST', '/api/candidate/assessment/submit')).status).toBe(200);
    const pipeline = await t.req(admin, 'GET', '/api/pipeline?sort=name');
    const rows = pipeline.json.rows.filter((r: { invitationId: string }) => r.invitationId === invitation.id);
    expect(
      rows.map((r: { task: { slug: string }; assessment: unknown }) => [r.task.slug, r.assessment]).sort(),
    ).toEqual([
      ['critique-support-bot', { title: 'Loop', slug: 'loop-per-task', position: 1, count: 2 }],
      ['hello-llm', { title: 'Loop', slug: 'loop-per-task', position: 0, count: 2 }],
    ]);
  });

  it('lists assessments for staff; a single-task invitation says assessment: null and works as before', async () => {
    await importLoop(t.ctx, { clock: 'overall' });
    const list = await t.req(admin, 'GET', '/api/assessments');
    expect(list.json.assessments).toMatchObject([
      {
        slug: 'loop-overall',
        version: 1,
        clock: 'overall',
        timeLimitMinutes: 60,
        tasks: [
          { position: 0, taskSlug: 'hello-llm', weight: 2 },
          { position: 1, taskSlug: 'critique-support-bot', weight: 1 },
        ],
      },
    ]);
    const one = await t.startedCandidate();
    const view = await t.req(one.browser, 'GET', '/api/candidate');
    expect(view.json.assessment).toBeNull();
    expect(view.json.attempt).toMatchObject({ id: one.attemptId, position: 0 });
    expect(one.invitation.assessment).toBeNull();
    // Both or neither of taskSlug / assessmentSlug: 400.
    for (const body of [{ taskSlug: 'hello-llm', assessmentSlug: 'loop-overall' }, {}])
      expect(
        (
          await t.req(admin, 'POST', '/api/invitations', {
            ...body,
            candidateName: 'X',
            candidateEmail: 'x@example.com',
          })
        ).status,
      ).toBe(400);
    const bulk = await t.req(admin, 'POST', '/api/invitations/bulk', {
      assessmentSlug: 'loop-overall',
      csv: 'name,email\nA,a@example.com\nB,b@example.com\n',
    });
    expect(bulk.status).toBe(201);
    expect(
      bulk.json.created.map(
        (c: { invitation: { assessment: { slug: string } } }) => c.invitation.assessment.slug,
      ),
    ).toEqual(['loop-overall', 'loop-overall']);
  });
});
