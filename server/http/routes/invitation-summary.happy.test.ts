/**
 * The candidate summary of an assessment and its one decision: per-task review scores, the weighted
 * overall, the decision stored on every attempt with its decision.recorded event (webhooks: decision.made).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dialects, makeTestApp, type Browser, type TestApp } from '../../testing/index.ts';
import { importLoop } from '../../assessments/fixtures.ts';
import { memoryMailer } from '../../email/index.ts';

describe.each(dialects())('candidate summary and decision on %s', (dialect) => {
  let t: TestApp;
  let admin: Browser;
  let reviewer: Browser;
  let mailer: ReturnType<typeof memoryMailer>;
  beforeEach(async () => {
    mailer = memoryMailer();
    t = await makeTestApp({ dialect, mailer });
    admin = await t.staff('admin');
    reviewer = await t.staff('reviewer', 'rev@example.com');
    await importLoop(t.ctx, { clock: 'per-task' });
  });
  afterEach(() => t.close());

  it('scores each task by its reviews, weights the overall, and records one decision on every attempt', async () => {
    const r = await t.req(admin, 'POST', '/api/invitations', {
      assessmentSlug: 'loop-per-task',
      candidateName: 'Grace',
      candidateEmail: 'grace@example.com',
    });
    const id = r.json.invitation.id;
    const b = await t.candidate(r.json.link.split('/i/')[1]);
    await t.req(b, 'POST', '/api/candidate/assessment/start');
    const ids: string[] = [];
    for (const position of [0, 1]) {
      await t.req(b, 'POST', '/api/candidate/assessment/select', { position });
      ids.push((await t.req(b, 'POST', '/api/candidate/start')).json.attempt.id);
    }
    const early = await t.req(admin, 'POST', `/api/invitations/${id}/decision`, {
      decision: 'advance',
      reason: 'x',
    });
    expect(early.status).toBe(409);
    const undecided = await t.req(admin, 'POST', `/api/invitations/${id}/feedback/email`);
    expect(undecided.status).toBe(409);
    expect(undecided.json.error.message).toMatch(/once the decision is recorded/);
    await t.req(b, 'POST', '/api/candidate/assessment/submit');
    await t.services.runs.settle();

    // Each task is reviewed on its own rubric (assigned at submit, round robin).
    const level = (ids_: string[], l: number) =>
      Object.fromEntries(ids_.map((k) => [k, { level: l, evidence: 'seen' }]));
    const reviews: Array<[string, Record<string, unknown>]> = [
      [ids[0]!, level(['correctness', 'error-handling', 'clarity'], 4)],
      [
        ids[1]!,
        level(['recall', 'precision', 'explanations', 'severity', 'prompt-changes', 'evaluation'], 2),
      ],
    ];
    const pending = await t.req(admin, 'POST', `/api/invitations/${id}/decision`, {
      decision: 'advance',
      reason: 'x',
    });
    expect(pending.status).toBe(409);
    expect(pending.json.error.message).toMatch(/review/);
    for (const [attemptId, levels] of reviews) {
      expect(
        (await t.req(reviewer, 'PUT', `/api/reviews/${attemptId}/mine`, { levels, recommendation: 3 }))
          .status,
      ).toBe(200);
      expect((await t.req(reviewer, 'POST', `/api/reviews/${attemptId}/mine/submit`)).status).toBe(200);
    }

    const summary = await t.req(admin, 'GET', `/api/invitations/${id}/summary`);
    expect(summary.status).toBe(200);
    expect(summary.json).toMatchObject({
      candidateName: 'Grace',
      assessment: { slug: 'loop-per-task', version: 1 },
      tasks: [
        {
          position: 0,
          taskSlug: 'hello-llm',
          weight: 2,
          status: 'submitted',
          reviewScore: 1,
          reviews: { submitted: 1, assigned: 1 },
        },
        {
          position: 1,
          taskSlug: 'critique-support-bot',
          weight: 1,
          status: 'submitted',
          reviews: { submitted: 1, assigned: 1 },
        },
      ],
      decision: null,
    });
    expect(summary.json.tasks[1].reviewScore).toBeCloseTo(1 / 3, 10);
    expect(summary.json.overall.weightedScore).toBeCloseTo((2 * 1 + 1 * (1 / 3)) / 3, 10);

    // Not task by task: the per-submission decision points to the summary and records nothing.
    const perTask = await t.req(admin, 'POST', `/api/reviews/${ids[0]}/decision`, {
      decision: 'reject',
      reason: 'x',
    });
    expect(perTask.status).toBe(409);
    expect(perTask.json.error.message).toContain(`/admin/invitations/${id}`);
    expect(await t.ctx.db.selectFrom('decisions').select('attempt_id').execute()).toEqual([]);
    const decided = await t.req(admin, 'POST', `/api/invitations/${id}/decision`, {
      decision: 'advance',
      reason: 'solid',
    });
    expect(decided.status).toBe(200);
    expect(decided.json.decision).toMatchObject({ decision: 'advance', reason: 'solid' });
    expect(decided.json.tasks.map((x: { status: string }) => x.status)).toEqual(['graded', 'graded']);
    const rows = await t.ctx.db
      .selectFrom('decisions')
      .select(['attempt_id', 'decision'])
      .orderBy('attempt_id')
      .execute();
    expect(rows).toEqual([...ids].sort().map((attempt_id) => ({ attempt_id, decision: 'advance' })));
    const events = await t.ctx.db
      .selectFrom('attempt_events')
      .select('attempt_id')
      .where('type', '=', 'decision.recorded')
      .execute();
    expect(events.map((e) => e.attempt_id).sort()).toEqual([...ids].sort());
    // Decided once: a second decision is refused; each task's own reveal now works for the reviewer.
    expect(
      (await t.req(admin, 'POST', `/api/invitations/${id}/decision`, { decision: 'reject', reason: 'x' }))
        .status,
    ).toBe(409);
    expect((await t.req(reviewer, 'GET', `/api/reviews/${ids[1]}/identity`)).json).toMatchObject({
      name: 'Grace',
    });

    // One feedback email for the whole assessment: a section per task, only what reviewers shared.
    expect((await t.req(reviewer, 'POST', `/api/invitations/${id}/feedback/email`)).status).toBe(403);
    await t.services.email.start();
    await t.services.settle();
    const before = mailer.sent.length;
    const sent = await t.req(admin, 'POST', `/api/invitations/${id}/feedback/email`);
    expect(sent.status).toBe(202);
    expect(sent.json).toEqual({ to: 'grace@example.com', tasks: 2 });
    await t.services.settle();
    const mails = mailer.sent.slice(before);
    expect(mails.map((m) => [m.to, m.subject])).toEqual([
      ['grace@example.com', expect.stringMatching(/Feedback on your work sample: .*loop/i)],
    ]);
    const text = mails[0]!.text;
    expect(text).toMatch(
      /## Feedback: .*\n[\s\S]*### .* — level 4 of 4[\s\S]*## Feedback: [\s\S]*### .* — level 2 of 4/,
    );
    expect((await t.req(admin, 'POST', '/api/invitations/nope/feedback/email')).status).toBe(404);
  });
});
