/** Turns a script + request + state into the mock model's outcome. */
import { minimalInstance } from './json-schema.ts';
import { responseFormatOf, selectRule } from './match.ts';
import type { MockRule, MockScript, MockThen, MockToolCallSpec } from './schema.ts';
import { lastUserText } from './text.ts';
import { completionTokens, promptTokens } from './tokens.ts';
import type { MockMessageOutcome, MockOutcome, MockRequest, MockState, MockToolCall } from './types.ts';

/** How much of the last user message the default reply quotes. */
export const DEFAULT_QUOTE_CHARS = 200;

/**
 * The default reply text: `Mock reply to: "<first 200 characters of the last user
 * message>"` (empty quotes when there is none), unless the script sets `default.reply`.
 */
export function defaultReplyText(script: MockScript | undefined, req: MockRequest): string {
  if (script?.default) return script.default.reply;
  const quoted = Array.from(lastUserText(req.messages) ?? '')
    .slice(0, DEFAULT_QUOTE_CHARS)
    .join('');
  return `Mock reply to: "${quoted}"`;
}

/**
 * The value a request gets in JSON mode when no rule says otherwise: a minimal instance of
 * the json_schema, or `{"reply": <default text>}` for json_object (and plain text requests,
 * for `malformed_json` without a `json` value).
 */
function defaultJsonValue(script: MockScript | undefined, req: MockRequest, text?: string): unknown {
  const rf = req.response_format;
  if (responseFormatOf(req) === 'json_schema')
    return minimalInstance(rf?.json_schema?.schema ?? {}, rf?.json_schema?.strict === true);
  return { reply: text ?? defaultReplyText(script, req) };
}

/**
 * The default outcome for unmatched requests: plain text for text requests (even when
 * tools are offered — the mock never calls a tool unless a rule says so), JSON otherwise.
 */
function defaultContent(script: MockScript | undefined, req: MockRequest): string {
  return responseFormatOf(req) === 'text'
    ? defaultReplyText(script, req)
    : JSON.stringify(defaultJsonValue(script, req));
}

/**
 * Deterministically broken JSON: an object is written `{"k": v, "k2": ` — cut right after
 * its last key — arrays and strings are cut in half and other scalars become `{"value": 1`,
 * so `JSON.parse` always fails.
 */
export function malformedJson(value: unknown): string {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{';
    const head = entries.slice(0, -1).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}, `);
    return `{${head.join('')}${JSON.stringify(entries.at(-1)![0])}: `;
  }
  const text = JSON.stringify(value) ?? 'null';
  // Any proper prefix of an array or a string is invalid JSON; a bare scalar is wrapped first.
  return text.startsWith('[') || text.startsWith('"')
    ? text.slice(0, Math.ceil(text.length / 2))
    : `{"value": ${text}`;
}

function toolCalls(spec: MockToolCallSpec | MockToolCallSpec[], rule: string, call: number): MockToolCall[] {
  const list = Array.isArray(spec) ? spec : [spec];
  return list.map((c, i) => ({
    id: Array.isArray(spec) ? `call_${rule}_${call}_${i + 1}` : `call_${rule}_${call}`,
    type: 'function',
    function: {
      name: c.name,
      arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments ?? {}),
    },
  }));
}

interface Built {
  script: MockScript | undefined;
  req: MockRequest;
  rule: MockRule | null;
  call: number;
  counted: string[];
}

function message(b: Built, body: { content: string | null; toolCalls?: MockToolCall[] }): MockMessageOutcome {
  const usage = {
    promptTokens: b.rule?.usage?.prompt ?? promptTokens(b.req.messages),
    completionTokens: b.rule?.usage?.completion ?? completionTokens(body.content, body.toolCalls),
  };
  const rule = b.rule?.name ?? null;
  const { content, toolCalls } = body;
  return toolCalls
    ? { kind: 'message', rule, content, toolCalls, finishReason: 'tool_calls', usage, counted: b.counted }
    : { kind: 'message', rule, content, finishReason: 'stop', usage, counted: b.counted };
}

const parses = (text: string) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

interface FunctionTool {
  name: string;
  parameters?: unknown;
  strict?: boolean;
}

/** The request's function tools (chat form). */
function functionTools(req: MockRequest): FunctionTool[] {
  return (req.tools ?? []).flatMap((t) => {
    const fn = (t as { function?: FunctionTool } | null)?.function;
    return fn && typeof fn.name === 'string' ? [fn] : [];
  });
}

/** `tool_choice` as the mock obeys it: a named function, any tool (`required`), none, or auto. */
function toolChoice(
  req: MockRequest,
): { kind: 'auto' | 'none' | 'required' } | { kind: 'named'; name: string } {
  const c = req.tool_choice;
  if (c === 'none' || c === 'required') return { kind: c };
  const name = (c as { function?: { name?: unknown } } | null)?.function?.name;
  return typeof name === 'string' ? { kind: 'named', name } : { kind: 'auto' };
}

/** A call of `tool` with the smallest arguments its parameters schema accepts. */
function forcedCall(b: Built, tool: FunctionTool): MockToolCall {
  return {
    id: `call_${tool.name}_${b.req.messages.length}`,
    type: 'function',
    function: {
      name: tool.name,
      arguments: JSON.stringify(
        minimalInstance(tool.parameters ?? { type: 'object' }, tool.strict === true) ?? {},
      ),
    },
  };
}

/**
 * What the request's `tool_choice` allows, as a real model honours it: `none` turns a scripted tool
 * call into the default answer; `required` and a named tool turn an answer without (that) tool call
 * into a call of the tool with minimal arguments for its schema.
 */
function obeyToolChoice(b: Built, body: { content: string | null; toolCalls?: MockToolCall[] }) {
  const choice = toolChoice(b.req);
  const tools = functionTools(b.req);
  if (choice.kind === 'none') return body.toolCalls ? { content: defaultContent(b.script, b.req) } : body;
  // A script may call tools the request did not offer (to test how code copes); nothing to force.
  if (tools.length === 0) return body;
  if (choice.kind === 'required' && !body.toolCalls?.length)
    return { content: null, toolCalls: [forcedCall(b, tools[0]!)] };
  if (choice.kind === 'named') {
    const tool = tools.find((t) => t.name === choice.name);
    if (tool && !(body.toolCalls?.length && body.toolCalls.every((c) => c.function.name === tool.name)))
      return { content: null, toolCalls: [forcedCall(b, tool)] };
  }
  return body;
}

/**
 * The message a rule (or a delay/truncation's `then`) produces; absent = the default reply. In JSON
 * mode a scripted `reply` that is not JSON becomes the request's default JSON (JSON mode never answers
 * prose); a `json` value is sent as written (an author's off-schema answer is on purpose).
 */
function messageFor(b: Built, spec: MockThen | undefined): MockMessageOutcome {
  const json = responseFormatOf(b.req) !== 'text';
  if (spec?.reply !== undefined)
    return message(
      b,
      obeyToolChoice(b, {
        content:
          json && !parses(spec.reply)
            ? JSON.stringify(defaultJsonValue(b.script, b.req, spec.reply))
            : spec.reply,
      }),
    );
  if (spec?.json !== undefined) return message(b, obeyToolChoice(b, { content: JSON.stringify(spec.json) }));
  if (spec?.toolCall !== undefined) {
    return message(
      b,
      obeyToolChoice(b, {
        content: null,
        toolCalls: toolCalls(spec.toolCall, b.rule?.name ?? 'default', b.call),
      }),
    );
  }
  return message(b, obeyToolChoice(b, { content: defaultContent(b.script, b.req) }));
}

/**
 * The mock model. Deterministic: the same script, request and state always give the same
 * outcome. Rules are tried in order and the first whose conditions all hold wins; with no
 * winner the documented default reply comes back with `rule: null`. The caller persists
 * state between calls with `advanceMockState(state, outcome)`.
 */
export function mockRespond(script: MockScript | undefined, req: MockRequest, state: MockState): MockOutcome {
  const { rule, count, counted } = selectRule(script, req, state);
  const b: Built = { script, req, rule, call: count + 1, counted };
  if (!rule) return messageFor(b, undefined);
  const name = rule.name;
  const fault = rule.fault;
  if (!fault) return messageFor(b, rule);
  switch (fault.kind) {
    case 'rate_limit':
      return {
        kind: 'fault',
        rule: name,
        fault: { kind: 'rate_limit', retryAfter: fault.retryAfter },
        counted,
      };
    case 'server_error':
      return { kind: 'fault', rule: name, fault: { kind: 'server_error' }, counted };
    case 'delay':
      return { kind: 'delay', rule: name, ms: fault.ms, then: messageFor(b, fault.then), counted };
    case 'truncated_stream':
      return {
        kind: 'truncated',
        rule: name,
        after: fault.after,
        message: messageFor(b, fault.then),
        counted,
      };
    case 'malformed_json':
      return message(b, { content: malformedJson(fault.json ?? defaultJsonValue(script, req)) });
  }
}

/** The state after `outcome`: each rule in `outcome.counted` has its count bumped by one. */
export function advanceMockState(state: MockState, outcome: Pick<MockOutcome, 'counted'>): MockState {
  const ruleCounts = { ...state.ruleCounts };
  for (const name of outcome.counted) ruleCounts[name] = (ruleCounts[name] ?? 0) + 1;
  return { ...state, ruleCounts };
}
