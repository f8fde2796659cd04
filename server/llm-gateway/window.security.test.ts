/**
 * The live-run window: an attempt's gateway key works only while one of its Runs (or its grading) is
 * live. A process that outlived its Run — or anything else holding the key — is refused with an
 * OpenAI-shaped 409 `outside_run`, and the call is recorded (uncounted) for reviewers.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../testing/index.ts';

describe('gateway calls outside a live Run', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await makeTestApp();
    await t.importExample();
  });
  afterEach(() => t.close());

  const chat = (key: string) =>
    t.app.gateway.app.request('/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock-small', messages: [{ role: 'user', content: 'hello' }] }),
    });

  it('refuses and records a call before, and after, the window of a Run; accepts it during', async () => {
    const { attemptId } = await t.startedCandidate();
    const key = (await t.app.gateway.envFor(attemptId, 'attempt')).OPENAI_API_KEY!;

    const before = await chat(key);
    expect(before.status).toBe(409);
    expect(before.headers.get('x-should-retry')).toBe('false');
    expect(await before.json()).toEqual({
      error: {
        message: expect.stringMatching(/outside a Run/),
        type: 'invalid_request_error',
        param: null,
        code: 'outside_run',
      },
    });

    const close = t.app.gateway.openWindow(attemptId, 'attempt');
    expect((await chat(key)).status).toBe(200);
    close();
    close(); // closing twice does not close another Run's window
    const after = await chat(key);
    expect(after.status).toBe(409);

    const { json } = await t.req(await t.staff('admin'), 'GET', `/api/attempts/${attemptId}/llm`);
    expect(
      json.calls.map((c: { status: number; errorCode: string | null }) => [c.status, c.errorCode]),
    ).toEqual([
      [409, 'outside_run'],
      [200, null],
      [409, 'outside_run'],
    ]);
    expect(json.usage.requests).toBe(1);
  });

  it('keeps the window open while any Run of the attempt is live', async () => {
    const { attemptId } = await t.startedCandidate();
    const key = (await t.app.gateway.envFor(attemptId, 'attempt')).OPENAI_API_KEY!;
    const first = t.app.gateway.openWindow(attemptId, 'attempt');
    const second = t.app.gateway.openWindow(attemptId, 'attempt');
    first();
    expect((await chat(key)).status).toBe(200);
    second();
    expect((await chat(key)).status).toBe(409);
  });
});
