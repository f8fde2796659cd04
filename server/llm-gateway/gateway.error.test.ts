/**
 * Every way a gateway call is refused, through the gateway's app without a socket: the status and
 * OpenAI error body an unmodified SDK expects, and what the transcript (llm_calls) holds afterwards.
 */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeTestApp, repoRoot, type TestApp } from '../testing/index.ts';
import { importTask } from '../tasks/import.ts';
import { MAX_BODY_BYTES } from './app.ts';

const fixtures = path.join(import.meta.dirname, 'fixtures');

let t: TestApp;

beforeEach(async () => {
  t = await makeTestApp();
  await t.importExample();
  for (const slug of ['gw-scripted', 'gw-tight', 'gw-rpm'])
    await importTask(t.ctx, path.join(fixtures, slug));
  await importTask(t.ctx, path.join(repoRoot, 'tests/fixtures/tasks/py-sum'));
});
afterEach(() => t.close());

/** A started attempt of the task and its gateway key. */
async function attemptWithKey(slug = 'hello-llm', who = 'ada') {
  const started = await t.startedCandidate(who, `${who}@example.com`, slug);
  const env = await t.services.gateway.envFor(started.attemptId, 'attempt');
  t.services.gateway.openWindow(started.attemptId, 'attempt'); // as a live Run does
  return { ...started, key: env.OPENAI_API_KEY! };
}

/** A request to the gateway's app (no socket), as a candidate's HTTP client would send it. */
function gw(
  url: string,
  opts: {
    key?: string;
    auth?: string;
    body?: unknown;
    raw?: string;
    method?: string;
    signal?: AbortSignal;
  } = {},
) {
  const headers: Record<string, string> = {};
  if (opts.auth !== undefined) headers.authorization = opts.auth;
  else if (opts.key !== undefined) headers.authorization = `Bearer ${opts.key}`;
  const body = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  if (body !== undefined) headers['content-type'] = 'application/json';
  return t.services.gateway.app.request(`http://gateway${url}`, {
    method: opts.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    body,
    signal: opts.signal,
  });
}

const chat = (key: string | undefined, content = 'hello', extra: Record<string, unknown> = {}) =>
  gw('/v1/chat/completions', {
    key,
    body: { model: 'mock-small', messages: [{ role: 'user', content }], ...extra },
  });

/** The OpenAI error body, exactly: message, type, param and code. */
async function expectError(
  res: Response,
  status: number,
  e: { type: string; code: string | null; param?: string | null; message: RegExp },
) {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  const body = JSON.parse(text) as { error: Record<string, unknown> };
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(body.error).toMatchObject({ type: e.type, code: e.code, param: e.param ?? null });
  expect(body.error.message).toMatch(e.message);
}

const callsOf = (attemptId?: string) => {
  let q = t.ctx.db.selectFrom('llm_calls').selectAll();
  if (attemptId) q = q.where('attempt_id', '=', attemptId);
  return q.execute();
};

describe('gateway keys', () => {
  it('refuses a request without a key, and records nothing', async () => {
    await attemptWithKey();
    await expectError(await chat(undefined), 401, {
      type: 'invalid_request_error',
      code: 'invalid_api_key',
      message: /didn't provide an API key.*Authorization: Bearer/,
    });
    await expectError(await gw('/v1/models'), 401, {
      type: 'invalid_request_error',
      code: 'invalid_api_key',
      message: /didn't provide an API key/,
    });
    expect(await callsOf()).toEqual([]);
  });

  it('refuses malformed keys: another scheme, another prefix, an oversized key', async () => {
    const { key } = await attemptWithKey();
    // The real key, but not as a bearer token: no key was provided.
    await expectError(await gw('/v1/models', { auth: `Basic ${key}` }), 401, {
      type: 'invalid_request_error',
      code: 'invalid_api_key',
      message: /didn't provide an API key/,
    });
    await expectError(await gw('/v1/models', { auth: `Bearer ${key} extra` }), 401, {
      type: 'invalid_request_error',
      code: 'invalid_api_key',
      message: /didn't provide an API key/,
    });
    for (const bad of ['sk-proj-abcdef', `${key}${'x'.repeat(300)}`]) {
      await expectError(await chat(bad), 401, {
        type: 'invalid_request_error',
        code: 'invalid_api_key',
        message: /Incorrect API key provided/,
      });
    }
    expect(await callsOf()).toEqual([]);
  });

  it('refuses an unknown key that looks like ours', async () => {
    const { key } = await attemptWithKey();
    const unknown = `wsk-${'A'.repeat(key.length - 4)}`;
    await expectError(await chat(unknown), 401, {
      type: 'invalid_request_error',
      code: 'invalid_api_key',
      message: /Incorrect API key provided.*OPENAI_API_KEY/,
    });
    expect(await callsOf()).toEqual([]);
  });

  it('refuses the key once the candidate has submitted (revoked)', async () => {
    const { key, attemptId, browser } = await attemptWithKey();
    expect((await chat(key)).status).toBe(200);
    const submitted = await t.req(browser, 'POST', `/api/attempts/${attemptId}/submit`);
    expect(submitted.status).toBe(200);
    // Revocation runs in the submit hook; the attempt is closed at once either way.
    await expectError(await chat(key), 401, {
      type: 'invalid_request_error',
      code: 'invalid_api_key',
      message: /revoked|no longer works/,
    });
    await vi.waitFor(async () => {
      const keys = await t.ctx.db
        .selectFrom('gateway_keys')
        .selectAll()
        .where('attempt_id', '=', attemptId)
        .execute();
      expect(keys.filter((k) => k.purpose === 'attempt').every((k) => k.revoked_at !== null)).toBe(true);
    });
    await expectError(await chat(key), 401, {
      type: 'invalid_request_error',
      code: 'invalid_api_key',
      message: /was revoked: the attempt it belonged to has ended/,
    });
    expect(await callsOf(attemptId)).toHaveLength(1);
  });

  it('refuses the key after the deadline plus the submit grace, and not a millisecond before', async () => {
    const { key, attemptId } = await attemptWithKey();
    const attempt = await t.ctx.db
      .selectFrom('attempts')
      .selectAll()
      .where('id', '=', attemptId)
      .executeTakeFirstOrThrow();
    t.clock.set(attempt.deadline_at + t.config.submitGraceMs);
    expect((await chat(key)).status).toBe(200);
    t.clock.advance(1);
    await expectError(await chat(key), 401, {
      type: 'invalid_request_error',
      code: 'invalid_api_key',
      message: /no longer works: the attempt was submitted or its time ran out/,
    });
    expect(await callsOf(attemptId)).toHaveLength(1);
  });

  it('answers 403 for a task that does not allow the LLM', async () => {
    const { key, attemptId } = await attemptWithKey('py-sum');
    for (const res of [await chat(key), await gw('/v1/models', { key })]) {
      await expectError(res, 403, {
        type: 'invalid_request_error',
        code: 'llm_not_allowed',
        message: /does not allow calls to a language model/,
      });
    }
    expect(await callsOf(attemptId)).toEqual([]);
  });
});

describe('request validation', () => {
  it('refuses a model the task does not allow with 404, listing the allowed aliases', async () => {
    const { key, attemptId } = await attemptWithKey();
    const notFound = { type: 'invalid_request_error', code: 'model_not_found', param: 'model' };
    await expectError(await chat(key, 'hi', { model: 'gpt-4o' }), 404, {
      ...notFound,
      // Every task also gets the default embeddings alias.
      message: /The model `gpt-4o` does not exist.*This task allows: mock-small, mock-embed\.$/,
    });
    // mock-large exists upstream but is not in hello-llm's policy.
    await expectError(await chat(key, 'hi', { model: 'mock-large' }), 404, {
      ...notFound,
      message: /`mock-large`.*allows: mock-small, mock-embed\./,
    });
    await expectError(
      await gw('/v1/embeddings', { key, body: { model: 'text-embedding-3-small', input: 'x' } }),
      404,
      { ...notFound, message: /allows: mock-small, mock-embed\./ },
    );
    await expectError(await gw('/v1/models/gpt-4o', { key }), 404, {
      ...notFound,
      message: /allows: mock-small, mock-embed\./,
    });
    expect(await callsOf(attemptId)).toEqual([]);
  });

  it('refuses a body that is not JSON with 400 invalid_json', async () => {
    const { key, attemptId } = await attemptWithKey();
    for (const url of ['/v1/chat/completions', '/v1/embeddings']) {
      await expectError(await gw(url, { key, raw: '{"model": "mock-small", "messages": [' }), 400, {
        type: 'invalid_request_error',
        code: 'invalid_json',
        message: /could not parse the JSON body/,
      });
    }
    expect(await callsOf(attemptId)).toEqual([]);
  });

  it('refuses a schema-invalid body with 400 naming the parameter', async () => {
    const { key, attemptId } = await attemptWithKey();
    const invalid = { type: 'invalid_request_error', code: 'invalid_request' };
    await expectError(
      await gw('/v1/chat/completions', { key, body: { model: 'mock-small', messages: [] } }),
      400,
      { ...invalid, param: 'messages', message: /^Invalid request: messages: / },
    );
    await expectError(
      await gw('/v1/chat/completions', { key, body: { messages: [{ role: 'user', content: 'x' }] } }),
      400,
      { ...invalid, param: 'model', message: /^Invalid request: model: / },
    );
    await expectError(
      await gw('/v1/chat/completions', {
        key,
        body: { model: 'mock-small', messages: [{ role: 'robot', content: 'x' }] },
      }),
      400,
      { ...invalid, param: 'messages.0.role', message: /messages\.0\.role/ },
    );
    await expectError(
      await gw('/v1/chat/completions', {
        key,
        body: {
          model: 'mock-small',
          messages: [{ role: 'user', content: 'x' }],
          response_format: { type: 'yaml' },
        },
      }),
      400,
      { ...invalid, param: 'response_format.type', message: /response_format\.type/ },
    );
    await expectError(await gw('/v1/embeddings', { key, body: { model: 'mock-small', input: 42 } }), 400, {
      ...invalid,
      param: 'input',
      message: /input/,
    });
    expect(await callsOf(attemptId)).toEqual([]);
  });

  it('refuses fields outside the allow-list and past the task caps with 400 naming the field', async () => {
    const { key, attemptId } = await attemptWithKey();
    const invalid = { type: 'invalid_request_error' };
    await expectError(await chat(key, 'hi', { frobnicate: 1 }), 400, {
      ...invalid,
      code: 'unknown_parameter',
      param: 'frobnicate',
      message: /^Unrecognized request argument supplied: frobnicate$/,
    });
    await expectError(await chat(key, 'hi', { store: true }), 400, {
      ...invalid,
      code: 'unsupported_parameter',
      param: 'store',
      message: /^Unsupported parameter: 'store': stored completions would keep your conversation/,
    });
    await expectError(await chat(key, 'hi', { n: 2 }), 400, {
      ...invalid,
      code: 'integer_above_max_value',
      param: 'n',
      message: /^Invalid 'n': this task allows at most 1 choice per request \(got 2\)\.$/,
    });
    await expectError(await chat(key, 'hi', { max_tokens: 10, max_completion_tokens: 10 }), 400, {
      ...invalid,
      code: 'invalid_request',
      param: 'max_tokens',
      message: /not both/,
    });
    await expectError(
      await chat(key, 'hi', { stream: true, stream_options: { include_usage: true, extra: 1 } }),
      400,
      { ...invalid, code: 'invalid_request', param: 'stream_options', message: /stream_options/ },
    );
    for (const raw of ['{"toString": 1', '{"__proto__": {"n": 5}']) {
      const res = await gw('/v1/chat/completions', {
        key,
        raw: `${raw}, "model": "mock-small", "messages": [{"role": "user", "content": "x"}]}`,
      });
      expect(res.status).toBe(400);
      expect((await res.json()).error.code).toBe('unknown_parameter');
    }
    // store: false is the default and careful code sends it: accepted.
    expect((await chat(key, 'hi', { store: false, temperature: 0 })).status).toBe(200);
    expect(await callsOf(attemptId)).toHaveLength(1);
  });

  it('refuses a body over 1 MiB with 413', async () => {
    const { key, attemptId } = await attemptWithKey();
    const content = 'x'.repeat(MAX_BODY_BYTES + 1);
    await expectError(await chat(key, content), 413, {
      type: 'invalid_request_error',
      code: 'request_too_large',
      message: new RegExp(`larger than ${MAX_BODY_BYTES} bytes`),
    });
    // Just under the limit passes the body limit, and then meets the token budget: a prompt of
    // ~1 MiB cannot fit hello-llm's 20 000 tokens, so it is refused before the model is called.
    await expectError(await chat(key, 'x'.repeat(MAX_BODY_BYTES - 200)), 429, {
      type: 'insufficient_quota',
      code: 'budget_tokens_insufficient',
      message:
        /^Token budget: this call may use up to \d+ tokens .* has 20000 of 20000 left\. Lower max_tokens/,
    });
    expect(await callsOf(attemptId)).toEqual([
      expect.objectContaining({ status: 429, counted: 0, error_code: 'budget_tokens_insufficient' }),
    ]);
  });

  it('answers 404 unknown_url for paths it does not serve, under /v1 and outside it', async () => {
    const { key, attemptId } = await attemptWithKey();
    const unknown = { type: 'invalid_request_error', code: 'unknown_url' };
    await expectError(await gw('/v1/completions', { key, body: { model: 'mock-small', prompt: 'x' } }), 404, {
      ...unknown,
      message: /^Unknown request URL: POST \/v1\/completions\./,
    });
    await expectError(await gw('/v1/files', { key }), 404, {
      ...unknown,
      message: /GET \/v1\/files/,
    });
    for (const url of ['/', '/api/attempts', '/chat/completions']) {
      await expectError(await gw(url, { key }), 404, {
        ...unknown,
        message: new RegExp(`GET ${url.replaceAll('/', '\\/')}\\.`),
      });
    }
    expect(await callsOf(attemptId)).toEqual([]);
  });
});

describe('budgets', () => {
  it('refuses calls past the request budget with 429 insufficient_quota and no retry', async () => {
    const { key, attemptId } = await attemptWithKey('gw-tight');
    for (let i = 0; i < 3; i++) expect((await chat(key, `call ${i}`)).status).toBe(200);
    const res = await chat(key, 'one more');
    expect(res.headers.get('x-should-retry')).toBe('false');
    await expectError(res, 429, {
      type: 'insufficient_quota',
      code: 'budget_requests_exhausted',
      message: /^Request budget exhausted: this attempt may make 3 model requests and has made 3\.$/,
    });
    const calls = await callsOf(attemptId);
    expect(calls).toHaveLength(4);
    expect(calls.filter((c) => c.counted === 1 && c.status === 200)).toHaveLength(3);
    expect(calls.filter((c) => c.status === 429)).toEqual([
      expect.objectContaining({ counted: 0, error_code: 'budget_requests_exhausted', prompt_tokens: 0 }),
    ]);
    // Still exhausted on the next call: refusals do not count against the budget themselves.
    expect((await chat(key, 'again')).status).toBe(429);
  });

  it('gives each grading of an attempt the whole grade budget: a retry or re-grade does not inherit spent calls', async () => {
    const { key, attemptId } = await attemptWithKey('gw-tight');
    expect((await chat(key, 'candidate call')).status).toBe(200);
    const gradingCalls = async () => {
      const env = await t.services.gateway.envFor(attemptId, 'grade');
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await chat(env.OPENAI_API_KEY, `hidden test ${i}`)).status);
      await t.services.gateway.endGrading(attemptId);
      return { statuses, key: env.OPENAI_API_KEY };
    };
    const first = await gradingCalls();
    expect(first.statuses).toEqual([200, 200, 200, 429]);
    // The first grading's key is revoked when it ends; the next grading (a retry after an engine
    // error, or a staff re-grade) has a key of its own and the whole budget again.
    expect((await chat(first.key, 'late')).status).toBe(401);
    const second = await gradingCalls();
    expect(second.key).not.toBe(first.key);
    expect(second.statuses).toEqual([200, 200, 200, 429]);
    // The candidate's own budget is separate and unchanged by gradings: 1 of 3 used.
    expect((await chat(key, 'candidate again')).status).toBe(200);
    expect((await chat(key, 'candidate third')).status).toBe(200);
    expect((await chat(key, 'candidate fourth')).status).toBe(429);
  });

  it('refuses calls once the token budget is used up, with no retry', async () => {
    const { key, attemptId } = await attemptWithKey('gw-tight');
    // The "big" rule reports 600 prompt + 10 completion tokens; the budget is 1000.
    expect((await chat(key, 'big')).status).toBe(200);
    expect((await chat(key, 'big')).status).toBe(200);
    const res = await chat(key, 'small');
    expect(res.headers.get('x-should-retry')).toBe('false');
    await expectError(res, 429, {
      type: 'insufficient_quota',
      code: 'budget_tokens_exhausted',
      message: /^Token budget exhausted: this attempt may use 1000 tokens and has used 1220\.$/,
    });
    const refused = (await callsOf(attemptId)).filter((c) => c.status === 429);
    expect(refused).toEqual([expect.objectContaining({ counted: 0, error_code: 'budget_tokens_exhausted' })]);
  });

  it('rate-limits requests per minute with Retry-After, and recovers after 60 s', async () => {
    const { key, attemptId } = await attemptWithKey('gw-rpm');
    expect((await chat(key, 'one')).status).toBe(200);
    t.clock.advance(1000);
    expect((await chat(key, 'two')).status).toBe(200);
    t.clock.advance(1000);
    const res = await chat(key, 'three');
    // The oldest call in the window leaves it 58 s from now.
    expect(res.headers.get('retry-after')).toBe('58');
    expect(res.headers.get('x-should-retry')).toBeNull();
    await expectError(res, 429, {
      type: 'requests',
      code: 'rate_limit_requests_per_minute',
      message: /^Rate limit: at most 2 requests per minute\. Try again in 58s\.$/,
    });
    t.clock.advance(58_000);
    expect((await chat(key, 'four')).status).toBe(200);
    const calls = await callsOf(attemptId);
    expect(calls.filter((c) => c.status === 429)).toEqual([
      expect.objectContaining({ counted: 0, error_code: 'rate_limit_requests_per_minute' }),
    ]);
    expect(calls.filter((c) => c.counted === 1)).toHaveLength(3);
  });

  it('refuses a second concurrent call while a scripted slow call is open', async () => {
    const { key, attemptId } = await attemptWithKey('gw-scripted');
    const abort = new AbortController();
    const slow = gw('/v1/chat/completions', {
      key,
      body: { model: 'mock-small', messages: [{ role: 'user', content: 'slow' }] },
      signal: abort.signal,
    });
    // The slow call is admitted and sleeping in its scripted delay.
    await vi.waitFor(() => expect(t.services.gateway.app.inFlightOf(attemptId)).toBe(1));
    await new Promise((resolve) => setImmediate(resolve));
    const second = await chat(key, 'quick');
    expect(second.headers.get('retry-after')).toBe('1');
    expect(second.headers.get('x-should-retry')).toBeNull();
    await expectError(second, 429, {
      type: 'requests',
      code: 'too_many_concurrent_requests',
      message: /^Too many concurrent requests: at most 1 at a time\.$/,
    });
    abort.abort();
    await Promise.resolve(slow).catch(() => undefined);
    // The slot is free again once the slow call ends.
    expect((await chat(key, 'quick')).status).toBe(200);
    const refused = (await callsOf(attemptId)).filter((c) => c.status === 429);
    expect(refused).toEqual([
      expect.objectContaining({ counted: 0, error_code: 'too_many_concurrent_requests' }),
    ]);
  });
});
