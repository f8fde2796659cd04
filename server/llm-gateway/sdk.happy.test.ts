/** The unmodified openai SDK against the gateway (over a real loopback socket), scripted by the task. */
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../testing/index.ts';
import { freePort } from '../../tests/helpers/process.ts';

describe('gateway with the openai SDK', () => {
  let t: TestApp;
  let client: OpenAI;
  let attemptId: string;
  beforeEach(async () => {
    const port = await freePort();
    t = await makeTestApp({ env: { GATEWAY_PORT: String(port) } });
    await t.importExample();
    ({ attemptId } = await t.startedCandidate());
    const env = await t.app.gateway.envFor(attemptId, 'attempt');
    t.app.gateway.openWindow(attemptId, 'attempt'); // as a live Run does
    await t.app.gateway.up('127.0.0.1');
    client = new OpenAI({ baseURL: env.OPENAI_BASE_URL, apiKey: env.OPENAI_API_KEY, maxRetries: 0 });
  });
  afterEach(async () => {
    await t.app.gateway.close();
    await t.close();
  });

  it('answers a scripted chat completion and records it in the transcript', async () => {
    const r = await client.chat.completions.create({
      model: 'mock-small',
      messages: [{ role: 'user', content: 'hello there' }],
    });
    expect(r.choices[0]!.message.content).toBeTruthy();
    expect(r.usage!.total_tokens).toBeGreaterThan(0);
    const stream = await client.chat.completions.create({
      model: 'mock-small',
      messages: [{ role: 'user', content: 'give me json' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text.length).toBeGreaterThan(0);
    const admin = await t.staff('admin');
    const llm = await t.req(admin, 'GET', `/api/attempts/${attemptId}/llm`);
    expect(llm.json.calls).toHaveLength(2);
    expect(llm.json.calls[1]).toMatchObject({ stream: true, status: 200, content: text });
    expect(llm.json.usage.requests).toBe(2);
  });

  it('refuses an unknown model with 404 and a wrong key with 401', async () => {
    await expect(
      client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({ status: 404 });
    const bad = new OpenAI({ baseURL: client.baseURL, apiKey: 'wsk-nope', maxRetries: 0 });
    await expect(bad.models.list()).rejects.toMatchObject({ status: 401 });
  });
});
