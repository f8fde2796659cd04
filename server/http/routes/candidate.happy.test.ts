import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { makeTestApp, type TestApp } from '../../testing/index.ts';
import { importTask } from '../../tasks/import.ts';

describe('candidate flow (happy path)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await makeTestApp();
    await t.importExample();
  });
  afterEach(() => t.close());

  it('opens an invitation, sees the task, starts, edits a file and submits', async () => {
    const { token } = await t.invite();
    const b = await t.candidate(token);
    const before = await t.req(b, 'GET', '/api/candidate');
    expect(before.status).toBe(200);
    expect(before.json.task.title).toMatch(/JSON/i);
    expect(before.json.attempt).toBeNull();
    expect(before.json.task.statement).toBeUndefined();

    const start = await t.req(b, 'POST', '/api/candidate/start');
    expect(start.status).toBe(200);
    const attempt = start.json.attempt;
    expect(attempt.deadlineAt - attempt.startedAt).toBe(before.json.task.timeLimitMinutes * 60_000);

    const files = await t.req(b, 'GET', `/api/attempts/${attempt.id}/files`);
    expect(files.json.files.map((f: { path: string }) => f.path)).toContain('parse-model-json.mjs');

    const write = await t.req(b, 'PUT', `/api/attempts/${attempt.id}/file`, {
      path: 'notes/plan.md',
      content: '# plan',
      baseRevision: 0,
    });
    expect(write.status).toBe(200);
    expect(write.json.file.revision).toBe(1);
    const read = await t.req(b, 'GET', `/api/attempts/${attempt.id}/file?path=notes/plan.md`);
    expect(read.json).toMatchObject({ content: '# plan', encoding: 'utf8', revision: 1 });

    const submit = await t.req(b, 'POST', `/api/attempts/${attempt.id}/submit`);
    expect(submit.json.attempt).toMatchObject({
      status: 'submitted',
      submitReason: 'candidate',
      writable: false,
    });
    const again = await t.req(b, 'POST', `/api/attempts/${attempt.id}/submit`);
    expect(again.json.attempt.submittedAt).toBe(submit.json.attempt.submittedAt);
  });
});

describe('materials', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await makeTestApp();
    await importTask(t.ctx, path.join(import.meta.dirname, '../../tasks/fixtures/critique-min'));
  });
  afterEach(() => t.close());

  it('shows a started critique candidate the statement, the listed outputs and the questions; strangers get 404', async () => {
    const { browser, attemptId } = await t.startedCandidate('Cri', 'cri@example.com', 'critique-min');
    const r = await t.req(browser, 'GET', `/api/attempts/${attemptId}/materials`);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      kind: 'critique',
      outputs: [{ path: 'answer-1.md' }],
      questions: [{ id: 'trust' }],
    });
    expect(r.json.outputs[0].content.length).toBeGreaterThan(20);
    expect(r.json.statement).toMatch(/\S/);
    const other = await t.startedCandidate('Other', 'other@example.com', 'critique-min');
    expect((await t.req(other.browser, 'GET', `/api/attempts/${attemptId}/materials`)).status).toBe(404);
  });
});
