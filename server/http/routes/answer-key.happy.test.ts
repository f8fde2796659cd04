/** A reviewer compares a critique submission with the task's answer key (the real critique-support-bot task). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../../testing/index.ts';
import { critiqueTaskDir, submittedCritique } from '../../testing/critique.ts';

describe('answer-key comparison (happy path)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await makeTestApp();
    await t.importExample(critiqueTaskDir);
  });
  afterEach(() => t.close());

  it('shows an assigned reviewer which planted flaws were found and which flags are extra', async () => {
    const reviewer = await t.staff('reviewer');
    const c = await submittedCritique(t);
    const r = await t.req(reviewer, 'GET', `/api/attempts/${c.attemptId}/answer-key`);
    expect(r.status, r.text).toBe(200);
    expect(r.json.answerKey).toBe('key/flaws.yaml');
    expect(r.json.problems).toEqual([]);
    expect(r.json.flaws).toHaveLength(8);
    const found = r.json.flaws.filter((f: { found: boolean }) => f.found);
    expect(found.map((f: { id: string }) => f.id)).toEqual(['retries-non-idempotent-post']);
    expect(found[0]).toMatchObject({ category: 'logic-bug', categoryMatch: true });
    expect(found[0].annotations[0].comment).toContain('Idempotency-Key');
    expect(r.json.extras).toHaveLength(1);
    expect(r.json.extras[0]).toMatchObject({ kind: 'notFlaw', annotation: { category: 'hallucinated-api' } });
    expect(r.json.summary).toMatchObject({
      planted: 8,
      found: 1,
      recall: 1 / 8,
      precision: 1 / 2,
      notFlaw: 1,
    });
  });

  it('answers 404 for a task without an answer key', async () => {
    await t.importExample();
    const c = await t.startedCandidate('Ada', 'ada@example.com', 'hello-llm');
    const author = await t.staff('author');
    const r = await t.req(author, 'GET', `/api/attempts/${c.attemptId}/answer-key`);
    expect(r.status).toBe(404);
    expect(r.json.error.message).toBe('this task has no answer key');
  });
});
