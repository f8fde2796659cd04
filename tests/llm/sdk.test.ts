/**
 * The unmodified openai SDK against a listening gateway on loopback, scripted by a fixture task: what a
 * candidate's code sees for completions, streams, JSON mode, tools, retries, timeouts, broken replies,
 * embeddings and budgets, and what the attempt's transcript records for each.
 */
import path from 'node:path';
import OpenAI, { APIError } from 'openai';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeTestApp, repoRoot, type TestApp } from '../../server/testing/index.ts';
import { importTask } from '../../server/tasks/import.ts';
import { DEFAULT_EMBEDDING_DIMENSIONS } from '../../server/llm/mock/index.ts';
import { freePort } from '../helpers/process.ts';

const fixtures = path.join(repoRoot, 'server/llm-gateway/fixtures');

describe('the openai SDK against the gateway', () => {
  let t: TestApp;

  beforeEach(async () => {
    t = await makeTestApp({ env: { GATEWAY_PORT: String(await freePort()) } });
    for (const slug of ['gw-scripted', 'gw-tight', 'gw-relay-choices'])
      await importTask(t.ctx, path.join(fixtures, slug));
    await t.app.gateway.up('127.0.0.1');
  });
  afterEach(async () => {
    await t.app.gateway.close();
    await t.close();
  });

  /** A started attempt and an SDK client configured from the variables its sandbox gets. */
  async function clientFor(slug = 'gw-scripted', opts: { maxRetries?: number; timeout?: number } = {}) {
    const started = await t.startedCandidate(undefined, undefined, slug);
    const env = await t.app.gateway.envFor(started.attemptId, 'attempt');
    t.app.gateway.openWindow(started.attemptId, 'attempt'); // as a live Run does
    const client = new OpenAI({
      baseURL: env.OPENAI_BASE_URL,
      apiKey: env.OPENAI_API_KEY,
      maxRetries: opts.maxRetries ?? 0,
      timeout: opts.timeout,
    });
    return { ...started, client };
  }

  /** The attempt's transcript as staff see it (oldest first). */
  async function transcript(attemptId: string) {
    const r = await t.req(await t.staff('admin'), 'GET', `/api/attempts/${attemptId}/llm`);
    expect(r.status).toBe(200);
    return r.json as { usage: { requests: number }; calls: Array<Record<string, any>> };
  }

  const user = (content: string) => [{ role: 'user' as const, content }];

  it('answers a plain completion with usage, recorded in the transcript', async () => {
    const { client, attemptId } = await clientFor();
    const r = await client.chat.completions.create({ model: 'mock-small', messages: user('hello there') });
    expect(r.object).toBe('chat.completion');
    expect(r.model).toBe('mock-small');
    expect(r.choices[0]).toMatchObject({
      finish_reason: 'stop',
      message: { role: 'assistant', content: 'Mock reply to: "hello there"' },
    });
    expect(r.usage!.total_tokens).toBe(r.usage!.prompt_tokens + r.usage!.completion_tokens);
    const { calls } = await transcript(attemptId);
    expect(calls).toEqual([
      expect.objectContaining({
        endpoint: 'chat',
        status: 200,
        content: 'Mock reply to: "hello there"',
        promptTokens: r.usage!.prompt_tokens,
        completionTokens: r.usage!.completion_tokens,
      }),
    ]);
  });

  it('streams a reply whose joined content is what the transcript records', async () => {
    const { client, attemptId } = await clientFor();
    const question = 'please tell me a rather long story about streaming chunks over a socket';
    const stream = await client.chat.completions.create({
      model: 'mock-small',
      messages: user(question),
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let chunks = 0;
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(chunks).toBeGreaterThan(3);
    expect(text).toBe(`Mock reply to: "${question}"`);
    expect(finish).toBe('stop');
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    const { calls } = await transcript(attemptId);
    expect(calls[0]).toMatchObject({ stream: true, status: 200, content: text, errorCode: null });
  });

  it('answers JSON mode with parseable JSON, and json_schema with an instance that has the required keys', async () => {
    const { client } = await clientFor();
    const obj = await client.chat.completions.create({
      model: 'mock-small',
      messages: user('classify this'),
      response_format: { type: 'json_object' },
    });
    expect(JSON.parse(obj.choices[0]!.message.content!)).toEqual({ reply: 'Mock reply to: "classify this"' });

    const schema = await client.chat.completions.create({
      model: 'mock-small',
      messages: user('classify this'),
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'triage',
          schema: {
            type: 'object',
            properties: {
              label: { type: 'string', enum: ['bug', 'feature'] },
              confidence: { type: 'number', minimum: 0.5 },
              tags: { type: 'array', items: { type: 'string' }, minItems: 1 },
              note: { type: 'string' },
            },
            required: ['label', 'confidence', 'tags'],
          },
        },
      },
    });
    const value = JSON.parse(schema.choices[0]!.message.content!) as Record<string, unknown>;
    expect(Object.keys(value).sort()).toEqual(['confidence', 'label', 'tags']);
    expect(value.label).toBe('bug');
    expect(value.confidence).toBeGreaterThanOrEqual(0.5);
    expect(value.tags).toEqual([expect.any(String)]);
  });

  it('calls a scripted tool, then answers from the tool result', async () => {
    const { client, attemptId } = await clientFor();
    const tools: OpenAI.ChatCompletionTool[] = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      },
    ];
    const messages: OpenAI.ChatCompletionMessageParam[] = user('What is the weather in Oslo?');
    const first = await client.chat.completions.create({ model: 'mock-small', messages, tools });
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    const call = choice.message.tool_calls![0]!;
    expect(call.type).toBe('function');
    if (call.type !== 'function') return;
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Oslo' });

    messages.push(choice.message, { role: 'tool', tool_call_id: call.id, content: '{"celsius": 21}' });
    const second = await client.chat.completions.create({ model: 'mock-small', messages, tools });
    expect(second.choices[0]).toMatchObject({
      finish_reason: 'stop',
      message: { content: 'It is 21 degrees in Oslo.' },
    });
    const rows = await t.ctx.db
      .selectFrom('llm_calls')
      .select(['rule', 'status'])
      .where('attempt_id', '=', attemptId)
      .orderBy('created_at')
      .execute();
    expect(rows.map((r) => r.rule).sort()).toEqual(['weather-call', 'weather-result']);
  });

  it("retries a scripted 429 with the SDK's own retry, and the transcript shows the 429 then the 200", async () => {
    const { client, attemptId } = await clientFor('gw-scripted', { maxRetries: 2 });
    const r = await client.chat.completions.create({ model: 'mock-small', messages: user('flaky') });
    expect(r.choices[0]!.message.content).toBe('recovered');
    const { calls } = await transcript(attemptId);
    expect(calls.map((c) => [c.status, c.errorCode])).toEqual([
      [429, 'rate_limit_exceeded'],
      [200, null],
    ]);
    // Without retries the candidate sees the 429 itself.
    const again = await clientFor('gw-scripted', { maxRetries: 0 });
    await expect(
      again.client.chat.completions.create({ model: 'mock-small', messages: user('flaky') }),
    ).rejects.toBeInstanceOf(OpenAI.RateLimitError);
  });

  it('times out on a scripted slow reply, and the gateway records the dropped connection and frees the slot', async () => {
    const { client, attemptId } = await clientFor('gw-scripted', { timeout: 500 });
    const started = performance.now();
    await expect(
      client.chat.completions.create({ model: 'mock-small', messages: user('slow') }),
    ).rejects.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(performance.now() - started).toBeLessThan(3000);
    // The gateway notices the closed connection (well before the scripted 5 s are up).
    await vi.waitFor(
      async () => {
        const [row] = await t.ctx.db
          .selectFrom('llm_calls')
          .selectAll()
          .where('attempt_id', '=', attemptId)
          .execute();
        expect(row?.finished_at).not.toBeNull();
      },
      { timeout: 2000, interval: 50 },
    );
    const { calls } = await transcript(attemptId);
    // The candidate never got this reply: it must not be recorded as a delivered 200.
    expect.soft(calls[0]).toMatchObject({ errorCode: 'client_closed' });
    // maxConcurrent is 1: the next call works, so the timed-out call's slot was released.
    const next = await client.chat.completions.create({ model: 'mock-small', messages: user('quick') });
    expect(next.choices[0]!.message.content).toBe('Mock reply to: "quick"');
  });

  it('lets a scripted truncated stream end early: shorter content and no finish_reason', async () => {
    const { client, attemptId } = await clientFor();
    const full = 'This reply is far longer than ten characters.';
    const stream = await client.chat.completions.create({
      model: 'mock-small',
      messages: user('cut'),
      stream: true,
    });
    let text = '';
    const finishes: Array<string | null> = [];
    let threw: unknown;
    try {
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? '';
        finishes.push(chunk.choices[0]?.finish_reason ?? null);
      }
    } catch (err) {
      threw = err; // an SDK may also report the early end as an error; either way the reply is cut
    }
    expect(text).toBe(full.slice(0, 10));
    expect(text.length).toBeLessThan(full.length);
    expect(finishes.every((f) => f === null)).toBe(true);
    void threw;
    const { calls } = await transcript(attemptId);
    expect(calls[0]).toMatchObject({ stream: true, status: 200, errorCode: 'truncated', content: text });

    // Not streaming, the body itself is cut: the SDK cannot parse it.
    await expect(
      client.chat.completions.create({ model: 'mock-small', messages: user('cut') }),
    ).rejects.toThrow();
  });

  it('returns scripted malformed JSON that JSON.parse rejects', async () => {
    const { client } = await clientFor();
    const r = await client.chat.completions.create({
      model: 'mock-small',
      messages: user('broken'),
      response_format: { type: 'json_object' },
    });
    const content = r.choices[0]!.message.content!;
    expect(content).toBe('{"label": "bug", "confidence": ');
    expect(() => JSON.parse(content)).toThrow(SyntaxError);
  });

  it('returns embeddings of equal length, the same for the same input', async () => {
    const { client, attemptId } = await clientFor();
    const input = ['the cat sat on the mat', 'a dog barked', 'the cat sat on the mat'];
    const r = await client.embeddings.create({ model: 'mock-embed', input, encoding_format: 'float' });
    expect(r.data).toHaveLength(3);
    const [a, b, c] = r.data.map((d) => d.embedding);
    expect(a).toHaveLength(DEFAULT_EMBEDDING_DIMENSIONS);
    expect(b).toHaveLength(a!.length);
    expect(c).toEqual(a);
    expect(b).not.toEqual(a);
    const again = await client.embeddings.create({
      model: 'mock-embed',
      input: 'a dog barked',
      encoding_format: 'float',
    });
    expect(again.data[0]!.embedding).toEqual(b);
    expect(r.usage.prompt_tokens).toBeGreaterThan(0);
    const { calls } = await transcript(attemptId);
    expect(calls.map((x) => [x.endpoint, x.status])).toEqual([
      ['embeddings', 200],
      ['embeddings', 200],
    ]);
  });

  it("returns the same vectors to the SDK's default call, which asks for base64", async () => {
    const { client } = await clientFor();
    const floats = await client.embeddings.create({
      model: 'mock-embed',
      input: ['a dog barked', 'the cat sat'],
      encoding_format: 'float',
    });
    // Without encoding_format the SDK sends "base64" and decodes little-endian float32 itself.
    const plain = await client.embeddings.create({
      model: 'mock-embed',
      input: ['a dog barked', 'the cat sat'],
    });
    expect(plain.data[0]!.embedding).toHaveLength(DEFAULT_EMBEDDING_DIMENSIONS);
    for (const [i, d] of plain.data.entries()) {
      const expected = floats.data[i]!.embedding;
      d.embedding.forEach((x, j) => expect(x).toBeCloseTo(expected[j]!, 6));
    }
  });

  it('refuses calls past the budget with a 429 naming the budget, which the SDK does not retry', async () => {
    const { client, attemptId } = await clientFor('gw-tight', { maxRetries: 2 });
    for (let i = 0; i < 3; i++)
      await client.chat.completions.create({ model: 'mock-small', messages: user(`${i}`) });
    const err = await client.chat.completions
      .create({ model: 'mock-small', messages: user('one too many') })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as APIError).message).toMatch(/Request budget exhausted.*3 model requests/);
    expect((err as APIError).code).toBe('budget_requests_exhausted');
    const { calls, usage } = await transcript(attemptId);
    // One refusal recorded: x-should-retry: false kept the SDK from retrying twice more.
    expect(calls.filter((c) => c.status === 429)).toHaveLength(1);
    expect(usage.requests).toBe(3);
  });

  it('answers n choices when the task allows them, billing each, streamed choice by choice', async () => {
    const { client, attemptId } = await clientFor('gw-relay-choices');
    const one = await client.chat.completions.create({ model: 'gpt-test', messages: user('hi') });
    const three = await client.chat.completions.create({ model: 'gpt-test', messages: user('hi'), n: 3 });
    expect(three.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    expect(three.choices.every((c) => c.message.content === one.choices[0]!.message.content)).toBe(true);
    expect(three.usage!.completion_tokens).toBe(3 * one.usage!.completion_tokens);
    const stream = await client.chat.completions.create({
      model: 'gpt-test',
      messages: user('hi'),
      n: 2,
      stream: true,
    });
    const texts = ['', ''];
    for await (const chunk of stream) for (const c of chunk.choices) texts[c.index] += c.delta?.content ?? '';
    expect(texts).toEqual([one.choices[0]!.message.content, one.choices[0]!.message.content]);
    const { calls } = await transcript(attemptId);
    expect(calls[2]).toMatchObject({ stream: true, content: one.choices[0]!.message.content });
  });

  it("lists the task's model aliases", async () => {
    const { client } = await clientFor();
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toEqual(['mock-small', 'mock-large', 'mock-embed']);
    const one = await client.models.retrieve('mock-large');
    expect(one.id).toBe('mock-large');
  });
});
