/**
 * OpenAI's Responses API (`POST /v1/responses`) translated into the gateway's chat form. Stops the same
 * relay abuse as params.ts, for this API's fields: every accepted field is named below with why it may
 * pass, the known fields that would change billing, store data on the provider account or reach the
 * web are refused by name, anything else is refused as unknown. `store` is accepted and never
 * forwarded: the gateway keeps each response with the attempt itself, which is what
 * `previous_response_id` reads (only the same attempt's responses; see conversation.ts).
 */
import { z } from 'zod';
import type { LlmPolicy } from './policy.ts';
import {
  chatFields,
  invalid,
  isObject,
  parseChatRequest,
  parseAllowed,
  type ChatRequest,
  type Refusal,
} from './params.ts';

const REFUSED: Record<string, string> = {
  metadata: 'metadata only tags stored responses on the provider account',
  service_tier: "the gateway chooses the provider's service tier (it changes the price)",
  user: 'the gateway does not pass end-user identifiers to the provider',
  safety_identifier: 'the gateway does not pass end-user identifiers to the provider',
  prompt_cache_key: 'the gateway does not pass cache keys to the provider',
  background: 'background responses are not available here',
  conversation:
    'provider-side conversations are not available here: use previous_response_id or send the input',
  prompt: 'stored prompt templates are not available here',
  top_logprobs: 'log probabilities are not available here (the mock model used for grading has none)',
  max_tool_calls: 'only function tools are available here, and they run in your code',
};

const text = z.string().max(1_000_000);
/** Only text reaches the model (as in chat): images and files cost tokens no estimate bounds. */
const part = z
  .object({
    type: z.enum(['input_text', 'output_text', 'refusal'], {
      error: 'only text content is accepted here (input_text, output_text; no images or files)',
    }),
    text: z.string().optional(),
    refusal: z.string().optional(),
  })
  .refine((p) => typeof (p.type === 'refusal' ? p.refusal : p.text) === 'string', {
    error: 'a text part needs "text", a refusal part needs "refusal"',
  });
const content = z.union([text, z.array(part).max(256)], {
  error: 'expected a string or a list of input_text parts',
});

/** Input items: messages, function calls the model made, and their outputs (reasoning is dropped). */
const item = z.discriminatedUnion(
  'type',
  [
    z.object({
      type: z.literal('message'),
      role: z.enum(['user', 'assistant', 'system', 'developer']),
      content,
    }),
    z.object({
      type: z.literal('function_call'),
      call_id: z.string().min(1).max(256),
      name: z.string().min(1).max(64),
      arguments: z.string().max(1_000_000),
    }),
    z.object({
      type: z.literal('function_call_output'),
      call_id: z.string().min(1).max(256),
      output: content,
    }),
    z.object({ type: z.literal('reasoning') }),
  ],
  { error: 'expected a message, function_call, function_call_output or reasoning item' },
);
export type ResponsesItem = z.output<typeof item>;
/** `type` is optional on messages (`{ role, content }`): filled in before parsing. */
const withType = (v: unknown) =>
  isObject(v) && v.type === undefined && 'role' in v ? { ...v, type: 'message' } : v;

const shape = {
  /** Checked against the task's aliases and replaced by the upstream model. */
  model: z.string().min(1).max(200),
  input: z.union([text, z.array(z.preprocess(withType, item)).max(2000)]).optional(),
  /** A system message for this response only (not carried by previous_response_id, as upstream). */
  instructions: z.string().max(100_000).nullish(),
  previous_response_id: z.string().max(300).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_obfuscation: z.boolean().optional() }).nullish(),
  temperature: chatFields.temperature,
  top_p: chatFields.top_p,
  /** Capped by the task like max_tokens. */
  max_output_tokens: z.number().int().min(1).nullish(),
  tools: z
    .array(
      z.object({
        type: z.literal('function', { error: 'only function tools are available here' }),
        name: z.string().min(1).max(64),
        description: z.string().max(10_000).nullish(),
        parameters: z.record(z.string(), z.unknown()).nullish(),
        strict: z.boolean().nullish(),
      }),
    )
    .max(128)
    .nullish(),
  tool_choice: z
    .union([
      z.enum(['none', 'auto', 'required']),
      z.object({ type: z.literal('function'), name: z.string().max(64) }),
    ])
    .nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  text: z
    .object({
      format: z
        .object({
          type: z.enum(['text', 'json_object', 'json_schema']),
          name: z.string().max(64).optional(),
          description: z.string().max(10_000).optional(),
          schema: z.record(z.string(), z.unknown()).optional(),
          strict: z.boolean().nullish(),
        })
        .optional(),
      verbosity: z.enum(['low', 'medium', 'high']).nullish(),
    })
    .nullish(),
  reasoning: z.object({ effort: chatFields.reasoning_effort, summary: z.string().nullish() }).nullish(),
  /** Accepted, never forwarded (the gateway keeps responses with the attempt). */
  store: z.boolean().nullish(),
  truncation: z.literal('disabled', { error: 'only "disabled" is available here' }).nullish(),
  include: z.array(z.string()).max(0, { error: 'no extra output data is available here' }).nullish(),
};
const schema = z.object(shape);
export type ResponsesRequest = z.output<typeof schema>;

/** Validates a Responses request against the allow-list and the task's output cap. */
export function parseResponsesRequest(
  raw: unknown,
  budget: Pick<LlmPolicy['budget'], 'maxOutputTokens'>,
): { ok: true; value: ResponsesRequest } | { ok: false; error: Refusal } {
  const parsed = parseAllowed(schema, shape, REFUSED, raw);
  if (!parsed.ok) return parsed;
  const r = parsed.value;
  if (r.max_output_tokens != null && r.max_output_tokens > budget.maxOutputTokens) {
    return {
      ok: false,
      error: invalid(
        'max_output_tokens',
        `Invalid 'max_output_tokens': this task allows at most ${budget.maxOutputTokens} output tokens per response (got ${r.max_output_tokens}).`,
        'integer_above_max_value',
      ),
    };
  }
  if (r.text?.format?.type === 'json_schema' && (!r.text.format.name || !r.text.format.schema)) {
    return {
      ok: false,
      error: invalid('text.format', "Invalid 'text.format': json_schema needs a name and a schema."),
    };
  }
  return { ok: true, value: r };
}

/** The input as items (a string is one user message). */
export const inputItems = (r: Pick<ResponsesRequest, 'input'>): ResponsesItem[] =>
  typeof r.input === 'string' ? [{ type: 'message', role: 'user', content: r.input }] : (r.input ?? []);

const chatContent = (c: z.output<typeof content>, role: string) =>
  typeof c === 'string'
    ? c
    : c.map((p) =>
        p.type === 'refusal' && role === 'assistant'
          ? { type: 'refusal' as const, refusal: p.refusal ?? '' }
          : { type: 'text' as const, text: p.text ?? p.refusal ?? '' },
      );
const flatText = (c: z.output<typeof content>) =>
  typeof c === 'string' ? c : c.map((p) => p.text ?? p.refusal ?? '').join('');

type ChatMessage = ChatRequest['messages'][number];

/** Items as chat messages: function calls join the assistant turn before them; outputs are tool messages. */
export function itemsToMessages(items: ResponsesItem[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const it of items) {
    if (it.type === 'message') out.push({ role: it.role, content: chatContent(it.content, it.role) });
    else if (it.type === 'function_call') {
      const call = {
        id: it.call_id,
        type: 'function' as const,
        function: { name: it.name, arguments: it.arguments },
      };
      const last = out.at(-1);
      if (last?.role === 'assistant') last.tool_calls = [...(last.tool_calls ?? []), call];
      else out.push({ role: 'assistant', content: null, tool_calls: [call] });
    } else if (it.type === 'function_call_output')
      out.push({ role: 'tool', tool_call_id: it.call_id, content: flatText(it.output) });
  }
  return out;
}

/**
 * The chat request the gateway sends for a Responses request: `instructions` as the first system
 * message, then the earlier turns (`history`, from previous_response_id), then this input.
 */
export function responsesToChat(
  r: ResponsesRequest,
  history: ResponsesItem[],
  budget: Pick<LlmPolicy['budget'], 'maxChoices' | 'maxOutputTokens'>,
) {
  const messages: ChatMessage[] = [
    ...(r.instructions ? [{ role: 'system' as const, content: r.instructions }] : []),
    ...itemsToMessages([...history, ...inputItems(r)]),
  ];
  const f = r.text?.format;
  const chat: Record<string, unknown> = {
    model: r.model,
    messages,
    stream: r.stream ?? undefined,
    temperature: r.temperature,
    top_p: r.top_p,
    max_completion_tokens: r.max_output_tokens,
    reasoning_effort: r.reasoning?.effort,
    tools: r.tools?.map((t) => ({
      type: 'function',
      function: {
        name: t.name,
        ...(t.description ? { description: t.description } : {}),
        ...(t.parameters ? { parameters: t.parameters } : {}),
        // Function tools are strict by default in the Responses API.
        strict: t.strict ?? true,
      },
    })),
    tool_choice:
      typeof r.tool_choice === 'object' && r.tool_choice
        ? { type: 'function', function: { name: r.tool_choice.name } }
        : r.tool_choice,
    parallel_tool_calls: r.parallel_tool_calls,
    response_format:
      f && f.type === 'json_schema'
        ? {
            type: 'json_schema',
            json_schema: {
              name: f.name!,
              schema: f.schema,
              ...(f.description ? { description: f.description } : {}),
              strict: f.strict ?? false,
            },
          }
        : f
          ? { type: f.type }
          : undefined,
  };
  for (const k of Object.keys(chat)) if (chat[k] === undefined || chat[k] === null) delete chat[k];
  if (messages.length === 0)
    return { ok: false as const, error: invalid('input', "Invalid 'input': the request has no input.") };
  return parseChatRequest(chat, budget);
}
