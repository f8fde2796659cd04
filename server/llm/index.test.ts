import { describe, expect, it } from 'vitest';
import { FakeClock } from '../platform/index.ts';
import { mockUpstream, type ChatCall } from './index.ts';
import { makeTestApp } from '../testing/index.ts';

const call = (content: string): ChatCall => ({
  attemptId: 'att_1',
  callId: 'call_1',
  alias: 'mock-small',
  model: 'mock-small',
  body: { model: 'mock-small', messages: [{ role: 'user', content }] },
  stream: false,
  ruleCounts: {},
  signal: new AbortController().signal,
});

describe('mock upstream', () => {
  it("stamps completions with the injected clock's time, not the machine's", async () => {
    const clock = new FakeClock(Date.UTC(2030, 5, 1, 12, 0, 0));
    const llm = mockUpstream(clock);
    const first = await llm.chat(call('hello'));
    clock.advance(90_000);
    const second = await llm.chat(call('hello'));
    if (first.kind !== 'completion' || second.kind !== 'completion') throw new Error('expected completions');
    expect(first.completion.created).toBe(Date.UTC(2030, 5, 1, 12, 0, 0) / 1000);
    expect(second.completion.created - first.completion.created).toBe(90);
  });
});

describe('mock upstream in the app', () => {
  it("answers a candidate's call with the app clock's time (the test harness passes its FakeClock)", async () => {
    const t = await makeTestApp();
    try {
      await t.importExample();
      const { attemptId } = await t.startedCandidate('ada', 'ada@example.com', 'hello-llm');
      const key = (await t.app.gateway.envFor(attemptId, 'attempt')).OPENAI_API_KEY!;
      t.clock.advance(61_000);
      const res = await t.app.gateway.app.request('http://gateway/v1/chat/completions', {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'mock-small', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { created: number }).created).toBe(Math.floor(t.clock.now() / 1000));
    } finally {
      await t.close();
    }
  });
});
