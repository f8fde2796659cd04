/** Two reviewers grade two submissions; the task's agreement and calibration follow from their levels. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type Browser, type TestApp } from '../../testing/index.ts';
import { weightedKappa } from '../../grading/index.ts';

describe('reviews (happy path)', () => {
  let t: TestApp;
  let r1: Browser;
  let r2: Browser;
  beforeEach(async () => {
    t = await makeTestApp();
    await t.importExample();
    r1 = await t.staff('reviewer', 'r1@example.com');
    r2 = await t.staff('reviewer', 'r2@example.com');
  });
  afterEach(() => t.close());

  async function review(
    who: Browser,
    attemptId: string,
    correctness: number,
    errorHandling: number,
    clarity: number,
    recommendation: number,
  ) {
    const levels = {
      correctness: { level: correctness, evidence: 'seen in parse-model-json.mjs' },
      'error-handling': { level: errorHandling, evidence: 'seen in tests' },
      clarity: { level: clarity, evidence: 'read the code' },
    };
    expect(
      (await t.req(who, 'PUT', `/api/reviews/${attemptId}/mine`, { levels, recommendation })).status,
    ).toBe(200);
    const submitted = await t.req(who, 'POST', `/api/reviews/${attemptId}/mine/submit`);
    expect(submitted.json.myReview.status).toBe('submitted');
    return submitted.json;
  }

  it('the review page says whether the candidate submitted or the deadline auto-submitted', async () => {
    const own = await t.startedCandidate('Own', 'own@example.com');
    await t.req(own.browser, 'POST', `/api/attempts/${own.attemptId}/submit`);
    const late = await t.startedCandidate('Late', 'late@example.com');
    t.clock.set(late.attempt.deadlineAt + 2000);
    await t.req(late.browser, 'POST', `/api/attempts/${late.attemptId}/submit?timeUp=true`);
    const admin = await t.staff('admin');
    expect((await t.req(admin, 'GET', `/api/reviews/${own.attemptId}`)).json.submittedBy).toBe('candidate');
    expect((await t.req(admin, 'GET', `/api/reviews/${late.attemptId}`)).json).toMatchObject({
      submittedBy: 'deadline',
      submittedAt: late.attempt.deadlineAt,
    });
  });

  it('computes weighted scores, flags disagreements, and reports agreement and calibration per task', async () => {
    const ids: string[] = [];
    for (const n of [1, 2]) {
      const c = await t.startedCandidate(`C${n}`, `c${n}@example.com`);
      await t.req(c.browser, 'POST', `/api/attempts/${c.attemptId}/submit`);
      ids.push(c.attemptId);
    }
    await t.services.runs.settle();
    // r1 is systematically one level harsher than r2 on correctness.
    const mine = await review(r1, ids[0]!, 2, 3, 3, 2);
    expect(mine.myReview.score).toBeCloseTo((((2 * 1) / 3 + 2 / 3 + 2 / 3) / 4) * 100, 5); // weights 2,1,1
    await review(r2, ids[0]!, 4, 3, 3, 3);
    await review(r1, ids[1]!, 1, 2, 4, 1);
    await review(r2, ids[1]!, 2, 2, 4, 2);

    const all = await t.req(r1, 'GET', `/api/reviews/${ids[0]}/all`);
    expect(all.json.disagreements).toContainEqual({ criterion: 'correctness', spread: 2, flagged: true });
    expect(all.json.disagreements).toContainEqual({ criterion: 'clarity', spread: 0, flagged: false });

    const stats = await t.req(await t.staff('author'), 'GET', '/api/tasks/hello-llm/agreement');
    expect(stats.json).toMatchObject({ submissions: 2, reviews: 4 });
    const correctness = stats.json.criteria.find((c: { id: string }) => c.id === 'correctness');
    expect(correctness.method).toBe('weighted-kappa');
    expect(correctness.value).toBeCloseTo(
      weightedKappa([
        [2, 4],
        [1, 2],
      ])!,
      10,
    );
    const harsh = stats.json.calibration.find((c: { name: string }) => c.name === 'r1');
    expect(harsh.bias).toBeLessThan(0);
    expect((await t.req(r1, 'GET', '/api/tasks/hello-llm/agreement')).status).toBe(403);
  });
});
