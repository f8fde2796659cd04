/**
 * What the gateway must never let through: one attempt's key reaching another attempt's usage, and the
 * provider key reaching a candidate (gateway responses, the transcript API) or a log line. The upstream is
 * the real openai upstream pointed at a tiny fake OpenAI server on loopback, so the key really travels.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../testing/index.ts';
import { openaiUpstream } from '../llm/index.ts';
import { createLogger } from '../logger/index.ts';

const SECRET = 'sk-test-SECRET-3f9a1c77e2b04d5a';

/** A minimal OpenAI server: records every request; a message or input containing "leak" gets a 401 echoing the key. */
async function fakeOpenAi() {
  const seen: Array<{ url: string; headers: IncomingHttpHeaders; body: string }> = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: req.headers, body });
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      if (body.includes('leak')) {
        // Real providers echo (part of) a rejected key; a misbehaving one may echo all of it.
        return json(401, {
          error: {
            message: `Incorrect API key provided: ${bearer}. You can find your API key at https://platform.openai.com/account/api-keys.`,
            type: 'invalid_request_error',
            param: null,
            code: 'invalid_api_key',
          },
        });
      }
      const parsed = JSON.parse(body || '{}') as { stream?: boolean; model?: string };
      if (req.url === '/v1/embeddings') {
        return json(200, {
          object: 'list',
          data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2, 0.3] }],
          model: parsed.model,
          usage: { prompt_tokens: 2, total_tokens: 2 },
        });
      }
      if (req.url === '/v1/chat/completions' && parsed.stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const chunk = (delta: object, finish: string | null) =>
          `data: ${JSON.stringify({
            id: 'chatcmpl-fake',
            object: 'chat.completion.chunk',
            created: 1,
            model: parsed.model,
            choices: [{ index: 0, delta, finish_reason: finish }],
          })}\n\n`;
        res.write(chunk({ role: 'assistant', content: 'streamed ' }, null));
        res.write(chunk({ content: 'answer' }, null));
        res.write(chunk({}, 'stop'));
        return res.end('data: [DONE]\n\n');
      }
      if (req.url === '/v1/chat/completions') {
        return json(200, {
          id: 'chatcmpl-fake',
          object: 'chat.completion',
          created: 1,
          model: parsed.model,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: 'upstream answer', refusal: null },
              finish_reason: 'stop',
              logprobs: null,
            },
          ],
          usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
        });
      }
      json(404, { error: { message: 'not found', type: 'invalid_request_error', param: null, code: null } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    seen,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('gateway security', () => {
  let t: TestApp;
  let upstream: Awaited<ReturnType<typeof fakeOpenAi>>;
  const logs: string[] = [];

  beforeEach(async () => {
    logs.length = 0;
    upstream = await fakeOpenAi();
    const sink = new Writable({
      write(chunk, _enc, done) {
        logs.push(String(chunk));
        done();
      },
    });
    t = await makeTestApp({
      llm: openaiUpstream({ apiKey: SECRET, baseURL: upstream.url }),
      logger: createLogger('trace', sink),
    });
    await t.importExample();
  });
  afterEach(async () => {
    await t.close();
    await upstream.close();
  });

  const gw = (key: string, url: string, body?: unknown) =>
    t.app.gateway.app.request(`http://gateway${url}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it("does not let one attempt's key or session read another attempt's usage", async () => {
    const a = await t.startedCandidate('Ada', 'ada@example.com');
    const b = await t.startedCandidate('Bob', 'bob@example.com');
    const keyA = (await t.app.gateway.envFor(a.attemptId, 'attempt')).OPENAI_API_KEY!;
    const keyB = (await t.app.gateway.envFor(b.attemptId, 'attempt')).OPENAI_API_KEY!;
    t.app.gateway.openWindow(a.attemptId, 'attempt'); // as live Runs do
    t.app.gateway.openWindow(b.attemptId, 'attempt');
    expect(keyA).not.toBe(keyB);
    const res = await gw(keyB, '/v1/chat/completions', {
      model: 'mock-small',
      messages: [{ role: 'user', content: "Bob's private prompt" }],
    });
    expect(res.status).toBe(200);

    // The gateway key is no credential for the API: with it, B's transcript stays closed.
    for (const url of [`/api/attempts/${b.attemptId}/llm`, `/api/attempts/${a.attemptId}/llm`]) {
      const withKey = await t.req(undefined, 'GET', url, undefined, { authorization: `Bearer ${keyA}` });
      expect(withKey.status).toBe(401);
      expect(withKey.text).not.toContain('private prompt');
    }
    // A's candidate session cannot read B's usage either, and sees only its own calls.
    const cross = await t.req(a.browser, 'GET', `/api/attempts/${b.attemptId}/llm`);
    expect([403, 404]).toContain(cross.status);
    expect(cross.text).not.toContain('private prompt');
    const own = await t.req(a.browser, 'GET', `/api/attempts/${a.attemptId}/llm`);
    expect(own.status).toBe(200);
    expect(own.json.calls).toEqual([]);
    expect(own.json.usage.requests).toBe(0);
    // B's call is B's: it counts against B's budget only.
    const mine = await t.req(b.browser, 'GET', `/api/attempts/${b.attemptId}/llm`);
    expect(mine.json.usage.requests).toBe(1);
    expect(mine.json.calls[0].request.messages[0].content).toBe("Bob's private prompt");
    // The gateway keys themselves are stored as hashes only and never shown in the transcript.
    const stored = await t.ctx.db.selectFrom('gateway_keys').selectAll().execute();
    expect(JSON.stringify(stored)).not.toContain(keyA.slice(4));
    expect(JSON.stringify(stored)).not.toContain(keyB.slice(4));
    expect(mine.text).not.toContain(keyB);
  });

  it('never shows the provider key: not in gateway answers, the transcript or the logs', async () => {
    const { attemptId, browser } = await t.startedCandidate();
    const key = (await t.app.gateway.envFor(attemptId, 'attempt')).OPENAI_API_KEY!;
    t.app.gateway.openWindow(attemptId, 'attempt'); // as a live Run does
    const answers: Array<{ status: number; text: string; headers: string }> = [];
    const send = async (url: string, body?: unknown) => {
      const res = await gw(key, url, body);
      const text = await res.text();
      answers.push({ status: res.status, text, headers: JSON.stringify([...res.headers]) });
      return { status: res.status, text };
    };
    const msg = (content: string) => [{ role: 'user', content }];

    const plain = await send('/v1/chat/completions', { model: 'mock-small', messages: msg('hi') });
    expect(plain.status).toBe(200);
    expect(JSON.parse(plain.text).choices[0].message.content).toBe('upstream answer');
    const streamed = await send('/v1/chat/completions', {
      model: 'mock-small',
      messages: msg('hi'),
      stream: true,
    });
    expect(streamed.text).toContain('answer');
    // The upstream rejects these and echoes the key it was sent: the candidate is told the gateway's
    // credentials were refused (502, not 401: the candidate's own key is fine), in the gateway's words.
    const leakChat = await send('/v1/chat/completions', { model: 'mock-small', messages: msg('leak') });
    expect(leakChat.status).toBe(502);
    expect(JSON.parse(leakChat.text).error.code).toBe('upstream_auth_failed');
    const leakStream = await send('/v1/chat/completions', {
      model: 'mock-small',
      messages: msg('leak'),
      stream: true,
    });
    expect(leakStream.status).toBe(502);
    expect((await send('/v1/embeddings', { model: 'mock-small', input: 'hello' })).status).toBe(200);
    const leakEmbed = await send('/v1/embeddings', { model: 'mock-small', input: 'leak' });
    expect(leakEmbed.status).toBe(502);
    await send('/v1/models');

    // The upstream got the provider key on every call, and never the candidate's key.
    expect(upstream.seen).toHaveLength(6);
    for (const r of upstream.seen) {
      expect(r.headers.authorization).toBe(`Bearer ${SECRET}`);
      expect(JSON.stringify(r)).not.toContain(key);
      expect(JSON.stringify(r)).not.toContain('wsk-');
    }
    expect(JSON.parse(upstream.seen[0]!.body).model).toBe('mock-small');

    for (const a of answers) {
      expect(a.text).not.toContain(SECRET);
      expect(a.headers).not.toContain(SECRET);
    }
    const admin = await t.staff('admin');
    for (const who of [browser, admin]) {
      const transcript = await t.req(who, 'GET', `/api/attempts/${attemptId}/llm`);
      expect(transcript.status).toBe(200);
      expect(transcript.json.calls).toHaveLength(6);
      expect.soft(transcript.text, 'the transcript API').not.toContain(SECRET);
    }
    const rows = await t.ctx.db.selectFrom('llm_calls').selectAll().execute();
    expect.soft(JSON.stringify(rows), 'the stored calls').not.toContain(SECRET);
    expect(logs.length).toBeGreaterThan(0);
    expect
      .soft(
        logs.filter((line) => line.includes(SECRET)),
        'log lines',
      )
      .toEqual([]);
  });
});
