/**
 * One model, many wire formats: a task's aliases served by different upstreams (the mock, an
 * OpenAI-compatible server, an Anthropic Messages server — the last two fakes on loopback), each
 * called through every API with the unmodified SDKs, and what the upstream received and the transcript
 * recorded.
 */
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../testing/index.ts';
import { importTask } from '../tasks/import.ts';
import { anthropicUpstream, openaiUpstream } from '../llm/index.ts';
import { freePort } from '../../tests/helpers/process.ts';
import { fakeOpenAi } from '../../tests/helpers/fake-openai.ts';
import { fakeAnthropic } from '../../tests/helpers/fake-anthropic.ts';

const fixtures = path.join(import.meta.dirname, 'fixtures');
const ANTHROPIC_KEY = 'sk-ant-api03-PROVIDERKEYabcdefghijklmnopqrstuvwxyz0123456789';
const OPENAI_KEY = 'sk-proj-PROVIDERKEYopenai0123456789abcdefghijklmn';
const weatherTool = {
  name: 'get_weather',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

describe('aliases served by their own upstream, on every API', () => {
  let t: TestApp;
  let claude: Awaited<ReturnType<typeof fakeAnthropic>>;
  let gpt: Awaited<ReturnType<typeof fakeOpenAi>>;
  let openai: OpenAI;
  let anthropic: Anthropic;
  let attemptId: string;

  async function setup(providers: 'all' | 'none') {
    claude = await fakeAnthropic({ key: ANTHROPIC_KEY });
    gpt = await fakeOpenAi();
    t = await makeTestApp({
      env: { GATEWAY_PORT: String(await freePort()) },
      llmProviders:
        providers === 'all'
          ? {
              anthropic: anthropicUpstream({ apiKey: ANTHROPIC_KEY, baseURL: claude.url }),
              openai: openaiUpstream({ apiKey: OPENAI_KEY, baseURL: gpt.url }),
            }
          : {},
    });
    await importTask(t.ctx, path.join(fixtures, 'gw-providers'));
    ({ attemptId } = await t.startedCandidate(undefined, undefined, 'gw-providers'));
    const env = await t.services.gateway.envFor(attemptId, 'attempt');
    t.services.gateway.openWindow(attemptId, 'attempt'); // as a live Run does
    await t.services.gateway.up('127.0.0.1');
    openai = new OpenAI({ baseURL: env.OPENAI_BASE_URL, apiKey: env.OPENAI_API_KEY, maxRetries: 0 });
    anthropic = new Anthropic({
      baseURL: env.ANTHROPIC_BASE_URL,
      apiKey: env.ANTHROPIC_API_KEY,
      maxRetries: 0,
    });
  }
  afterEach(async () => {
    await t.services.gateway.close();
    await t.close();
    await claude.close();
    await gpt.close();
  });

  async function transcript() {
    const r = await t.req(await t.staff('admin'), 'GET', `/api/attempts/${attemptId}/llm`);
    return r.json as { usage: { requests: number }; calls: Array<Record<string, any>> };
  }

  describe('with every upstream configured', () => {
    beforeEach(() => setup('all'));

    it('sends a Claude alias to the Anthropic upstream from chat, responses and messages', async () => {
      const chat = await openai.chat.completions.create({
        model: 'claude',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'hello' },
        ],
      });
      expect(chat.choices[0]!.message.content).toBe('Claude says hello.');
      expect(chat.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 7 });
      const sent = claude.seen[0]!;
      expect(sent.headers['x-api-key']).toBe(ANTHROPIC_KEY);
      expect(sent.headers['anthropic-version']).toBeTruthy();
      expect(sent.body).toMatchObject({
        model: 'claude-test-1',
        system: 'Be brief.',
        max_tokens: 1000,
        messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }],
      });

      // A tool round trip on the Responses API, answered by Claude.
      const first = await openai.responses.create({
        model: 'claude',
        input: 'What is the weather in Oslo?',
        tools: [{ type: 'function', strict: true, ...weatherTool }],
      });
      const call = first.output.find((o) => o.type === 'function_call');
      expect(call).toMatchObject({ name: 'get_weather', call_id: 'toolu_01', arguments: '{"city":"Oslo"}' });
      const second = await openai.responses.create({
        model: 'claude',
        previous_response_id: first.id,
        input: [{ type: 'function_call_output', call_id: 'toolu_01', output: '21C' }],
        tools: [{ type: 'function', strict: true, ...weatherTool }],
      });
      expect(second.output_text).toBe('Claude: 21 degrees.');
      // The conversation reached Claude whole: question, tool_use, tool_result.
      expect(claude.seen.at(-1)!.body.messages).toEqual([
        { role: 'user', content: [{ type: 'text', text: 'What is the weather in Oslo?' }] },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: { city: 'Oslo' } }],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: '21C' }] },
      ]);

      // Streaming on the Messages API, passed through from Claude's own stream.
      const stream = anthropic.messages.stream({
        model: 'claude',
        max_tokens: 200,
        messages: [{ role: 'user', content: 'hello again' }],
      });
      let text = '';
      stream.on('text', (d) => (text += d));
      const final = await stream.finalMessage();
      expect(text).toBe('Claude says hello.');
      expect(final).toMatchObject({ stop_reason: 'end_turn', usage: { input_tokens: 11, output_tokens: 7 } });

      const rows = await t.ctx.db
        .selectFrom('llm_calls')
        .select(['endpoint', 'status', 'upstream_model'])
        .where('attempt_id', '=', attemptId)
        .execute();
      // One row per call, each with the upstream model the alias went to (the fake clock orders none).
      expect(rows.map((c) => c.endpoint).sort()).toEqual(['chat', 'messages', 'responses', 'responses']);
      expect(rows.every((c) => c.status === 200 && c.upstream_model === 'claude-test-1')).toBe(true);
      const { calls } = await transcript();
      expect(calls.at(-1)).toMatchObject({
        stream: true,
        content: 'Claude says hello.',
        promptTokens: 11,
        completionTokens: 7,
      });
    });

    it("maps Anthropic upstream errors to the gateway's own words: no key fragment reaches the candidate or the transcript", async () => {
      for (const call of [
        () =>
          openai.chat.completions.create({
            model: 'claude',
            messages: [{ role: 'user', content: 'fail-529' }],
          }),
        () =>
          anthropic.messages.create({
            model: 'claude',
            max_tokens: 10,
            messages: [{ role: 'user', content: 'fail-529' }],
          }),
        () => openai.responses.create({ model: 'claude', input: 'fail-401' }),
      ]) {
        const err = (await call().catch((e: unknown) => e)) as { status: number; message: string };
        expect(err.status).toBe(502);
        expect(JSON.stringify(err)).not.toContain('PROVIDERKEY');
        expect(err.message).toMatch(/upstream model provider|rejected its credentials/);
      }
      const rows = await t.ctx.db
        .selectFrom('llm_calls')
        .selectAll()
        .where('attempt_id', '=', attemptId)
        .execute();
      expect(rows).toHaveLength(3);
      expect(JSON.stringify(rows)).not.toContain('PROVIDERKEY');
    });

    it('sends a GPT alias called with the Anthropic SDK to the OpenAI-compatible upstream', async () => {
      const m = await anthropic.messages.create({
        model: 'gpt',
        max_tokens: 50,
        system: 'You are terse.',
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(m.content).toEqual([{ type: 'text', text: 'upstream answer' }]);
      expect(m.stop_reason).toBe('max_tokens'); // the fake always runs to its cap
      expect(gpt.seen[0]!.body).toMatchObject({
        model: 'gpt-4o-mini',
        max_tokens: 50,
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'user', content: 'hi' },
        ],
      });
      expect(gpt.seen[0]!.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    });

    it('keeps a mock alias on the scripted mock whatever the deployment upstream, with tool calls on every API', async () => {
      const chat = await openai.chat.completions.create({
        model: 'mock-small',
        messages: [{ role: 'user', content: 'weather in Oslo?' }],
        tools: [{ type: 'function', function: weatherTool }],
      });
      expect(chat.choices[0]!.message.tool_calls?.[0]).toMatchObject({ function: { name: 'get_weather' } });
      const resp = await openai.responses.create({
        model: 'mock-small',
        input: 'weather in Oslo?',
        tools: [{ type: 'function', strict: true, ...weatherTool }],
      });
      expect(resp.output[0]).toMatchObject({
        type: 'function_call',
        name: 'get_weather',
        arguments: '{"city":"Oslo"}',
      });
      const msg = await anthropic.messages.create({
        model: 'mock-small',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'weather in Oslo?' }],
        tools: [{ name: 'get_weather', input_schema: weatherTool.parameters as never }],
      });
      expect(msg).toMatchObject({
        stop_reason: 'tool_use',
        content: [{ type: 'tool_use', name: 'get_weather', input: { city: 'Oslo' } }],
      });
      expect(claude.seen).toHaveLength(0);
      expect(gpt.seen).toHaveLength(0);
    });
  });

  describe('with no provider configured', () => {
    beforeEach(() => setup('none'));

    it('answers 503 in each API shape for an alias whose upstream is missing, and still serves the mock', async () => {
      await expect(
        openai.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'x' }] }),
      ).rejects.toMatchObject({ status: 503, code: 'upstream_not_configured' });
      await expect(
        anthropic.messages.create({
          model: 'claude',
          max_tokens: 10,
          messages: [{ role: 'user', content: 'x' }],
        }),
      ).rejects.toMatchObject({
        status: 503,
        error: { type: 'error', error: { type: 'overloaded_error' } },
      });
      const ok = await anthropic.messages.create({
        model: 'mock-small',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'x' }],
      });
      expect(ok.content[0]).toMatchObject({ type: 'text' });
      // Every task gets an embeddings alias by default.
      const e = await openai.embeddings.create({ model: 'mock-embed', input: 'hello' });
      expect(e.data[0]!.embedding.length).toBeGreaterThan(0);
    });
  });
});
