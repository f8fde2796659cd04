/** The IDE assistant route: a candidate's chat turn answered by the task's model and recorded. */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../../testing/index.ts';
import { importTask } from '../../tasks/import.ts';

const fixture = path.join(import.meta.dirname, '../../assistant/fixtures/asst-tight');

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp();
  await importTask(t.ctx, fixture);
});
afterEach(() => t.close());

describe('POST /api/attempts/{id}/assistant', () => {
  it('answers the candidate between Runs, with the shared file, recorded as assistant use and on the timeline', async () => {
    const { browser, attemptId } = await t.startedCandidate(undefined, undefined, 'asst-tight');
    const view = await t.req(browser, 'GET', '/api/candidate');
    expect(view.json.task.llm.assistant).toBe('chat');
    const r = await t.req(browser, 'POST', `/api/attempts/${attemptId}/assistant`, {
      messages: [{ role: 'user', content: 'give me a snippet' }],
      context: { path: 'main.mjs', content: 'console.log("shared line")' },
    });
    expect(r.status).toBe(200);
    expect(r.json.reply).toContain('```js\nexport const answer = 42;\n```');

    const admin = await t.staff('admin');
    const llm = await t.req(admin, 'GET', `/api/attempts/${attemptId}/llm`);
    expect(llm.json.calls).toHaveLength(1);
    const call = llm.json.calls[0];
    expect([call.origin, call.endpoint, call.model, call.status]).toEqual([
      'assistant',
      'chat',
      'mock-small',
      200,
    ]);
    // The model saw the shared file.
    expect(JSON.stringify(call.request)).toContain('console.log(\\"shared line\\")');
    expect(llm.json.usage.requests).toBe(1);

    const events = await t.req(admin, 'GET', `/api/attempts/${attemptId}/events`);
    const turn = events.json.events.find((e: any) => e.type === 'assistant.turn');
    expect(turn).toMatchObject({
      path: 'main.mjs',
      payload: {
        model: 'mock-small',
        status: 200,
        prompt: 'give me a snippet',
        shared: { path: 'main.mjs', chars: 26 },
      },
    });
    expect(turn.payload.reply).toContain('export const answer = 42;');
  });

  it('carries the conversation so far', async () => {
    const { browser, attemptId } = await t.startedCandidate(undefined, undefined, 'asst-tight');
    const r = await t.req(browser, 'POST', `/api/attempts/${attemptId}/assistant`, {
      messages: [
        { role: 'user', content: 'hello' },
        { role: 'assistant', content: 'Mock reply to: "hello"' },
        { role: 'user', content: 'and again' },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.json.reply).toBe('Mock reply to: "and again"');
  });
});
