import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mockRespond, parseMockScript, type MockScript } from './index.ts';

const FILE = 'llm/mock.yaml';
const errorsOf = (text: string) => {
  const r = parseMockScript(FILE, text);
  if (r.ok) throw new Error('expected the script to be rejected');
  return r.errors;
};

describe('parseMockScript', () => {
  it('accepts a script using every condition and outcome, filling in names and defaults', () => {
    const r = parseMockScript(
      FILE,
      `
default: { reply: "fallback" }
rules:
  - name: triage-429-once
    match: { model: mock-small, content: "(?i)classify", call: 1 }
    fault: { kind: rate_limit }
  - match: { model: "/^mock-/", anyContent: x, system: y, tools: true, toolResult: false, responseFormat: json_schema, call: [1, 2], rate: 0.5, seed: 7 }
    json: { label: bug }
    usage: { prompt: 10, completion: 5 }
  - toolCall: { name: lookup, arguments: { id: 3 } }
  - fault: { kind: delay, ms: 30000, then: { reply: late } }
  - fault: { kind: truncated_stream, after: 12 }
  - fault: { kind: malformed_json }
  - fault: { kind: server_error }
`,
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.script.default).toEqual({ reply: 'fallback' });
    expect(r.script.rules.map((rule) => rule.name)).toEqual([
      'triage-429-once',
      'rule-1',
      'rule-2',
      'rule-3',
      'rule-4',
      'rule-5',
      'rule-6',
    ]);
    expect(r.script.rules[0]!.fault).toEqual({ kind: 'rate_limit', retryAfter: 1 });
    expect(r.script.rules[0]!.match.call).toEqual([1]);
    expect(r.script.rules[2]!.match).toEqual({});
  });

  it('treats an empty file as a script with no rules', () => {
    expect(parseMockScript(FILE, '')).toEqual({ ok: true, script: { rules: [] } });
  });

  it('names a bad regular expression by its field', () => {
    expect(
      errorsOf(`rules:\n  - reply: a\n  - reply: b\n  - match: { content: "(?i)(unclosed" }\n    reply: c\n`),
    ).toEqual([`${FILE}: rules[2].match.content: invalid regular expression: Unterminated group`]);
  });

  it('rejects a rule with two outcomes, or none', () => {
    expect(errorsOf(`rules:\n  - reply: a\n    json: { a: 1 }\n  - match: {}\n`)).toEqual([
      `${FILE}: rules[0]: expected exactly one outcome (reply, json, toolCall or fault); found reply and json`,
      `${FILE}: rules[1]: expected exactly one outcome (reply, json, toolCall or fault); found none`,
    ]);
  });

  it('rejects unknown keys, naming each', () => {
    expect(errorsOf(`rules:\n  - match: { contents: hi }\n    reply: a\n`)).toEqual([
      `${FILE}: rules[0].match.contents: unknown key`,
    ]);
    expect(errorsOf(`rule: []\n`)).toEqual([`${FILE}: rule: unknown key`]);
  });

  it('rejects duplicate rule names, including a clash with a default name', () => {
    expect(errorsOf(`rules:\n  - { name: a, reply: x }\n  - { name: a, reply: y }\n`)).toEqual([
      `${FILE}: rules[1].name: duplicate rule name "a"`,
    ]);
    expect(errorsOf(`rules:\n  - { reply: x }\n  - { name: rule-0, reply: y }\n`)).toEqual([
      `${FILE}: rules[1].name: duplicate rule name "rule-0"`,
    ]);
  });

  it('rejects an unknown fault kind and a fault missing its fields', () => {
    expect(errorsOf(`rules:\n  - fault: { kind: explode }\n`)).toEqual([
      `${FILE}: rules[0].fault.kind: expected one of rate_limit, server_error, delay, truncated_stream, malformed_json`,
    ]);
    expect(errorsOf(`rules:\n  - fault: { kind: delay }\n`)).toEqual([
      `${FILE}: rules[0].fault.ms: required`,
    ]);
  });

  it('rejects out-of-range conditions', () => {
    expect(
      errorsOf(`rules:\n  - match: { rate: 1.5, call: 0, responseFormat: xml }\n    reply: a\n`),
    ).toEqual(
      expect.arrayContaining([
        `${FILE}: rules[0].match.rate: expected a probability between 0 and 1`,
        `${FILE}: rules[0].match.responseFormat: expected text, json_object or json_schema`,
      ]),
    );
  });

  it('reports YAML syntax errors with a line number', () => {
    expect(errorsOf(`rules:\n  - reply: "unterminated\n`)[0]).toMatch(/^llm\/mock\.yaml: line \d+: /);
  });
});

describe('tasks/hello-llm/llm/mock.yaml', () => {
  const text = readFileSync(new URL('../../../tasks/hello-llm/llm/mock.yaml', import.meta.url), 'utf8');
  const parsed = parseMockScript('tasks/hello-llm/llm/mock.yaml', text);
  const ask = (script: MockScript, content: string) =>
    mockRespond(
      script,
      { model: 'mock-small', messages: [{ role: 'user', content }] },
      {
        attemptId: 'a1',
        ruleCounts: {},
      },
    );

  it('parses and answers as the statement promises', () => {
    expect(parsed).toMatchObject({ ok: true });
    if (!parsed.ok) return;
    expect(ask(parsed.script, 'Hello there')).toMatchObject({
      rule: 'greeting',
      content: 'Hi! Ask me for some JSON.',
    });
    const json = ask(parsed.script, 'Give me some JSON please');
    expect(json).toMatchObject({ rule: 'fenced-json' });
    if (json.kind !== 'message') return;
    expect(JSON.parse(/```json\n([\s\S]*?)```/.exec(json.content!)![1]!)).toEqual({
      sentiment: 'positive',
      score: 0.92,
    });
    expect(ask(parsed.script, 'what?')).toMatchObject({
      rule: null,
      content: 'I am a mock model; try asking for json.',
    });
  });
});
