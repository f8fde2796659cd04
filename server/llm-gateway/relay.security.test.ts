/**
 * The gateway must not be a parameter relay onto the provider account (issue 11, item 4): only
 * allow-listed fields reach the upstream, `n` and the output length are capped by the task, the
 * worst-case token cost is reserved before a call (so concurrent calls cannot overshoot the budget
 * together), and upstream error text (which can carry key fragments) never reaches the candidate or
 * the transcript. The upstream is the real openai upstream pointed at a fake provider on loopback; the
 * candidate is the unmodified openai SDK against the listening gateway.
 */
import path from 'node:path';
import { Writable } from 'node:stream';
import OpenAI, { APIError } from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../testing/index.ts';
import { importTask } from '../tasks/import.ts';
import { openaiUpstream } from '../llm/index.ts';
import { createLogger } from '../logger/index.ts';
import { freePort } from '../../tests/helpers/process.ts';
import { fakeOpenAi, type FakeAnswer, type SeenRequest } from '../../tests/helpers/fake-openai.ts';

const fixtures = path.join(import.meta.dirname, 'fixtures');
const PROVIDER_KEY = 'sk-proj-ABCDEFGHIJKLMNOP1234567890qrstuvWXYZ';
/** Pieces of the provider key an upstream error may echo (masked or not). */
const FRAGMENTS = ['sk-', 'ABCDEF', 'WXYZ', 'Bearer', 'org-fake123'];

/** Upstream errors chosen by the last user message: `fail-<status>` and `fail-midstream`. */
function failures(r: SeenRequest): FakeAnswer {
  const text = JSON.stringify(r.body.messages ?? r.body.input ?? '');
  const m = /fail-(\d{3}|midstream)/.exec(text);
  if (!m) return undefined;
  if (m[1] === 'midstream') {
    return {
      sse: [
        {
          id: 'c',
          object: 'chat.completion.chunk',
          created: 1,
          model: 'm',
          choices: [{ index: 0, delta: { content: 'half' }, finish_reason: null }],
        },
        {
          error: {
            message: `Internal error for key ${PROVIDER_KEY} (Bearer ${PROVIDER_KEY})`,
            type: 'server_error',
            code: null,
          },
        },
      ],
    };
  }
  const status = Number(m[1]);
  const masked = 'sk-proj-ABCD****************************WXYZ';
  const message = {
    400: `Invalid value for 'temperature': 7 is above 2 (request by key ${masked}).`,
    401: `Incorrect API key provided: ${masked}. You can find your API key at https://platform.openai.com/account/api-keys.`,
    403: `Project for Bearer ${PROVIDER_KEY} is not allowed in this region.`,
    429: `Rate limit reached for gpt-4o-mini in organization org-fake123 on tokens per min (key sk-...WXYZ).`,
    500: `The server had an error processing your request (key ${PROVIDER_KEY}).`,
  }[status];
  return {
    status,
    json: {
      error: {
        message,
        type: 'invalid_request_error',
        param: status === 400 ? 'temperature' : null,
        code: status === 400 ? 'invalid_value' : null,
      },
    },
    headers: status === 429 ? { 'retry-after': '7' } : {},
  };
}

describe('the gateway is not a parameter relay', () => {
  let t: TestApp;
  let upstream: Awaited<ReturnType<typeof fakeOpenAi>>;
  const logs: string[] = [];

  async function setup(delayMs = 0) {
    upstream = await fakeOpenAi({ answer: failures, delayMs });
    const sink = new Writable({
      write(chunk, _enc, done) {
        logs.push(String(chunk));
        done();
      },
    });
    t = await makeTestApp({
      env: { GATEWAY_PORT: String(await freePort()) },
      llm: openaiUpstream({ apiKey: PROVIDER_KEY, baseURL: upstream.url }),
      logger: createLogger('trace', sink),
    });
    for (const slug of ['gw-relay', 'gw-relay-choices']) await importTask(t.ctx, path.join(fixtures, slug));
    await t.app.gateway.up('127.0.0.1');
  }
  beforeEach(() => {
    logs.length = 0;
  });
  afterEach(async () => {
    await t.app.gateway.close();
    await t.close();
    await upstream.close();
  });

  /** A started attempt of the task, its SDK client (as the sandbox configures it) and raw fetch. */
  async function candidate(slug = 'gw-relay') {
    const started = await t.startedCandidate(undefined, undefined, slug);
    const env = await t.app.gateway.envFor(started.attemptId, 'attempt');
    t.app.gateway.openWindow(started.attemptId, 'attempt'); // as a live Run does
    const client = new OpenAI({ baseURL: env.OPENAI_BASE_URL, apiKey: env.OPENAI_API_KEY, maxRetries: 0 });
    const post = (url: string, body: unknown) =>
      fetch(`${env.OPENAI_BASE_URL}${url}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${env.OPENAI_API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    return { ...started, client, post };
  }
  const rowsOf = (attemptId: string) =>
    t.ctx.db.selectFrom('llm_calls').selectAll().where('attempt_id', '=', attemptId).execute();
  const user = (content: string) => [{ role: 'user' as const, content }];

  it('forwards only allow-listed fields, with the upstream model and an output cap', async () => {
    await setup();
    const { client } = await candidate();
    const r = await client.chat.completions.create({
      model: 'gpt-test',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: [{ type: 'text', text: 'hi' }] },
        // A reply appended as the SDK returned it (annotations included): accepted, not forwarded.
        { role: 'assistant', content: 'hello', refusal: null, annotations: [] } as never,
        { role: 'user', content: 'weather?' },
      ],
      temperature: 0.2,
      top_p: 0.9,
      stop: ['\n\n'],
      seed: 7,
      store: false,
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
      tool_choice: 'auto',
      response_format: { type: 'json_object' },
    });
    expect(r.choices[0]!.message.content).toBe('upstream answer');
    expect(r.model).toBe('gpt-test');
    expect(upstream.seen).toHaveLength(1);
    const sent = upstream.seen[0]!.body;
    expect(Object.keys(sent).sort()).toEqual(
      [
        'max_completion_tokens',
        'messages',
        'model',
        'response_format',
        'seed',
        'stop',
        'stream',
        'temperature',
        'tool_choice',
        'tools',
        'top_p',
      ].sort(),
    );
    expect(sent.model).toBe('gpt-4o-mini');
    expect(sent.max_completion_tokens).toBe(4096);
    expect(sent.messages[2]).toEqual({ role: 'assistant', content: 'hello', refusal: null });
  });

  it('refuses disallowed and unknown fields with a 400 naming the field; nothing reaches the upstream', async () => {
    await setup();
    const { client, attemptId } = await candidate();
    const refused: Array<[string, unknown]> = [
      ['store', true],
      ['service_tier', 'priority'],
      ['metadata', { team: 'x' }],
      ['user', 'someone-else'],
      ['logprobs', true],
      ['top_logprobs', 20],
      ['prediction', { type: 'content', content: 'x' }],
      ['modalities', ['text', 'audio']],
      ['audio', { voice: 'alloy', format: 'wav' }],
      ['web_search_options', {}],
      ['functions', [{ name: 'f' }]],
      ['safety_identifier', 'x'],
      ['prompt_cache_key', 'x'],
      ['frobnicate', 1],
    ];
    for (const [field, value] of refused) {
      const err = await client.chat.completions
        .create({ model: 'gpt-test', messages: user('hi'), [field]: value } as never)
        .catch((e: unknown) => e);
      expect(err, field).toBeInstanceOf(OpenAI.BadRequestError);
      expect((err as APIError).param, field).toBe(field);
      expect((err as APIError).type).toBe('invalid_request_error');
    }
    for (const [field, value] of [
      ['user', 'x'],
      ['frobnicate', 1],
    ] as const) {
      const err = await client.embeddings
        .create({ model: 'embed-test', input: 'hi', [field]: value } as never)
        .catch((e: unknown) => e);
      expect(err, field).toBeInstanceOf(OpenAI.BadRequestError);
      expect((err as APIError).param).toBe(field);
    }
    // Images, audio and files are not text: refused by part, not forwarded.
    const image = await client.chat.completions
      .create({
        model: 'gpt-test',
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://x/y.png' } }] }],
      })
      .catch((e: unknown) => e);
    expect((image as APIError).param).toBe('messages.0.content.0.type');
    expect(upstream.seen).toEqual([]);
    expect(await rowsOf(attemptId)).toEqual([]);
  });

  it('refuses n: 5000 and output caps above the task limit before the upstream; allows what the task allows', async () => {
    await setup();
    const { client } = await candidate();
    const n5000 = await client.chat.completions
      .create({ model: 'gpt-test', messages: user('hi'), n: 5000 })
      .catch((e: unknown) => e);
    expect(n5000).toBeInstanceOf(OpenAI.BadRequestError);
    expect((n5000 as APIError).param).toBe('n');
    expect((n5000 as APIError).message).toMatch(/at most 1 choice/);
    for (const cap of ['max_tokens', 'max_completion_tokens'] as const) {
      const err = await client.chat.completions
        .create({ model: 'gpt-test', messages: user('hi'), [cap]: 100_000 })
        .catch((e: unknown) => e);
      expect((err as APIError).param).toBe(cap);
      expect((err as APIError).message).toMatch(/at most 4096 output tokens/);
    }
    expect(upstream.seen).toEqual([]);

    // A task that allows 3 choices of at most 500 tokens.
    const three = await candidate('gw-relay-choices');
    const r = await three.client.chat.completions.create({ model: 'gpt-test', messages: user('hi'), n: 3 });
    expect(r.choices).toHaveLength(3);
    expect(upstream.seen[0]!.body).toMatchObject({ n: 3, max_completion_tokens: 500 });
    const rows = await rowsOf(three.attemptId);
    expect(rows[0]!.completion_tokens).toBe(1500);
    for (const body of [{ n: 4 }, { max_tokens: 501 }]) {
      const err = await three.client.chat.completions
        .create({ model: 'gpt-test', messages: user('hi'), ...body })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    }
    expect(upstream.seen).toHaveLength(1);
  });

  it('refuses a call whose worst case does not fit the token budget before it reaches the upstream', async () => {
    await setup();
    const { client, attemptId } = await candidate();
    for (let i = 0; i < 4; i++)
      await client.chat.completions.create({ model: 'gpt-test', messages: user(`q${i}`), max_tokens: 4000 });
    const used = (await rowsOf(attemptId)).reduce((n, r) => n + r.prompt_tokens + r.completion_tokens, 0);
    expect(used).toBeGreaterThan(16_000);
    const err = await client.chat.completions
      .create({ model: 'gpt-test', messages: user('one more'), max_tokens: 4000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as APIError).code).toBe('budget_tokens_insufficient');
    expect((err as APIError).message).toMatch(/up to \d+ tokens.*has \d+ of 20000 left/);
    expect(upstream.seen).toHaveLength(4);
    // Without max_tokens the gateway caps the output at what is left, so the call still fits.
    await client.chat.completions.create({ model: 'gpt-test', messages: user('short') });
    const last = upstream.seen[4]!.body;
    expect(last.max_completion_tokens).toBeLessThan(4000);
    const total = (await rowsOf(attemptId)).reduce((n, r) => n + r.prompt_tokens + r.completion_tokens, 0);
    expect(total).toBeLessThanOrEqual(20_000);
  });

  it('keeps 20 concurrent calls with large outputs within the token budget together', async () => {
    await setup(150);
    const { client, attemptId } = await candidate();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        client.chat.completions.create({
          model: 'gpt-test',
          messages: user(`concurrent question ${i}`),
          ...(i % 2 ? { max_tokens: 4000 } : {}),
        }),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as APIError] : []));
    expect(ok.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    for (const e of refused) expect(e.code).toMatch(/^budget_tokens_(insufficient|exhausted)$/);
    // Refused calls never reached the upstream; every call that did carried an output cap.
    expect(upstream.seen).toHaveLength(ok.length);
    for (const s of upstream.seen)
      expect(s.body.max_completion_tokens ?? s.body.max_tokens).toBeLessThanOrEqual(4096);
    const rows = await rowsOf(attemptId);
    const spent = rows.reduce((n, r) => n + r.prompt_tokens + r.completion_tokens, 0);
    expect(spent).toBeGreaterThan(10_000);
    expect(spent).toBeLessThanOrEqual(20_000);
    expect(rows.filter((r) => r.counted === 1)).toHaveLength(ok.length);
  });

  it('maps upstream errors to its own messages; no key fragment reaches the candidate, the transcript or the logs', async () => {
    await setup();
    const { client, post, attemptId, browser } = await candidate();
    const expected: Array<[string, number, string]> = [
      ['fail-400', 400, 'upstream_invalid_request'],
      ['fail-401', 502, 'upstream_auth_failed'],
      ['fail-403', 502, 'upstream_auth_failed'],
      ['fail-429', 429, 'upstream_rate_limited'],
      ['fail-500', 502, 'upstream_error'],
    ];
    const bodies: string[] = [];
    const errors: Record<string, { message: string; param: string | null }> = {};
    for (const [content, status, code] of expected) {
      for (const stream of [false, true]) {
        const res = await post('/chat/completions', { model: 'gpt-test', messages: user(content), stream });
        const text = await res.text();
        bodies.push(text);
        errors[content] = JSON.parse(text).error;
        expect(res.status, `${content} stream=${stream}`).toBe(status);
        expect(JSON.parse(text).error.code).toBe(code);
        if (status === 429) expect(res.headers.get('retry-after')).toBe('7');
      }
      const viaSdk = await client.chat.completions
        .create({ model: 'gpt-test', messages: user(content) })
        .catch((e: unknown) => e as Error);
      bodies.push(String(viaSdk), JSON.stringify(viaSdk));
    }
    expect(errors['fail-401']!.message).toMatch(/upstream rejected its credentials/);
    expect(errors['fail-400']).toMatchObject({
      param: 'temperature',
      message: expect.stringMatching(/rejected this request as invalid/),
    });
    // An error in the middle of a stream ends the stream with an error event of our own.
    const stream = await client.chat.completions.create({
      model: 'gpt-test',
      messages: user('fail-midstream'),
      stream: true,
    });
    let text = '';
    const midstream = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    })().catch((e: unknown) => e as Error);
    expect(text).toBe('half');
    expect(midstream).toBeInstanceOf(OpenAI.APIError);
    bodies.push(String(midstream));
    // Its usage never arrived, and the provider may have billed it: the worst case is charged, or
    // breaking a stream off before its usage chunk would make any call free.
    const broken = (await rowsOf(attemptId)).find(
      (r) => r.error_code === 'upstream_error' && r.status === 200,
    );
    expect(broken).toMatchObject({ status: 200, completion_tokens: 4096 });
    const embed = await post('/embeddings', { model: 'embed-test', input: 'fail-401' });
    expect(embed.status).toBe(502);
    bodies.push(await embed.text());

    for (const body of bodies) for (const f of FRAGMENTS) expect(body, body).not.toContain(f);
    const rows = JSON.stringify(await rowsOf(attemptId));
    for (const f of FRAGMENTS) expect(rows).not.toContain(f);
    const transcript = await t.req(browser, 'GET', `/api/attempts/${attemptId}/llm`);
    for (const f of FRAGMENTS) expect(transcript.text).not.toContain(f);
    // The original is logged for the operator, redacted.
    const upstreamLogs = logs.filter((l) => l.includes('upstream'));
    expect(upstreamLogs.some((l) => l.includes('Incorrect API key provided'))).toBe(true);
    for (const l of logs) {
      expect(l).not.toContain('ABCDEF');
      expect(l).not.toContain('WXYZ');
    }
  });

  it('still streams through the allow-list, with usage recorded even when the client did not ask for it', async () => {
    await setup();
    const { client, attemptId } = await candidate();
    const stream = await client.chat.completions.create({
      model: 'gpt-test',
      messages: user('stream please'),
      stream: true,
      max_completion_tokens: 50,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe('streamed answer');
    expect(upstream.seen[0]!.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
      max_completion_tokens: 50,
    });
    const [row] = await rowsOf(attemptId);
    expect(row).toMatchObject({ status: 200, stream: 1, content: 'streamed answer', completion_tokens: 50 });
    // Embeddings: dimensions are forwarded, the encoding is the gateway's own.
    const e = await client.embeddings.create({ model: 'embed-test', input: ['a', 'b'], dimensions: 8 });
    expect(e.data[0]!.embedding).toHaveLength(8);
    expect(upstream.seen[1]!.body).toEqual({
      model: 'text-embedding-3-small',
      input: ['a', 'b'],
      encoding_format: 'float',
      dimensions: 8,
    });
  });
});
