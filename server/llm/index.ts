/**
 * The LLM upstreams the gateway forwards to: `mock` (deterministic, scripted per task, offline),
 * `openai` (the openai SDK against any OpenAI-compatible server) and `anthropic` (anthropic.ts). The provider key lives only here,
 * in the server process: it is never sent to a sandbox, a log line or an API response.
 */
import OpenAI from 'openai';
import { systemClock, type Clock } from '../platform/index.ts';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
} from 'openai/resources/chat/completions';
import {
  countTokens,
  DEFAULT_MODELS,
  mockEmbedding,
  mockRespond,
  promptTokens,
  type MockMessage,
  type MockMessageOutcome,
  type MockOutcome,
  type MockScript,
} from './mock/index.ts';
import { mapUpstreamError, UpstreamError } from './upstream-errors.ts';

export { scrubSecrets, UpstreamError, type UpstreamFailure } from './upstream-errors.ts';

export interface ChatCall {
  attemptId: string;
  /** The id of this call (for deterministic completion ids). */
  callId: string;
  /** The model name the candidate used (an alias from the task's policy). */
  alias: string;
  /** The upstream model the alias maps to. */
  model: string;
  /**
   * The request body to send: the gateway's allow-listed copy of the candidate's request with the
   * output cap set (server/llm-gateway/params.ts), never the raw body.
   */
  body: Record<string, unknown> & { messages: unknown[] };
  stream: boolean;
  script?: MockScript;
  /** How often each mock rule already answered this key (the mock's `call:` conditions). */
  ruleCounts: Record<string, number>;
  signal: AbortSignal;
}

export type ChatOutcome =
  | {
      kind: 'completion';
      completion: ChatCompletion;
      rule?: string | null;
      /** Mock rules whose conditions held (they count toward `call:` conditions). */
      ruleHits?: string[];
      /** Wait this long before answering (scripted slowness). */
      delayMs?: number;
      /** Cut the answer after this many characters of content (scripted broken stream). */
      truncateAfter?: number;
    }
  /** Chunks passed through from the upstream; a stream that breaks off throws an UpstreamError. */
  | { kind: 'stream'; chunks: AsyncIterable<ChatCompletionChunk> }
  | {
      kind: 'error';
      status: number;
      type: string;
      code: string;
      /** Our own words (scripted by the task for the mock): safe to show the candidate. */
      message: string;
      param?: string | null;
      retryAfter?: number;
      /** false: an SDK should not retry (the failure will not go away). */
      retryable?: boolean;
      /** The upstream's original error text, scrubbed, for the server log only. */
      detail?: string;
      upstreamStatus?: number;
      /** The provider may have billed the call without our seeing its usage (see upstream-errors.ts). */
      mayHaveBilled?: boolean;
      rule?: string | null;
      ruleHits?: string[];
    };

/** The upstreams a task's model alias can name (manifest `llm.models[].provider`). */
export type LlmProvider = 'mock' | 'openai' | 'anthropic';

export interface LlmUpstream {
  readonly name: LlmProvider;
  /** Model ids the upstream serves. */
  models(): Promise<string[]>;
  chat(call: ChatCall): Promise<ChatOutcome>;
  /**
   * The prompt tokens this upstream will bill for these messages, when it can tell without a call
   * (the mock, whose count is exact). Others leave it out and the gateway estimates.
   */
  countPromptTokens?(messages: readonly unknown[]): number;
  /** Throws an UpstreamError when the upstream fails. */
  embed(call: {
    model: string;
    input: string[];
    dimensions?: number;
    signal: AbortSignal;
  }): Promise<{ vectors: number[][]; promptTokens: number }>;
}

/** The mock's reply as a completion: `n` identical choices (the mock is deterministic), each billed. */
function completionOf(call: ChatCall, o: MockMessageOutcome, created: number): ChatCompletion {
  const n = typeof call.body.n === 'number' && call.body.n > 1 ? call.body.n : 1;
  return {
    id: `chatcmpl-${call.callId}`,
    object: 'chat.completion',
    created,
    model: call.alias,
    choices: Array.from({ length: n }, (_, index) => ({
      index,
      message: {
        role: 'assistant' as const,
        content: o.content,
        refusal: null,
        ...(o.toolCalls?.length ? { tool_calls: o.toolCalls } : {}),
      },
      finish_reason: o.finishReason,
      logprobs: null,
    })),
    usage: {
      prompt_tokens: o.usage.promptTokens,
      completion_tokens: n * o.usage.completionTokens,
      total_tokens: o.usage.promptTokens + n * o.usage.completionTokens,
    },
  };
}

/**
 * The built-in deterministic model, scripted by the task's llm/mock.yaml. Its `created` timestamps
 * come from the injected clock (the app's, so a FakeClock pins them in tests); a scripted delay is
 * returned as `delayMs` and waited out by the gateway, which owns the request's abort signal.
 */
export function mockUpstream(clock: Clock = systemClock): LlmUpstream {
  const toOutcome = (call: ChatCall, o: MockOutcome): ChatOutcome => {
    const created = Math.floor(clock.now() / 1000);
    const ruleHits = o.counted;
    if (o.kind === 'message')
      return { kind: 'completion', completion: completionOf(call, o, created), rule: o.rule, ruleHits };
    if (o.kind === 'delay')
      return {
        kind: 'completion',
        completion: completionOf(call, o.then, created),
        rule: o.rule,
        ruleHits,
        delayMs: o.ms,
      };
    if (o.kind === 'truncated') {
      return {
        kind: 'completion',
        completion: completionOf(call, o.message, created),
        rule: o.rule,
        ruleHits,
        truncateAfter: o.after,
      };
    }
    if (o.fault.kind === 'rate_limit') {
      return {
        kind: 'error',
        status: 429,
        type: 'requests',
        code: 'rate_limit_exceeded',
        message: `Rate limit reached for ${call.alias} (scripted by the task). Please try again in ${o.fault.retryAfter}s.`,
        retryAfter: o.fault.retryAfter,
        rule: o.rule,
        ruleHits,
      };
    }
    return {
      kind: 'error',
      status: 500,
      type: 'server_error',
      code: 'server_error',
      message: 'The server had an error while processing your request (scripted by the task).',
      rule: o.rule,
      ruleHits,
    };
  };
  return {
    name: 'mock',
    models: async () => [...DEFAULT_MODELS],
    async chat(call) {
      const o = mockRespond(call.script, call.body as never, {
        ruleCounts: call.ruleCounts,
        attemptId: call.attemptId,
      });
      return toOutcome(call, o);
    },
    countPromptTokens: (messages) => promptTokens(messages as MockMessage[]),
    async embed({ input, dimensions }) {
      return {
        vectors: input.map((t) => mockEmbedding(t, dimensions)),
        promptTokens: input.reduce((n, t) => n + countTokens(t), 0),
      };
    },
  };
}

/** Any OpenAI-compatible server through the openai SDK. */
export function openaiUpstream(opts: { apiKey: string; baseURL?: string; timeoutMs?: number }): LlmUpstream {
  // No SDK retries here: the candidate's own client decides how to handle upstream errors.
  const client = new OpenAI({
    apiKey: opts.apiKey,
    baseURL: opts.baseURL,
    maxRetries: 0,
    timeout: opts.timeoutMs ?? 120_000,
  });
  // Upstream error text never leaves the server as it came (see upstream-errors.ts).
  const secrets = [opts.apiKey];
  const fail = (err: unknown) => mapUpstreamError(err, secrets);
  const asError = (err: unknown): ChatOutcome => ({ kind: 'error', ...fail(err) });
  /** Passes chunks through; a stream that breaks off (an error event, a dropped connection) throws mapped. */
  async function* guarded(chunks: AsyncIterable<ChatCompletionChunk>): AsyncGenerator<ChatCompletionChunk> {
    try {
      yield* chunks;
    } catch (err) {
      throw new UpstreamError(fail(err));
    }
  }
  return {
    name: 'openai',
    async models() {
      const out: string[] = [];
      for await (const m of client.models.list()) out.push(m.id);
      return out;
    },
    async chat(call) {
      const body = { ...call.body, model: call.model };
      try {
        if (call.stream) {
          // Usage is always requested, so streamed calls count against the token budget too.
          const params = {
            ...body,
            stream: true,
            stream_options: {
              ...((body as { stream_options?: object }).stream_options ?? {}),
              include_usage: true,
            },
          } as unknown as ChatCompletionCreateParamsStreaming;
          const stream = await client.chat.completions.create(params, { signal: call.signal });
          return { kind: 'stream', chunks: guarded(stream) };
        }
        const params = { ...body, stream: false } as unknown as ChatCompletionCreateParamsNonStreaming;
        const completion = await client.chat.completions.create(params, { signal: call.signal });
        return { kind: 'completion', completion: { ...completion, model: call.alias } };
      } catch (err) {
        return asError(err);
      }
    },
    async embed({ model, input, dimensions, signal }) {
      try {
        const r = await client.embeddings.create(
          { model, input, encoding_format: 'float', ...(dimensions ? { dimensions } : {}) },
          { signal },
        );
        return { vectors: r.data.map((d) => d.embedding), promptTokens: r.usage?.prompt_tokens ?? 0 };
      } catch (err) {
        throw new UpstreamError(fail(err));
      }
    },
  };
}
export { parseMockScript } from './mock/index.ts';
import { anthropicUpstream } from './anthropic.ts';
export { anthropicUpstream, chatToAnthropic, anthropicToChat } from './anthropic.ts';

/**
 * The deployment's upstreams: `default` (LLM_UPSTREAM) serves aliases that name no provider; the
 * others serve aliases that name theirs. The mock is always available.
 */
export interface Upstreams {
  default: LlmUpstream;
  providers?: Partial<Record<LlmProvider, LlmUpstream>>;
}

/** The upstreams a deployment's configuration gives: every provider with a key, the default by LLM_UPSTREAM. */
export function upstreamsFromConfig(
  config: {
    llmUpstream: LlmProvider;
    openaiApiKey?: string;
    openaiBaseUrl?: string;
    anthropicApiKey?: string;
    anthropicBaseUrl?: string;
  },
  clock: Clock = systemClock,
): Upstreams {
  const providers: Partial<Record<LlmProvider, LlmUpstream>> = { mock: mockUpstream(clock) };
  if (config.openaiApiKey)
    providers.openai = openaiUpstream({ apiKey: config.openaiApiKey, baseURL: config.openaiBaseUrl });
  if (config.anthropicApiKey)
    providers.anthropic = anthropicUpstream({
      apiKey: config.anthropicApiKey,
      baseURL: config.anthropicBaseUrl,
      clock,
    });
  return { default: providers[config.llmUpstream] ?? providers.mock!, providers };
}

/** The upstream for an alias's provider, or undefined when the deployment has not configured it. */
export function upstreamFor(
  u: Upstreams,
  provider: LlmProvider | undefined,
  clock: Clock,
): LlmUpstream | undefined {
  if (!provider || u.default.name === provider) return u.default;
  const named = u.providers?.[provider];
  if (named) return named;
  return provider === 'mock' ? mockUpstream(clock) : undefined;
}
export type { MockScript } from './mock/index.ts';
