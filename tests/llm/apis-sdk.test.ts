/**
 * The Responses API (openai SDK) and the Messages API (@anthropic-ai/sdk), unmodified, against a
 * listening gateway on loopback, scripted by the gw-scripted fixture task: what a candidate's code
 * sees for plain and streamed answers, structured output, tool round trips, conversation state,
 * scripted faults and refusals — and what the attempt's transcript records for each.
 */
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, repoRoot, type TestApp } from '../../server/testing/index.ts';
import { importTask } from '../../server/tasks/import.ts';
import { freePort } from '../helpers/process.ts';

const fixtures = path.join(repoRoot, 'server/llm-gateway/fixtures');
const weather = {
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
    additionalProperties: false,
  },
};

describe('the Responses and Messages APIs through the official SDKs', () => {
  let t: TestApp;

  beforeEach(async () => {
    t = await makeTestApp({ env: { GATEWAY_PORT: String(await freePort()) } });
    await importTask(t.ctx, path.join(fixtures, 'gw-scripted'));
    await t.services.gateway.up('127.0.0.1');
  });
  afterEach(async () => {
    await t.services.gateway.close();
    await t.close();
  });

  /** A started attempt and both SDK clients configured from the variables its sandbox gets. */
  async function clients(opts: { maxRetries?: number; timeout?: number } = {}) {
    const started = await t.startedCandidate(undefined, undefined, 'gw-scripted');
    const env = await t.services.gateway.envFor(started.attemptId, 'attempt');
    t.services.gateway.openWindow(started.attemptId, 'attempt'); // as a live Run does
    const common = { maxRetries: opts.maxRetries ?? 0, timeout: opts.timeout };
    return {
      ...started,
      openai: new OpenAI({ baseURL: env.OPENAI_BASE_URL, apiKey: env.OPENAI_API_KEY, ...common }),
      anthropic: new Anthropic({ baseURL: env.ANTHROPIC_BASE_URL, apiKey: env.ANTHROPIC_API_KEY, ...common }),
    };
  }

  async function transcript(attemptId: string) {
    const r = await t.req(await t.staff('admin'), 'GET', `/api/attempts/${attemptId}/llm`);
    return r.json as { usage: { requests: number; tokens: number }; calls: Array<Record<string, any>> };
  }

  describe('responses.create', () => {
    it('answers a string input with output_text and usage, recorded in the transcript', async () => {
      const { openai, attemptId } = await clients();
      const r = await openai.responses.create({
        model: 'mock-small',
        input: 'hello there',
        instructions: 'Be brief.',
      });
      expect(r).toMatchObject({
        object: 'response',
        status: 'completed',
        model: 'mock-small',
        instructions: 'Be brief.',
      });
      expect(r.output_text).toBe('Mock reply to: "hello there"');
      expect(r.usage!.total_tokens).toBe(r.usage!.input_tokens + r.usage!.output_tokens);
      const { calls, usage } = await transcript(attemptId);
      expect(calls).toEqual([
        expect.objectContaining({
          endpoint: 'responses',
          status: 200,
          content: r.output_text,
          promptTokens: r.usage!.input_tokens,
          completionTokens: r.usage!.output_tokens,
          request: expect.objectContaining({ input: 'hello there', instructions: 'Be brief.' }),
        }),
      ]);
      expect(usage.requests).toBe(1);
    });

    it('streams the documented event sequence, and the joined text is what the transcript keeps', async () => {
      const { openai, attemptId } = await clients();
      const question = 'please tell me a rather long story about streaming events over a socket';
      const stream = await openai.responses.create({ model: 'mock-small', input: question, stream: true });
      const types: string[] = [];
      let text = '';
      let completed: OpenAI.Responses.Response | undefined;
      for await (const e of stream) {
        types.push(e.type);
        if (e.type === 'response.output_text.delta') text += e.delta;
        if (e.type === 'response.completed') completed = e.response;
      }
      const deltas = types.filter((x) => x === 'response.output_text.delta').length;
      expect(deltas).toBeGreaterThan(1);
      expect(types).toEqual([
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        ...Array(deltas).fill('response.output_text.delta'),
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.completed',
      ]);
      expect(text).toBe(`Mock reply to: "${question}"`);
      expect(completed).toMatchObject({ status: 'completed', output_text: text });
      expect(completed!.usage!.output_tokens).toBeGreaterThan(0);
      const { calls } = await transcript(attemptId);
      expect(calls[0]).toMatchObject({ stream: true, status: 200, content: text, errorCode: null });
    });

    it('answers text.format json_schema with an instance of the schema, and json_object with JSON', async () => {
      const { openai } = await clients();
      const r = await openai.responses.create({
        model: 'mock-small',
        input: 'classify this ticket',
        text: {
          format: {
            type: 'json_schema',
            name: 'triage',
            strict: true,
            schema: {
              type: 'object',
              properties: {
                label: { type: 'string', enum: ['bug', 'billing'] },
                priority: { type: 'integer', minimum: 1, maximum: 4 },
              },
              required: ['label', 'priority'],
              additionalProperties: false,
            },
          },
        },
      });
      expect(JSON.parse(r.output_text)).toEqual({ label: 'bug', priority: 1 });
      const o = await openai.responses.create({
        model: 'mock-small',
        input: 'classify this',
        text: { format: { type: 'json_object' } },
      });
      expect(JSON.parse(o.output_text)).toEqual({ reply: 'Mock reply to: "classify this"' });
    });

    it('makes a function call and answers its output in a second turn via previous_response_id', async () => {
      const { openai, attemptId } = await clients();
      const tools = [{ type: 'function' as const, strict: true, ...weather }];
      const first = await openai.responses.create({
        model: 'mock-small',
        input: 'What is the weather in Oslo?',
        tools,
      });
      const call = first.output[0]!;
      expect(call).toMatchObject({
        type: 'function_call',
        name: 'get_weather',
        arguments: '{"city":"Oslo"}',
      });
      if (call.type !== 'function_call') throw new Error('expected a function call');
      const second = await openai.responses.create({
        model: 'mock-small',
        previous_response_id: first.id,
        input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"celsius":21}' }],
        tools,
      });
      expect(second.output_text).toBe('It is 21 degrees in Oslo.');
      expect(second.previous_response_id).toBe(first.id);
      // The same round trip with the items sent back by hand, and streamed.
      const stream = openai.responses.stream({
        model: 'mock-small',
        input: [
          { role: 'user', content: 'What is the weather in Oslo?' },
          call,
          { type: 'function_call_output', call_id: call.call_id, output: '21' },
        ],
        tools,
      });
      expect((await stream.finalResponse()).output_text).toBe('It is 21 degrees in Oslo.');
      const { calls } = await transcript(attemptId);
      expect(calls).toHaveLength(3);
    });

    it('continues a streamed response with previous_response_id (the stream is kept whole)', async () => {
      const { openai } = await clients();
      const tools = [{ type: 'function' as const, strict: true, ...weather }];
      const first = await openai.responses
        .stream({ model: 'mock-small', input: 'What is the weather in Oslo?', tools })
        .finalResponse();
      const call = first.output.find((o) => o.type === 'function_call');
      if (call?.type !== 'function_call') throw new Error('expected a function call');
      const second = await openai.responses.create({
        model: 'mock-small',
        previous_response_id: first.id,
        input: [{ type: 'function_call_output', call_id: call.call_id, output: '21' }],
        tools,
      });
      expect(second.output_text).toBe('It is 21 degrees in Oslo.');
    });

    it('honours tool_choice required on every call', async () => {
      const { openai } = await clients();
      const r = await openai.responses.create({
        model: 'mock-small',
        input: 'just say hi',
        tools: [{ type: 'function', strict: true, ...weather }],
        tool_choice: 'required',
      });
      expect(r.output[0]).toMatchObject({
        type: 'function_call',
        name: 'get_weather',
        arguments: '{"city":""}',
      });
    });

    it('raises scripted faults and refusals as the SDK error classes', async () => {
      const { openai } = await clients();
      await expect(openai.responses.create({ model: 'mock-small', input: 'flaky' })).rejects.toBeInstanceOf(
        OpenAI.RateLimitError,
      );
      expect((await openai.responses.create({ model: 'mock-small', input: 'flaky' })).output_text).toBe(
        'recovered',
      );
      await expect(openai.responses.create({ model: 'gpt-5', input: 'x' })).rejects.toMatchObject({
        status: 404,
        code: 'model_not_found',
      });
      await expect(
        openai.responses.create({ model: 'mock-small', input: 'x', tools: [{ type: 'web_search' }] }),
      ).rejects.toMatchObject({ status: 400, param: 'tools.0.type' });
      await expect(
        openai.responses.create({ model: 'mock-small', input: 'x', background: true }),
      ).rejects.toMatchObject({
        status: 400,
        code: 'unsupported_parameter',
        param: 'background',
      });
      await expect(
        openai.responses.create({ model: 'mock-small', input: 'x', previous_response_id: 'resp_nope' }),
      ).rejects.toMatchObject({ status: 400, code: 'previous_response_not_found' });
    });
  });

  describe('messages.create', () => {
    it('answers with a text block, stop_reason and usage; the system prompt does not answer for the user', async () => {
      const { anthropic, attemptId } = await clients();
      const m = await anthropic.messages.create({
        model: 'mock-small',
        max_tokens: 200,
        system: 'You are terse.',
        messages: [{ role: 'user', content: 'hello there' }],
      });
      expect(m).toMatchObject({
        type: 'message',
        role: 'assistant',
        model: 'mock-small',
        stop_reason: 'end_turn',
        content: [{ type: 'text', text: 'Mock reply to: "hello there"' }],
      });
      expect(m.usage.input_tokens).toBeGreaterThan(0);
      const { calls } = await transcript(attemptId);
      expect(calls[0]).toMatchObject({
        endpoint: 'messages',
        status: 200,
        content: 'Mock reply to: "hello there"',
        promptTokens: m.usage.input_tokens,
        completionTokens: m.usage.output_tokens,
        request: expect.objectContaining({ system: 'You are terse.', max_tokens: 200 }),
      });
    });

    it('streams message_start, content blocks, message_delta and message_stop', async () => {
      const { anthropic, attemptId } = await clients();
      const question = 'a long question so that the answer arrives in more than one delta event';
      const stream = anthropic.messages.stream({
        model: 'mock-small',
        max_tokens: 300,
        messages: [{ role: 'user', content: question }],
      });
      const types: string[] = [];
      stream.on('streamEvent', (e) => types.push(e.type));
      const final = await stream.finalMessage();
      expect(types[0]).toBe('message_start');
      expect(types.slice(1, 2)).toEqual(['content_block_start']);
      expect(types.filter((x) => x === 'content_block_delta').length).toBeGreaterThan(1);
      expect(types.slice(-4)).toEqual([
        'content_block_delta',
        'content_block_stop',
        'message_delta',
        'message_stop',
      ]);
      expect(final.content).toEqual([{ type: 'text', text: `Mock reply to: "${question}"` }]);
      expect(final.usage.output_tokens).toBeGreaterThan(0);
      const { calls } = await transcript(attemptId);
      expect(calls[0]).toMatchObject({
        stream: true,
        content: `Mock reply to: "${question}"`,
        completionTokens: final.usage.output_tokens,
      });
    });

    it('makes a tool_use and answers its tool_result, streamed and not', async () => {
      const { anthropic } = await clients();
      const tools = [
        {
          name: weather.name,
          description: weather.description,
          input_schema: weather.parameters as Anthropic.Tool.InputSchema,
        },
      ];
      const ask: Anthropic.MessageParam = { role: 'user', content: 'What is the weather in Oslo?' };
      const first = await anthropic.messages.create({
        model: 'mock-small',
        max_tokens: 200,
        tools,
        messages: [ask],
      });
      expect(first.stop_reason).toBe('tool_use');
      const use = first.content[0]!;
      expect(use).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Oslo' } });
      if (use.type !== 'tool_use') throw new Error('expected tool_use');
      const messages: Anthropic.MessageParam[] = [
        ask,
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '21 degrees' }] },
      ];
      const second = await anthropic.messages.create({
        model: 'mock-small',
        max_tokens: 200,
        tools,
        messages,
      });
      expect(second.content).toEqual([{ type: 'text', text: 'It is 21 degrees in Oslo.' }]);
      const streamed = await anthropic.messages
        .stream({ model: 'mock-small', max_tokens: 200, tools, messages: [ask] })
        .finalMessage();
      expect(streamed.content[0]).toMatchObject({
        type: 'tool_use',
        name: 'get_weather',
        input: { city: 'Oslo' },
      });
      // tool_choice: a named tool is called even when no rule would.
      const forced = await anthropic.messages.create({
        model: 'mock-small',
        max_tokens: 200,
        tools,
        tool_choice: { type: 'tool', name: 'get_weather' },
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(forced.content[0]).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: '' } });
    });

    it('raises scripted faults and refusals as the Anthropic SDK error classes; a retrying client recovers', async () => {
      const { anthropic } = await clients();
      const ask = (content: string, extra: object = {}) =>
        anthropic.messages.create({
          model: 'mock-small',
          max_tokens: 100,
          messages: [{ role: 'user', content }],
          ...extra,
        });
      await expect(ask('flaky')).rejects.toBeInstanceOf(Anthropic.RateLimitError);
      const retrying = (await clients({ maxRetries: 2 })).anthropic;
      const ok = await retrying.messages.create({
        model: 'mock-small',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'flaky' }],
      });
      expect(ok.content).toEqual([{ type: 'text', text: 'recovered' }]);
      await expect(
        anthropic.messages.create({
          model: 'claude-x',
          max_tokens: 10,
          messages: [{ role: 'user', content: 'x' }],
        }),
      ).rejects.toBeInstanceOf(Anthropic.NotFoundError);
      // Over the task's output cap (4096 per call by default).
      await expect(ask('x', { max_tokens: 5000 })).rejects.toBeInstanceOf(Anthropic.BadRequestError);
      await expect(ask('x', { thinking: { type: 'enabled', budget_tokens: 1024 } })).rejects.toMatchObject({
        status: 400,
        error: { error: { type: 'invalid_request_error', message: expect.stringMatching(/thinking/) } },
      });
      await expect(
        ask('x', { tools: [{ type: 'web_search_20250305', name: 'web_search' }] }),
      ).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    });

    it('counts input tokens as the model then bills them, free and unrecorded; refuses unknown models', async () => {
      const { anthropic, attemptId } = await clients();
      const prompt = {
        model: 'mock-small',
        system: 'You are terse.',
        messages: [{ role: 'user' as const, content: 'how many tokens is this question?' }],
      };
      const counted = await anthropic.messages.countTokens(prompt);
      expect(counted.input_tokens).toBeGreaterThan(0);
      expect((await transcript(attemptId)).usage.requests).toBe(0);
      const m = await anthropic.messages.create({ ...prompt, max_tokens: 100 });
      expect(m.usage.input_tokens).toBe(counted.input_tokens);
      await expect(anthropic.messages.countTokens({ ...prompt, model: 'gpt-4o' })).rejects.toBeInstanceOf(
        Anthropic.NotFoundError,
      );
      // Output controls are not part of a count, as in Anthropic's API.
      await expect(
        anthropic.messages.countTokens({ ...prompt, max_tokens: 10 } as never),
      ).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    });

    it("lists the task's aliases in Anthropic's page shape", async () => {
      const { anthropic } = await clients();
      const ids: string[] = [];
      for await (const m of anthropic.models.list()) ids.push(m.id);
      expect(ids).toEqual(['mock-small', 'mock-large', 'mock-embed']);
    });

    it('breaks off a scripted truncated stream without message_stop', async () => {
      const { anthropic, attemptId } = await clients();
      const stream = anthropic.messages.stream({
        model: 'mock-small',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'cut' }],
      });
      let text = '';
      stream.on('text', (d) => (text += d));
      await expect(stream.finalMessage()).rejects.toThrow();
      expect(text).toBe('This reply');
      const { calls } = await transcript(attemptId);
      expect(calls[0]).toMatchObject({ status: 200, errorCode: 'truncated', content: 'This reply' });
    });
  });
});
