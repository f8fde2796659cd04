/**
 * Anthropic's Messages API (`POST /v1/messages`) translated into the gateway's chat form. Stops the
 * same relay abuse as params.ts for this API: each accepted field is named with why it may pass;
 * fields that would change the account's billing (`service_tier`), speak for its users (`metadata`),
 * run tools on the provider's side (server tools, `mcp_servers`, `container`) or buy unbounded
 * thinking are refused by name, and anything else is refused as unknown. Only text, `tool_use` and
 * `tool_result` content reaches the model.
 */
import { z } from 'zod';
import type { LlmPolicy } from './policy.ts';
import {
  chatFields,
  invalid,
  parseChatRequest,
  parseAllowed,
  type ChatRequest,
  type Refusal,
} from './params.ts';

const REFUSED: Record<string, string> = {
  metadata: 'the gateway does not pass end-user identifiers to the provider',
  service_tier: "the gateway chooses the provider's service tier (it changes the price)",
  thinking: 'extended thinking is not available here',
  top_k: 'top_k is not available here (not every model behind this gateway has it)',
  container: 'code execution containers are not available here',
  mcp_servers: 'MCP servers are not available here: tools run in your code',
  context_management: 'context management is not available here',
  inference_geo: 'the gateway chooses where the provider runs the model',
};

const textBlock = z.object({ type: z.literal('text'), text: z.string().max(1_000_000) });
const block = z.discriminatedUnion(
  'type',
  [
    textBlock,
    z.object({
      type: z.literal('tool_use'),
      id: z.string().min(1).max(256),
      name: z.string().min(1).max(64),
      input: z.unknown(),
    }),
    z.object({
      type: z.literal('tool_result'),
      tool_use_id: z.string().min(1).max(256),
      content: z.union([z.string().max(1_000_000), z.array(textBlock).max(256)]).optional(),
      is_error: z.boolean().optional(),
    }),
    // Replayed from an earlier answer; nothing in them is for the model to read again.
    z.object({ type: z.literal('thinking') }),
    z.object({ type: z.literal('redacted_thinking') }),
  ],
  { error: 'only text, tool_use and tool_result content blocks are accepted here (no images or documents)' },
);
type Block = z.output<typeof block>;

const shape = {
  /** Checked against the task's aliases and replaced by the upstream model. */
  model: z.string().min(1).max(200),
  /** Required by this API; capped by the task (maxOutputTokens). */
  max_tokens: z.number({ error: 'Field required' }).int().min(1),
  messages: z
    .array(
      z.object({
        role: z.enum(['user', 'assistant']),
        content: z.union([z.string().max(1_000_000), z.array(block).max(256)]),
      }),
    )
    .min(1)
    .max(2000),
  system: z.union([z.string().max(100_000), z.array(textBlock).max(64)]).optional(),
  stream: z.boolean().optional(),
  /** Sampling controls: they change which tokens come out, not how many or who pays. */
  temperature: z.number().min(0).max(1).optional(),
  top_p: chatFields.top_p,
  stop_sequences: z.array(z.string().max(1000)).max(4).optional(),
  /** Client tools only: the model answers with tool_use blocks, the candidate's code runs them. */
  tools: z
    .array(
      z.object({
        type: z
          .literal('custom', { error: 'only client tools (name, input_schema) are available here' })
          .optional(),
        name: z.string().min(1).max(64),
        description: z.string().max(10_000).optional(),
        input_schema: z.record(z.string(), z.unknown()),
      }),
    )
    .max(128)
    .optional(),
  tool_choice: z
    .discriminatedUnion('type', [
      z.object({ type: z.literal('auto'), disable_parallel_tool_use: z.boolean().optional() }),
      z.object({ type: z.literal('any'), disable_parallel_tool_use: z.boolean().optional() }),
      z.object({
        type: z.literal('tool'),
        name: z.string().max(64),
        disable_parallel_tool_use: z.boolean().optional(),
      }),
      z.object({ type: z.literal('none') }),
    ])
    .optional(),
};
const schema = z.object(shape);
export type MessagesRequest = z.output<typeof schema>;

/** Validates a Messages request against the allow-list and the task's output cap. */
export function parseMessagesRequest(
  raw: unknown,
  budget: Pick<LlmPolicy['budget'], 'maxOutputTokens'>,
): { ok: true; value: MessagesRequest } | { ok: false; error: Refusal } {
  const parsed = parseAllowed(schema, shape, REFUSED, raw);
  if (!parsed.ok) return parsed;
  if (parsed.value.max_tokens > budget.maxOutputTokens) {
    return {
      ok: false,
      error: invalid(
        'max_tokens',
        `max_tokens: this task allows at most ${budget.maxOutputTokens} output tokens per message (got ${parsed.value.max_tokens}).`,
      ),
    };
  }
  return parsed;
}

/**
 * `/v1/messages/count_tokens`: the fields that make up a prompt (no output or sampling controls, as
 * Anthropic documents it), under the same allow-list.
 */
const { max_tokens: _m, stream: _s, temperature: _t, top_p: _p, stop_sequences: _q, ...countShape } = shape;
const countSchema = z.object(countShape);
export type CountTokensRequest = z.output<typeof countSchema>;

export function parseCountTokensRequest(
  raw: unknown,
): { ok: true; value: CountTokensRequest } | { ok: false; error: Refusal } {
  return parseAllowed(countSchema, countShape, REFUSED, raw);
}

type ChatMessage = ChatRequest['messages'][number];

const blocksOf = (c: string | Block[]): Block[] => (typeof c === 'string' ? [{ type: 'text', text: c }] : c);
const resultText = (c: string | Array<{ text: string }> | undefined) =>
  typeof c === 'string' ? c : (c ?? []).map((b) => b.text).join('\n');

/** Anthropic turns as chat messages: tool_result blocks become tool messages, tool_use blocks tool calls. */
export function messagesToChat(
  r: MessagesRequest,
  budget: Pick<LlmPolicy['budget'], 'maxChoices' | 'maxOutputTokens'>,
) {
  const messages: ChatMessage[] = [];
  const system = typeof r.system === 'string' ? r.system : r.system?.map((b) => b.text).join('\n');
  if (system) messages.push({ role: 'system', content: system });
  for (const m of r.messages) {
    const blocks = blocksOf(m.content);
    const text = blocks.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('\n');
    if (m.role === 'assistant') {
      const calls = blocks.flatMap((b) =>
        b.type === 'tool_use'
          ? [
              {
                id: b.id,
                type: 'function' as const,
                function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) },
              },
            ]
          : [],
      );
      messages.push({
        role: 'assistant',
        content: text || (calls.length ? null : ''),
        ...(calls.length ? { tool_calls: calls } : {}),
      });
      continue;
    }
    // Tool results answer the previous assistant turn, so they come before the user's text.
    for (const b of blocks)
      if (b.type === 'tool_result')
        messages.push({
          role: 'tool',
          tool_call_id: b.tool_use_id,
          content: `${b.is_error ? 'ERROR: ' : ''}${resultText(b.content)}`,
        });
    if (text || !blocks.some((b) => b.type === 'tool_result')) messages.push({ role: 'user', content: text });
  }
  const choice = r.tool_choice;
  const chat: Record<string, unknown> = {
    model: r.model,
    messages,
    stream: r.stream,
    temperature: r.temperature,
    top_p: r.top_p,
    stop: r.stop_sequences,
    max_tokens: r.max_tokens,
    tools: r.tools?.map((t) => ({
      type: 'function',
      function: {
        name: t.name,
        ...(t.description ? { description: t.description } : {}),
        parameters: t.input_schema,
      },
    })),
    tool_choice:
      choice === undefined
        ? undefined
        : choice.type === 'tool'
          ? { type: 'function', function: { name: choice.name } }
          : { auto: 'auto', any: 'required', none: 'none' }[choice.type],
    parallel_tool_calls:
      choice && 'disable_parallel_tool_use' in choice && choice.disable_parallel_tool_use ? false : undefined,
  };
  if (!r.tools?.length) {
    delete chat.tool_choice;
    delete chat.parallel_tool_calls;
  }
  for (const k of Object.keys(chat)) if (chat[k] === undefined) delete chat[k];
  return parseChatRequest(chat, budget);
}
