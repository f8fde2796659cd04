/** The candidate feedback report: only after the decision, only shareable evidence, no reviewer details. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type Browser, type TestApp } from '../../testing/index.ts';
import { expectError } from '../../testing/expect.ts';

describe('feedback report', () => {
  let t: TestApp;
  let reviewers: Browser[];
  let admin: Browser;
  let attemptId: string;
  beforeEach(async () => {
    t = await makeTestApp();
    await t.importExample();
    admin = await t.staff('admin');
    reviewers = [await t.staff('reviewer', 'ra@example.com'), await t.staff('reviewer', 'rb@example.com')];
    const c = await t.startedCandidate();
    attemptId = c.attemptId;
    await t.req(c.browser, 'POST', `/api/attempts/${attemptId}/submit`);
    await t.services.runs.settle();
  });
  afterEach(() => t.close());

  it('shows the median level as a number and only the evidence reviewers wrote and marked shareable', async () => {
    const levels = (n: number, shareable: boolean) => ({
      correctness: { level: n, evidence: `correctness evidence ${n}`, shareable },
      'error-handling': { level: 3, evidence: 'private reasoning about errors' },
      clarity: { level: 2, evidence: 'clarity: long function', shareable: true },
    });
    for (const [i, r] of reviewers.entries()) {
      await t.req(r, 'PUT', `/api/reviews/${attemptId}/mine`, {
        levels: levels(i === 0 ? 2 : 4, i === 0),
        recommendation: 3,
        notes: 'secret note',
      });
      await t.req(r, 'POST', `/api/reviews/${attemptId}/mine/submit`);
    }
    expectError(
      await t.req(admin, 'GET', `/api/reviews/${attemptId}/feedback`),
      409,
      'conflict',
      /once the decision is recorded/,
    );
    await t.req(admin, 'POST', `/api/reviews/${attemptId}/decision`, { decision: 'hold', reason: 'mixed' });
    const r = await t.req(admin, 'GET', `/api/reviews/${attemptId}/feedback`);
    expect(r.status).toBe(200);
    const correctness = r.json.criteria.find((c: { id: string }) => c.id === 'correctness');
    expect(correctness).toMatchObject({ level: 3, comments: ['correctness evidence 2'] });
    expect(r.json.markdown).toContain('## Correctness — level 3 of 4');
    // Reviewers at 4 and 2: the median is 3, but nobody wrote level 3's descriptor, so it is not quoted.
    const rubric = (await t.req(admin, 'GET', `/api/reviews/${attemptId}`)).json.rubric as Array<{
      levels: Record<string, string>;
    }>;
    for (const c of rubric) for (const d of Object.values(c.levels)) expect(r.json.markdown).not.toContain(d);
    expect(correctness).not.toHaveProperty('descriptor');
    // Every line under a heading is a reviewer's shared comment or the plain "none shared" note.
    const body = r.json.markdown.split('\n').filter((l: string) => l && !l.startsWith('#'));
    expect(body.slice(2)).toEqual([
      '- correctness evidence 2',
      'No written comments were shared for this criterion.',
      '- clarity: long function',
      '- clarity: long function',
    ]);
    expect(r.json.markdown).not.toMatch(
      /private reasoning|secret note|correctness evidence 4|ra@example|rb@example/,
    );
    expectError(await t.req(reviewers[0]!, 'GET', `/api/reviews/${attemptId}/feedback`), 403, 'forbidden');
  });
});
