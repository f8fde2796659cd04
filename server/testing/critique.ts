/** Route-test helpers for critique tasks: the real critique-support-bot task and a submitted critique. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { repoRoot, type TestApp } from './index.ts';

export const critiqueTaskDir = path.join(repoRoot, 'tasks/critique-support-bot');

/** An annotation over `quote` in answer.md, as the editor stores it. */
export async function annotationOn(quote: string, category: string, comment: string) {
  const answer = await readFile(path.join(critiqueTaskDir, 'outputs/answer.md'), 'utf8');
  const start = answer.indexOf(quote);
  if (start < 0) throw new Error(`not in answer.md: ${quote}`);
  return {
    id: `a-${start}`,
    output: 'answer.md',
    start,
    end: start + quote.length,
    quote,
    category,
    comment,
  };
}

/** Starts a critique attempt, writes two annotations through the file API and submits it. */
export async function submittedCritique(t: TestApp) {
  const c = await t.startedCandidate('Cy', 'cy@example.com', 'critique-support-bot');
  const annotations = [
    // Inside the planted flaw's span, labelled with one of its accepted alternatives.
    await annotationOn(
      'allowed_methods=["GET", "POST"]',
      'unsafe',
      'retrying POST without an Idempotency-Key duplicates shipments',
    ),
    // A correct statement (a notFlaw).
    await annotationOn('`raise_on_status=False` tells urllib3', 'hallucinated-api', 'no such parameter'),
  ];
  const put = await t.req(c.browser, 'PUT', `/api/attempts/${c.attemptId}/file`, {
    path: 'critique/annotations.json',
    content: JSON.stringify({ annotations }, null, 2),
  });
  expect(put.status, put.text).toBe(200);
  expect((await t.req(c.browser, 'POST', `/api/attempts/${c.attemptId}/submit`)).status).toBe(200);
  await t.services.runs.settle();
  return c;
}
