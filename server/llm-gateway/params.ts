/**
 * What a candidate may ask the upstream for. Stops: the gateway as a parameter relay onto the
 * provider account. Forwarding the request body as sent let a candidate buy 5000 choices on a
 * 20 000-token budget (`n`), ask for unbounded output, change the account's billing tier
 * (`service_tier`), have the provider store conversations and tag them (`store`, `metadata`), speak
 * for the account's end users (`user`), or make the provider fetch the web. Now each endpoint has an
 * allow-list: every field is named below with why it may pass; anything else is refused with an
 * OpenAI-shaped 400 naming the field (a silently dropped field would make the candidate's code behave
 * differently from what they wrote). `n` and the output length are capped by the task.
 */
import { z } from 'zod';
import type { OpenAiError } from './errors.ts';
import type { LlmPolicy } from './policy.ts';

export type Refusal = OpenAiError & { status: 400 };

/** Known OpenAI fields the gateway refuses, with the reason the candidate is told. */
const REFUSED_CHAT: Record<string, string> = {
  store: 'stored completions would keep your conversation on the provider account',
  metadata: 'metadata only tags stored completions, which this gateway does not allow',
  service_tier: "the gateway chooses the provider's service tier (it changes the price)",
  user: 'the gateway does not pass end-user identifiers to the provider',
  safety_identifier: 'the gateway does not pass end-user identifiers to the provider',
  prompt_cache_key: 'the gateway does not pass cache keys to the provider',
  logprobs: 'log probabilities are not available here (the mock model used for grading has none)',
  top_logprobs: 'log probabilities are not available here (the mock model used for grading has none)',
  modalities: 'only text output is available here',
  audio: 'only text output is available here',
  prediction: 'predicted outputs are not available here (rejected predictions are billed)',
  web_search_options: 'the model cannot search the web from here',
  functions: 'deprecated: use tools',
  function_call: 'deprecated: use tool_choice',
};
const REFUSED_EMBEDDINGS: Record<string, string> = {
  user: 'the gateway does not pass end-user identifiers to the provider',
};

const num = (min: number, max: number) => z.number().min(min).max(max).nullish();
const int = (min: number) => z.number().int().min(min).nullish();

/** Only text reaches the model: images, audio and files cost tokens no estimate bounds, and the mock has none. */
const contentPart = z
  .object({
    type: z.enum(['text', 'refusal'], {
      error: 'only text content parts are accepted here (no images, audio or files)',
    }),
    text: z.string().optional(),
    refusal: z.string().optional(),
  })
  .refine((p) => typeof (p.type === 'text' ? p.text : p.refusal) === 'string', {
    error: 'a text part needs "text", a refusal part needs "refusal"',
  });

/**
 * A message keeps only the fields a model reads; anything else on it is dropped, not refused: code
 * appends the reply objects it received (`annotations`, provider extras like `reasoning_content`),
 * and those are the conversation's record, not requests of the provider account.
 */
const parts = z.array(contentPart).max(256);
const message = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  // A string or a list of parts; checked by hand so a bad part is named (a union names only `content`).
  content: z.unknown().superRefine((v, ctx) => {
    if (v === undefined || v === null || typeof v === 'string') return;
    if (!Array.isArray(v)) {
      ctx.addIssue({ code: 'custom', message: 'expected a string or a list of content parts' });
      return;
    }
    for (const issue of parts.safeParse(v).error?.issues ?? [])
      ctx.addIssue({ ...issue, code: 'custom', path: issue.path });
  }) as z.ZodType<string | z.output<typeof parts> | null | undefined>,
  name: z.string().max(256).optional(),
  refusal: z.string().nullish(),
  tool_call_id: z.string().max(256).optional(),
  tool_calls: z
    .array(
      z.object({
        id: z.string().max(256),
        type: z.literal('function'),
        function: z.object({ name: z.string().max(256), arguments: z.string() }),
      }),
    )
    .max(128)
    .optional(),
});

/** The chat fields that may reach the upstream, each with why. */
const chatShape = {
  /** Checked against the task's aliases and replaced by the upstream model. */
  model: z.string().min(1).max(200),
  messages: z.array(message).min(1).max(2000),
  /** Streaming changes how the answer travels, not what it costs (usage is always requested). */
  stream: z.boolean().nullish(),
  stream_options: z.strictObject({ include_usage: z.boolean().optional() }).nullish(),
  /** Sampling controls: they change which tokens come out, not how many or who pays. */
  temperature: num(0, 2),
  top_p: num(0, 1),
  frequency_penalty: num(-2, 2),
  presence_penalty: num(-2, 2),
  seed: z.number().int().nullish(),
  stop: z.union([z.string().max(1000), z.array(z.string().max(1000)).max(4)]).nullish(),
  logit_bias: z.record(z.string().regex(/^\d{1,7}$/), z.number().min(-100).max(100)).nullish(),
  /** Capped by the task (maxOutputTokens, maxChoices): they set the call's worst-case cost. */
  max_tokens: int(1),
  max_completion_tokens: int(1),
  n: int(1),
  /** Reasoning tokens are output tokens: bounded by the output cap like the rest. */
  reasoning_effort: z.enum(['minimal', 'low', 'medium', 'high']).nullish(),
  /** Function tools and structured output: the model answers in a shape, nothing runs upstream. */
  tools: z
    .array(
      z.object({
        type: z.literal('function', { error: 'only function tools are available here' }),
        function: z.object({
          name: z.string().min(1).max(64),
          description: z.string().max(10_000).optional(),
          parameters: z.record(z.string(), z.unknown()).optional(),
          strict: z.boolean().nullish(),
        }),
      }),
    )
    .max(128)
    .nullish(),
  tool_choice: z
    .union([
      z.enum(['none', 'auto', 'required']),
      z.object({ type: z.literal('function'), function: z.object({ name: z.string().max(64) }) }),
    ])
    .nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  response_format: z
    .object({
      type: z.enum(['text', 'json_object', 'json_schema']),
      json_schema: z
        .object({
          name: z.string().max(64),
          description: z.string().max(10_000).optional(),
          schema: z.record(z.string(), z.unknown()).optional(),
          strict: z.boolean().nullish(),
        })
        .optional(),
    })
    .nullish(),
  /** `store: false` is accepted (it is the default, and careful code sends it) and not forwarded. */
  store: z.literal(false, { error: REFUSED_CHAT.store! }).nullish(),
};
const chatSchema = z.object(chatShape);
/** The chat fields the other APIs are translated into (their tools, tool_choice, response_format). */
export const chatFields = chatShape;
export type ChatRequest = z.output<typeof chatSchema>;

/** The embeddings fields that may reach the upstream. */
const embeddingsShape = {
  model: z.string().min(1).max(200),
  input: z.union([z.string().max(100_000), z.array(z.string().max(100_000)).min(1).max(256)], {
    error: 'input must be a string or a list of strings',
  }),
  /** The gateway always asks the upstream for floats and encodes the answer itself. */
  encoding_format: z.enum(['float', 'base64']).optional(),
  /** Shorter vectors: less output, same price. */
  dimensions: z.number().int().min(1).max(4096).optional(),
};
const embeddingsSchema = z.object(embeddingsShape);
export type EmbeddingsRequest = z.output<typeof embeddingsSchema>;

export const invalid = (param: string | null, message: string, code = 'invalid_request'): Refusal => ({
  status: 400,
  type: 'invalid_request_error',
  code,
  param,
  message,
});

/** The first top-level field that is refused or unknown, as a 400. */
export function unknownField(raw: Record<string, unknown>, shape: object, refused: Record<string, string>) {
  for (const key of Object.keys(raw)) {
    // Own keys only: `toString` or `__proto__` are not fields of ours.
    if (Object.hasOwn(shape, key) && !(key === 'store' && raw.store === true && Object.hasOwn(refused, key)))
      continue;
    if (Object.hasOwn(refused, key))
      return invalid(key, `Unsupported parameter: '${key}': ${refused[key]}.`, 'unsupported_parameter');
    return invalid(key, `Unrecognized request argument supplied: ${key}`, 'unknown_parameter');
  }
  return undefined;
}

export function parse<T>(
  schema: z.ZodType<T>,
  raw: unknown,
): { ok: true; value: T } | { ok: false; error: Refusal } {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  const i = parsed.error.issues[0]!;
  const where = i.path.join('.');
  return { ok: false, error: invalid(where || null, `Invalid request: ${where || 'body'}: ${i.message}`) };
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** An API's request body against its allow-list (refused or unknown top-level fields first), then its schema. */
export function parseAllowed<T>(
  schema: z.ZodType<T>,
  shape: object,
  refused: Record<string, string>,
  raw: unknown,
): { ok: true; value: T } | { ok: false; error: Refusal } {
  if (isObject(raw)) {
    const field = unknownField(raw, shape, refused);
    if (field) return { ok: false, error: field };
  }
  return parse(schema, raw);
}

/** Validates a chat request against the allow-list and the task's caps. */
export function parseChatRequest(
  raw: unknown,
  budget: Pick<LlmPolicy['budget'], 'maxChoices' | 'maxOutputTokens'>,
): { ok: true; value: ChatRequest } | { ok: false; error: Refusal } {
  const parsed = parseAllowed(chatSchema, chatShape, REFUSED_CHAT, raw);
  if (!parsed.ok) return parsed;
  const r = parsed.value;
  if ((r.n ?? 1) > budget.maxChoices) {
    const allowed = `${budget.maxChoices} choice${budget.maxChoices === 1 ? '' : 's'}`;
    return {
      ok: false,
      error: invalid(
        'n',
        `Invalid 'n': this task allows at most ${allowed} per request (got ${r.n}).`,
        'integer_above_max_value',
      ),
    };
  }
  if (r.max_tokens != null && r.max_completion_tokens != null) {
    return { ok: false, error: invalid('max_tokens', 'Set max_tokens or max_completion_tokens, not both.') };
  }
  for (const cap of ['max_tokens', 'max_completion_tokens'] as const) {
    const v = r[cap];
    if (v != null && v > budget.maxOutputTokens) {
      return {
        ok: false,
        error: invalid(
          cap,
          `Invalid '${cap}': this task allows at most ${budget.maxOutputTokens} output tokens per choice (got ${v}).`,
          'integer_above_max_value',
        ),
      };
    }
  }
  return { ok: true, value: r };
}

/** Validates an embeddings request against the allow-list. */
export function parseEmbeddingsRequest(
  raw: unknown,
): { ok: true; value: EmbeddingsRequest } | { ok: false; error: Refusal } {
  return parseAllowed(embeddingsSchema, embeddingsShape, REFUSED_EMBEDDINGS, raw);
}

/** The output cap the candidate asked for (per choice), if any. */
export const requestedOutput = (r: ChatRequest) => r.max_completion_tokens ?? r.max_tokens ?? undefined;

/**
 * The body sent upstream: the validated fields only (unknown message fields already dropped), the
 * output cap always set (in the field the candidate used; `max_completion_tokens` otherwise, which
 * reasoning models require), `store` never sent.
 */
export function forwardChat(r: ChatRequest, outputCap: number): ChatRequest & { messages: unknown[] } {
  const { store: _store, max_tokens, max_completion_tokens: _mct, ...rest } = r;
  const forward: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rest)) if (v !== undefined && v !== null) forward[k] = v;
  forward[max_tokens != null ? 'max_tokens' : 'max_completion_tokens'] = outputCap;
  return forward as ChatRequest & { messages: unknown[] };
}

/**
 * A conservative estimate of a chat request's prompt tokens, to reserve before the call (the real
 * count is settled afterwards): UTF-8 bytes of what the model reads / 3. BPE tokenizers average about
 * 4 bytes a token on English and about 3 on CJK text, so this over-reserves on most prompts; the mock
 * tokenizer (characters / 4) never counts more.
 */
export function estimatePromptTokens(r: ChatRequest): number {
  const read = JSON.stringify([
    r.messages,
    r.tools ?? null,
    r.response_format ?? null,
    r.tool_choice ?? null,
  ]);
  return Math.ceil(Buffer.byteLength(read, 'utf8') / 3);
}

/** The same estimate for embedding inputs. */
export function estimateInputTokens(r: EmbeddingsRequest): number {
  const inputs = typeof r.input === 'string' ? [r.input] : r.input;
  return inputs.reduce((n, t) => n + 1 + Math.ceil(Buffer.byteLength(t, 'utf8') / 3), 0);
}
