/**
 * The Responses and Messages APIs are the same boundary as chat: through the gateway's app, a wrong
 * key, another attempt's key (or its response ids), an exhausted budget and a closed Run window are
 * refused in each API's own error shape, nothing reaches the model, and refusals are recorded as chat
 * refusals are.
 */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../testing/index.ts';
import { importTask } from '../tasks/import.ts';

const fixtures = path.join(import.meta.dirname, 'fixtures');

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp();
  await t.importExample();
  await importTask(t.ctx, path.join(fixtures, 'gw-tight'));
});
afterEach(() => t.close());

async function attemptWithKey(slug = 'hello-llm', who = 'ada', open = true) {
  const started = await t.startedCandidate(who, `${who}@example.com`, slug);
  const env = await t.services.gateway.envFor(started.attemptId, 'attempt');
  if (open) t.services.gateway.openWindow(started.attemptId, 'attempt'); // as a live Run does
  return { ...started, key: env.ANTHROPIC_API_KEY! };
}

const post = (url: string, headers: Record<string, string>, body: unknown) =>
  t.services.gateway.app.request(`http://gateway${url}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
const responses = (key: string | undefined, body: Record<string, unknown> = {}) =>
  post('/v1/responses', key ? { authorization: `Bearer ${key}` } : {}, {
    model: 'mock-small',
    input: 'hello',
    ...body,
  });
const messages = (key: string | undefined, headers: Record<string, string> = {}) =>
  post(
    '/v1/messages',
    { ...(key ? { 'x-api-key': key } : {}), 'anthropic-version': '2023-06-01', ...headers },
    { model: 'mock-small', max_tokens: 50, messages: [{ role: 'user', content: 'hello' }] },
  );

/** Anthropic's error body, exactly. */
async function anthropicError(res: Response, status: number, type: string, message: RegExp) {
  const body = (await res.json()) as Record<string, any>;
  expect(res.status, JSON.stringify(body)).toBe(status);
  expect(body).toEqual({ type: 'error', error: { type, message: expect.stringMatching(message) } });
}
/** OpenAI's error body, exactly. */
async function openAiError(res: Response, status: number, code: string, message: RegExp) {
  const body = (await res.json()) as Record<string, any>;
  expect(res.status, JSON.stringify(body)).toBe(status);
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(body.error).toMatchObject({ code, message: expect.stringMatching(message) });
}

const callsOf = (attemptId: string) =>
  t.ctx.db.selectFrom('llm_calls').selectAll().where('attempt_id', '=', attemptId).execute();

describe('keys on /v1/responses and /v1/messages', () => {
  it('refuses a missing or wrong key in each API shape, and records nothing', async () => {
    const { attemptId, key } = await attemptWithKey();
    await anthropicError(await messages(undefined), 401, 'authentication_error', /didn't provide an API key/);
    await anthropicError(
      await messages(`wsk-${'A'.repeat(key.length - 4)}`),
      401,
      'authentication_error',
      /Incorrect API key/,
    );
    await openAiError(await responses(undefined), 401, 'invalid_api_key', /didn't provide an API key/);
    await openAiError(await responses('sk-proj-abc'), 401, 'invalid_api_key', /Incorrect API key/);
    // The key as a bearer token works on /v1/messages too (SDKs with authToken send it so).
    expect((await messages(undefined, { authorization: `Bearer ${key}` })).status).toBe(200);
    expect((await callsOf(attemptId)).map((c) => c.status)).toEqual([200]);
  });

  it("records each attempt's calls under its own key, and refuses another attempt's response id", async () => {
    const ada = await attemptWithKey('hello-llm', 'ada');
    const bob = await attemptWithKey('hello-llm', 'bob');
    const first = await responses(ada.key, { input: 'my secret plan' });
    expect(first.status).toBe(200);
    const { id } = (await first.json()) as { id: string };
    // Bob holds Ada's response id: it is not his, so it is "not found", and nothing of Ada's is read.
    await openAiError(
      await responses(bob.key, { previous_response_id: id, input: 'what did I say?' }),
      400,
      'previous_response_not_found',
      /not found/,
    );
    // Ada continues her own conversation: her earlier input reaches the model.
    const next = await responses(ada.key, { previous_response_id: id, input: 'and then?' });
    expect(next.status).toBe(200);
    const row = (await callsOf(ada.attemptId)).find((c) => c.request_json.includes('and then?'))!;
    expect(row.status).toBe(200);
    expect((await callsOf(bob.attemptId)).filter((c) => c.status === 200)).toEqual([]);
    expect(row.prompt_tokens).toBeGreaterThan((await callsOf(ada.attemptId))[0]!.prompt_tokens);
  });

  it('refuses calls outside a Run in each API shape, and records them uncounted', async () => {
    const { attemptId, key } = await attemptWithKey('hello-llm', 'ada', false);
    const m = await messages(key);
    expect(m.headers.get('x-should-retry')).toBe('false');
    await anthropicError(m, 409, 'invalid_request_error', /outside a Run/);
    await openAiError(await responses(key), 409, 'outside_run', /outside a Run/);
    const rows = await callsOf(attemptId);
    expect(rows.map((r) => [r.endpoint, r.status, r.counted]).sort()).toEqual([
      ['messages', 409, 0],
      ['responses', 409, 0],
    ]);
  });

  it('shares one request budget across the three APIs and says so in each shape', async () => {
    const { attemptId, key } = await attemptWithKey('gw-tight');
    const chat = await post(
      '/v1/chat/completions',
      { authorization: `Bearer ${key}` },
      {
        model: 'mock-small',
        messages: [{ role: 'user', content: 'one' }],
      },
    );
    expect(chat.status).toBe(200);
    expect((await responses(key)).status).toBe(200);
    expect((await messages(key)).status).toBe(200);
    // gw-tight allows 3 requests: the fourth is refused whichever API asks.
    const refused = await messages(key);
    expect(refused.headers.get('x-should-retry')).toBe('false');
    await anthropicError(refused, 429, 'rate_limit_error', /Request budget exhausted/);
    await openAiError(await responses(key), 429, 'budget_requests_exhausted', /Request budget exhausted/);
    const rows = await callsOf(attemptId);
    expect(rows.filter((r) => r.counted === 1)).toHaveLength(3);
    expect(rows.filter((r) => r.status === 429)).toHaveLength(2);
  });

  it('refuses a key once the attempt is submitted', async () => {
    const { key, attemptId, browser } = await attemptWithKey();
    expect((await messages(key)).status).toBe(200);
    expect((await t.req(browser, 'POST', `/api/attempts/${attemptId}/submit`)).status).toBe(200);
    await t.services.settle();
    await anthropicError(await messages(key), 401, 'authentication_error', /revoked|no longer works/);
    await openAiError(await responses(key), 401, 'invalid_api_key', /revoked|no longer works/);
  });
});
