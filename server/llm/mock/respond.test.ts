import { describe, expect, it } from 'vitest';
import {
  advanceMockState,
  mockRespond,
  parseMockScript,
  type MockOutcome,
  type MockRequest,
  type MockScript,
  type MockState,
} from './index.ts';

function script(yaml: string): MockScript {
  const r = parseMockScript('llm/mock.yaml', yaml);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.script;
}
const user = (content: unknown, extra: Partial<MockRequest> = {}): MockRequest => ({
  model: 'mock-small',
  messages: [{ role: 'user', content }],
  ...extra,
});
const fresh = (ruleCounts: Record<string, number> = {}): MockState => ({ attemptId: 'att-1', ruleCounts });
const ruleOf = (o: MockOutcome) => o.rule;
const contentOf = (o: MockOutcome) => (o.kind === 'message' ? o.content : undefined);

describe('matching', () => {
  it('tries rules in order and the first match wins', () => {
    const s = script(
      `rules:\n  - { name: a, match: { content: cat }, reply: A }\n  - { name: b, match: { content: ca }, reply: B }\n`,
    );
    expect(contentOf(mockRespond(s, user('a cat'), fresh()))).toBe('A');
    expect(contentOf(mockRespond(s, user('a car'), fresh()))).toBe('B');
    expect(ruleOf(mockRespond(s, user('a dog'), fresh()))).toBeNull();
  });

  it('matches a model exactly, or by /regex/', () => {
    const s = script(
      `rules:\n  - { name: exact, match: { model: mock-small }, reply: e }\n  - { name: re, match: { model: "/^mock-l/" }, reply: r }\n`,
    );
    expect(ruleOf(mockRespond(s, user('x'), fresh()))).toBe('exact');
    expect(ruleOf(mockRespond(s, { ...user('x'), model: 'mock-large' }, fresh()))).toBe('re');
    expect(ruleOf(mockRespond(s, { ...user('x'), model: 'mock-small-2' }, fresh()))).toBeNull();
  });

  it('tests content against the last user message, case-insensitively with (?i)', () => {
    const s = script(
      `rules:\n  - { name: ci, match: { content: "(?i)^classify" }, reply: ci }\n  - { name: cs, match: { content: "^Sort" }, reply: cs }\n`,
    );
    expect(ruleOf(mockRespond(s, user('CLASSIFY this'), fresh()))).toBe('ci');
    expect(ruleOf(mockRespond(s, user('sort this'), fresh()))).toBeNull();
    const history: MockRequest = {
      model: 'mock-small',
      messages: [
        { role: 'user', content: 'classify' },
        { role: 'assistant', content: 'ok' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Sort' },
            { type: 'image_url', image_url: {} },
          ],
        },
      ],
    };
    expect(ruleOf(mockRespond(s, history, fresh()))).toBe('cs');
  });

  it('checks anyContent against user and tool messages only, and system against system messages only', () => {
    const s = script(
      `rules:\n  - { name: sys, match: { system: pirate }, reply: arr }\n  - { name: any, match: { anyContent: secret }, reply: found }\n`,
    );
    const req = (system: string, first: string): MockRequest => ({
      model: 'mock-small',
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: first },
        { role: 'user', content: 'now what?' },
      ],
    });
    expect(ruleOf(mockRespond(s, req('You are a pirate', 'hi'), fresh()))).toBe('sys');
    expect(ruleOf(mockRespond(s, req('Be brief', 'the secret is 4'), fresh()))).toBe('any');
    expect(ruleOf(mockRespond(s, user('pirate'), fresh()))).toBeNull();
    // A word in the caller's own system prompt does not decide which case this is.
    expect(ruleOf(mockRespond(s, req('Keep the secret', 'hi'), fresh()))).toBeNull();
  });

  it('checks tools, toolResult and responseFormat', () => {
    const s = script(`
rules:
  - { name: after-tool, match: { toolResult: true }, reply: done }
  - { name: with-tools, match: { tools: true }, toolCall: { name: lookup, arguments: { id: 3 } } }
  - { name: schema, match: { responseFormat: json_schema }, json: { ok: true } }
  - { name: object, match: { responseFormat: json_object }, json: { ok: 1 } }
  - { name: plain, match: { tools: false, responseFormat: text }, reply: plain }
`);
    const tools = [{ type: 'function', function: { name: 'lookup' } }];
    expect(ruleOf(mockRespond(s, user('x', { tools }), fresh()))).toBe('with-tools');
    expect(ruleOf(mockRespond(s, user('x', { tools: [] }), fresh()))).toBe('plain');
    const afterTool: MockRequest = {
      model: 'mock-small',
      tools,
      messages: [
        { role: 'user', content: 'x' },
        {
          role: 'assistant',
          tool_calls: [{ id: 'c', type: 'function', function: { name: 'lookup', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'c', content: '{"found":true}' },
      ],
    };
    expect(ruleOf(mockRespond(s, afterTool, fresh()))).toBe('after-tool');
    expect(ruleOf(mockRespond(s, user('x', { response_format: { type: 'json_schema' } }), fresh()))).toBe(
      'schema',
    );
    expect(ruleOf(mockRespond(s, user('x', { response_format: { type: 'json_object' } }), fresh()))).toBe(
      'object',
    );
  });

  it('fires `call: 2` only on the second time the rule is reached', () => {
    const s = script(
      `rules:\n  - { name: second, match: { call: 2 }, fault: { kind: server_error } }\n  - { name: ok, reply: ok }\n`,
    );
    let state = fresh();
    const seen: Array<string | null> = [];
    for (let i = 0; i < 3; i++) {
      const o = mockRespond(s, user('x'), state);
      seen.push(o.kind);
      state = advanceMockState(state, o);
    }
    expect(seen).toEqual(['message', 'fault', 'message']);
    expect(state.ruleCounts).toEqual({ second: 3, ok: 2 });
    expect(mockRespond(s, user('x'), fresh({ second: 1 })).kind).toBe('fault');
  });

  it('counts only rules whose request conditions held, up to the winner', () => {
    const s = script(
      `rules:\n  - { name: a, match: { content: zzz }, reply: a }\n  - { name: b, match: { call: 5 }, reply: b }\n  - { name: c, reply: c }\n  - { name: d, reply: d }\n`,
    );
    expect(mockRespond(s, user('x'), fresh()).counted).toEqual(['b', 'c']);
  });

  it('draws `rate` deterministically per state and afresh for each count', () => {
    const s = script(
      `rules:\n  - { name: flaky, match: { rate: 0.3, seed: 7 }, fault: { kind: server_error } }\n`,
    );
    const at = (count: number, attemptId = 'att-1') =>
      mockRespond(s, user('x'), { attemptId, ruleCounts: { flaky: count } }).kind === 'fault';
    for (let n = 0; n < 20; n++) expect(at(n)).toBe(at(n));
    const hits = Array.from({ length: 1000 }, (_, n) => at(n)).filter(Boolean).length;
    expect(hits).toBeGreaterThan(220);
    expect(hits).toBeLessThan(380);
    const otherAttempt = Array.from({ length: 50 }, (_, n) => at(n, 'att-2'));
    expect(otherAttempt).not.toEqual(Array.from({ length: 50 }, (_, n) => at(n)));
  });

  it('keeps firing a `rate` rule after a miss, because misses are counted too', () => {
    const s = script(`rules:\n  - { name: flaky, match: { rate: 0.5 }, fault: { kind: server_error } }\n`);
    let state = fresh();
    const kinds = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const o = mockRespond(s, user('x'), state);
      kinds.add(o.kind);
      state = advanceMockState(state, o);
    }
    expect(kinds).toEqual(new Set(['fault', 'message']));
    expect(state.ruleCounts.flaky).toBe(40);
  });
});

describe('outcomes', () => {
  const s = script(`
rules:
  - { name: text, match: { content: "^text" }, reply: "hello there", usage: { completion: 99 } }
  - { name: json, match: { content: "^json" }, json: { label: bug } }
  - { name: tool, match: { content: "^tool" }, toolCall: { name: lookup, arguments: { id: 3 } } }
  - { name: tools, match: { content: "^both" }, toolCall: [{ name: a }, { name: b, arguments: "{broken" }] }
  - { name: limit, match: { content: "^429" }, fault: { kind: rate_limit, retryAfter: 2 } }
  - { name: boom, match: { content: "^500" }, fault: { kind: server_error } }
  - { name: slow, match: { content: "^slow" }, fault: { kind: delay, ms: 30000, then: { reply: late } } }
  - { name: slow-default, match: { content: "^lazy" }, fault: { kind: delay, ms: 5 } }
  - { name: cut, match: { content: "^cut" }, fault: { kind: truncated_stream, after: 12, then: { reply: "a long reply that gets cut" } } }
  - { name: broken, match: { content: "^broken" }, fault: { kind: malformed_json, json: { label: bug, confidence: 0.9 } } }
  - { name: broken-default, match: { content: "^nojson" }, fault: { kind: malformed_json } }
`);
  const run = (text: string, extra: Partial<MockRequest> = {}) => mockRespond(s, user(text, extra), fresh());

  it('replies with text and counts tokens, honouring a usage override', () => {
    expect(run('text')).toEqual({
      kind: 'message',
      rule: 'text',
      content: 'hello there',
      finishReason: 'stop',
      usage: { promptTokens: 4 + 1, completionTokens: 99 },
      counted: ['text'],
    });
  });

  it('replies with JSON', () => {
    expect(JSON.parse(contentOf(run('json'))!)).toEqual({ label: 'bug' });
  });

  it('calls tools with deterministic ids, passing string arguments verbatim', () => {
    const one = run('tool');
    expect(one).toMatchObject({
      content: null,
      finishReason: 'tool_calls',
      toolCalls: [
        { id: 'call_tool_1', type: 'function', function: { name: 'lookup', arguments: '{"id":3}' } },
      ],
    });
    const second = mockRespond(s, user('tool'), fresh({ tool: 1 }));
    expect(second.kind === 'message' && second.toolCalls?.[0]?.id).toBe('call_tool_2');
    expect(run('both')).toMatchObject({
      toolCalls: [
        { id: 'call_tools_1_1', function: { name: 'a', arguments: '{}' } },
        { id: 'call_tools_1_2', function: { name: 'b', arguments: '{broken' } },
      ],
    });
  });

  it('describes 429 and 500 faults', () => {
    expect(run('429')).toEqual({
      kind: 'fault',
      rule: 'limit',
      fault: { kind: 'rate_limit', retryAfter: 2 },
      counted: ['limit'],
    });
    expect(run('500')).toMatchObject({ kind: 'fault', fault: { kind: 'server_error' } });
  });

  it('describes delays with the reply that follows (the default reply when none is given)', () => {
    expect(run('slow')).toMatchObject({
      kind: 'delay',
      ms: 30000,
      then: { kind: 'message', content: 'late' },
    });
    expect(run('lazy')).toMatchObject({ kind: 'delay', ms: 5, then: { content: 'Mock reply to: "lazy"' } });
  });

  it('describes a truncated stream with the full message', () => {
    expect(run('cut')).toMatchObject({
      kind: 'truncated',
      after: 12,
      message: { kind: 'message', content: 'a long reply that gets cut', finishReason: 'stop' },
    });
  });

  it('returns deterministic broken JSON', () => {
    const broken = contentOf(run('broken'))!;
    expect(broken).toBe('{"label": "bug", "confidence": ');
    expect(() => JSON.parse(broken)).toThrow();
    const fromSchema = contentOf(
      run('nojson', {
        response_format: {
          type: 'json_schema',
          json_schema: {
            schema: {
              type: 'object',
              required: ['a', 'b'],
              properties: { a: { type: 'string' }, b: { type: 'integer' } },
            },
          },
        },
      }),
    )!;
    expect(fromSchema).toBe('{"a": "", "b": ');
    expect(contentOf(run('nojson'))).toBe('{"reply": ');
  });
});

describe('default reply', () => {
  it('quotes the first 200 characters of the last user message', () => {
    const long = 'x'.repeat(250);
    expect(contentOf(mockRespond(undefined, user(long), fresh()))).toBe(
      `Mock reply to: "${'x'.repeat(200)}"`,
    );
    expect(contentOf(mockRespond(undefined, { model: 'm', messages: [] }, fresh()))).toBe(
      'Mock reply to: ""',
    );
  });

  it('answers plain text even when tools are offered', () => {
    const o = mockRespond(undefined, user('hi', { tools: [{ type: 'function' }] }), fresh());
    expect(o).toMatchObject({
      kind: 'message',
      rule: null,
      content: 'Mock reply to: "hi"',
      finishReason: 'stop',
    });
    expect(o.kind === 'message' && o.toolCalls).toBeFalsy();
  });

  it('wraps the text for json_object and honours default.reply', () => {
    const req = user('hi', { response_format: { type: 'json_object' } });
    expect(JSON.parse(contentOf(mockRespond(undefined, req, fresh()))!)).toEqual({
      reply: 'Mock reply to: "hi"',
    });
    const s = script(`default: { reply: "custom" }\n`);
    expect(JSON.parse(contentOf(mockRespond(s, req, fresh()))!)).toEqual({ reply: 'custom' });
    expect(contentOf(mockRespond(s, user('hi'), fresh()))).toBe('custom');
  });

  it('answers json_schema with a minimal valid instance', () => {
    const req = user('hi', {
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'triage',
          strict: true,
          schema: {
            type: 'object',
            properties: { label: { enum: ['bug', 'feature'] }, confidence: { type: 'number', minimum: 0 } },
          },
        },
      },
    });
    expect(JSON.parse(contentOf(mockRespond(undefined, req, fresh()))!)).toEqual({
      label: 'bug',
      confidence: 0,
    });
  });

  it('is deterministic for the same script, request and state', () => {
    const s = script(`rules:\n  - { match: { rate: 0.5 }, toolCall: { name: f } }\n`);
    const a = mockRespond(s, user('same'), fresh({ 'rule-0': 3 }));
    expect(mockRespond(s, user('same'), fresh({ 'rule-0': 3 }))).toEqual(a);
  });
});

describe('honouring the request', () => {
  const weather = {
    type: 'function',
    function: {
      name: 'get_weather',
      strict: true,
      parameters: {
        type: 'object',
        properties: { city: { type: 'string', minLength: 2 } },
        required: ['city'],
      },
    },
  };
  const clock = { type: 'function', function: { name: 'get_time', parameters: { type: 'object' } } };
  const s = script(`
rules:
  - { name: call, match: { content: weather }, toolCall: { name: get_weather, arguments: { city: Oslo } } }
  - { name: prose, match: { content: prose }, reply: 'Sure! It is a bug.' }
`);

  it('calls a tool when tool_choice is required or names it, with minimal arguments for its schema', () => {
    const required = mockRespond(s, user('hello', { tools: [weather], tool_choice: 'required' }), fresh());
    expect(required).toMatchObject({
      finishReason: 'tool_calls',
      content: null,
      toolCalls: [{ function: { name: 'get_weather', arguments: '{"city":"aa"}' } }],
    });
    const named = mockRespond(
      s,
      user('weather please', {
        tools: [weather, clock],
        tool_choice: { type: 'function', function: { name: 'get_time' } },
      }),
      fresh(),
    );
    expect(named).toMatchObject({ toolCalls: [{ function: { name: 'get_time', arguments: '{}' } }] });
    // The scripted call already obeys: it is kept as written.
    const scripted = mockRespond(
      s,
      user('weather please', { tools: [weather], tool_choice: 'required' }),
      fresh(),
    );
    expect(scripted).toMatchObject({
      toolCalls: [{ id: 'call_call_1', function: { arguments: '{"city":"Oslo"}' } }],
    });
  });

  it('answers without tools when tool_choice is none, even where a rule would call one', () => {
    const o = mockRespond(s, user('weather please', { tools: [weather], tool_choice: 'none' }), fresh());
    expect(o).toMatchObject({ finishReason: 'stop', content: 'Mock reply to: "weather please"' });
    expect(o.kind === 'message' && o.toolCalls).toBeFalsy();
  });

  it('never answers prose in JSON mode: a scripted reply that is not JSON becomes valid JSON', () => {
    const obj = contentOf(
      mockRespond(s, user('prose', { response_format: { type: 'json_object' } }), fresh()),
    );
    expect(JSON.parse(obj!)).toEqual({ reply: 'Sure! It is a bug.' });
    const schema = {
      type: 'object',
      properties: { label: { enum: ['bug', 'other'] }, score: { type: 'number', minimum: 0 } },
      required: ['label', 'score'],
    };
    const sch = contentOf(
      mockRespond(
        s,
        user('prose', { response_format: { type: 'json_schema', json_schema: { name: 'x', schema } } }),
        fresh(),
      ),
    );
    expect(JSON.parse(sch!)).toEqual({ label: 'bug', score: 0 });
  });
});
