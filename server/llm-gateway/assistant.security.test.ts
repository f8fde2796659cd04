/**
 * The IDE assistant's way into the gateway (`Gateway.assistant`): the attempt's own key and budget, no
 * Run window, every call recorded as assistant use. It must not become a way around the budget or the
 * attempt's end, and the candidate's code must not be able to pass its calls off as the assistant's.
 */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../testing/index.ts';
import { importTask } from '../tasks/import.ts';

const fixtures = path.join(import.meta.dirname, 'fixtures');

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp();
  await importTask(t.ctx, path.join(fixtures, 'gw-tight'));
});
afterEach(() => t.close());

const chatBody = (content: string) => ({ model: 'mock-small', messages: [{ role: 'user', content }] });

async function transcript(attemptId: string) {
  const r = await t.req(await t.staff('admin'), 'GET', `/api/attempts/${attemptId}/llm`);
  return r.json as { usage: { requests: number }; calls: Array<Record<string, any>> };
}

describe('the IDE assistant through the gateway', () => {
  it('answers between Runs on every API, recorded as assistant use and spending the attempt budget', async () => {
    const { attemptId } = await t.startedCandidate(undefined, undefined, 'gw-tight');
    // No Run is live: the candidate's key is refused for code, the assistant still answers.
    const key = (await t.services.gateway.envFor(attemptId, 'attempt')).OPENAI_API_KEY!;
    const fromCode = await t.services.gateway.app.request('/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(chatBody('from code')),
    });
    expect(fromCode.status).toBe(409);
    const chat = await t.services.gateway.assistant(
      attemptId,
      '/v1/chat/completions',
      chatBody('explain this'),
    );
    expect(chat.status).toBe(200);
    expect(((await chat.json()) as any).choices[0].message.content).toBe('Mock reply to: "explain this"');
    const msg = await t.services.gateway.assistant(attemptId, '/v1/messages', {
      ...chatBody('and this'),
      max_tokens: 50,
    });
    expect(msg.status).toBe(200);
    // gw-tight allows 3 requests: one Run-time code call is left, then the budget is spent for both.
    t.services.gateway.openWindow(attemptId, 'attempt');
    const code = await t.services.gateway.app.request('/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(chatBody('from code')),
    });
    expect(code.status).toBe(200);
    const over = await t.services.gateway.assistant(attemptId, '/v1/responses', {
      model: 'mock-small',
      input: 'more?',
    });
    expect(over.status).toBe(429);
    expect(((await over.json()) as any).error.code).toBe('budget_requests_exhausted');

    const { calls, usage } = await transcript(attemptId);
    expect(usage.requests).toBe(3);
    const seen = calls.map((c) => `${c.origin} ${c.endpoint} ${c.status}`).sort();
    expect(seen).toEqual([
      'assistant chat 200',
      'assistant messages 200',
      'assistant responses 429',
      'code chat 200',
      'code chat 409',
    ]);
  });

  it('is refused once the attempt is submitted, like the key it uses', async () => {
    const { attemptId, browser } = await t.startedCandidate(undefined, undefined, 'gw-tight');
    expect(
      (await t.services.gateway.assistant(attemptId, '/v1/chat/completions', chatBody('hi'))).status,
    ).toBe(200);
    expect((await t.req(browser, 'POST', `/api/attempts/${attemptId}/submit`)).status).toBe(200);
    await t.services.settle();
    const after = await t.services.gateway.assistant(attemptId, '/v1/chat/completions', chatBody('hi'));
    expect(after.status).toBe(401);
  });

  it('cannot be claimed by the candidate’s code: calls on the gateway port are always recorded as code', async () => {
    const { attemptId } = await t.startedCandidate(undefined, undefined, 'gw-tight');
    const key = (await t.services.gateway.envFor(attemptId, 'attempt')).OPENAI_API_KEY!;
    t.services.gateway.openWindow(attemptId, 'attempt');
    const r = await t.services.gateway.app.request('/v1/chat/completions', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        'x-worksample-origin': 'assistant',
        origin: 'assistant',
      },
      body: JSON.stringify({ ...chatBody('pretend'), origin: 'assistant' }),
    });
    // An unknown body field is refused; without it the call is recorded as code.
    expect(r.status).toBe(400);
    const ok = await t.services.gateway.app.request('/v1/chat/completions', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        'x-worksample-origin': 'assistant',
      },
      body: JSON.stringify(chatBody('pretend')),
    });
    expect(ok.status).toBe(200);
    const { calls } = await transcript(attemptId);
    expect(calls.map((c) => c.origin)).toEqual(['code']);
  });
});
