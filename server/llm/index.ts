/**
 * The LLM upstream the gateway forwards to: `mock` (deterministic, scripted per task, offline) or
 * `openai` (the openai SDK against any OpenAI-compatible server). The provider key lives only here,
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
  type MockMessageOutcome,
  type MockOutcome,
  type MockScript,
} from './mock/index.ts';

export interface ChatCall {
  attemptId: string;
  /** The id of this call (for deterministic completion ids). */
  callId: string;
  /** The model name the candidate used (an alias from the task's policy). */
  alias: string;
  /** The upstream model the alias maps to. */
  model: string;
  /** The request body as the candidate sent it. */
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
  | { kind: 'stream'; chunks: AsyncIterable<ChatCompletionChunk> }
  | {
      kind: 'error';
      status: number;
      type: string;
      code: string;
      message: string;
      retryAfter?: number;
      rule?: string | null;
      ruleHits?: string[];
    };

export interface LlmUpstream {
  readonly name: 'mock' | 'openai';
  /** Model ids the upstream serves. */
  models(): Promise<string[]>;
  chat(call: ChatCall): Promise<ChatOutcome>;
  embed(call: {
    model: string;
    input: string[];
    signal: AbortSignal;
  }): Promise<{ vectors: number[][]; promptTokens: number }>;
}

function completionOf(call: ChatCall, o: MockMessageOutcome, created: number): ChatCompletion {
  return {
    id: `chatcmpl-${call.callId}`,
    object: 'chat.completion',
    created,
    model: call.alias,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: o.content,
          refusal: null,
          ...(o.toolCalls?.length ? { tool_calls: o.toolCalls } : {}),
        },
        finish_reason: o.finishReason,
        logprobs: null,
      },
    ],
    usage: {
      prompt_tokens: o.usage.promptTokens,
      completion_tokens: o.usage.completionTokens,
      total_tokens: o.usage.promptTokens + o.usage.completionTokens,
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
    async embed({ input }) {
      return {
        vectors: input.map((t) => mockEmbedding(t)),
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
  const asError = (err: unknown): ChatOutcome => {
    if (err instanceof OpenAI.APIError) {
      const retryAfter = Number(err.headers?.get?.('retry-after'));
      return {
        kind: 'error',
        status: err.status ?? 502,
        type: (err.type as string) ?? 'upstream_error',
        code: (err.code as string) ?? 'upstream_error',
        // The upstream's message can echo request details but never our provider key.
        message: `upstream: ${err.message}`.replaceAll(opts.apiKey, '[redacted]'),
        ...(Number.isFinite(retryAfter) ? { retryAfter } : {}),
      };
    }
    return {
      kind: 'error',
      status: 502,
      type: 'upstream_error',
      code: 'upstream_unreachable',
      message: 'the upstream model provider could not be reached',
    };
  };
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
          return { kind: 'stream', chunks: stream };
        }
        const params = { ...body, stream: false } as unknown as ChatCompletionCreateParamsNonStreaming;
        const completion = await client.chat.completions.create(params, { signal: call.signal });
        return { kind: 'completion', completion: { ...completion, model: call.alias } };
      } catch (err) {
        return asError(err);
      }
    },
    async embed({ model, input, signal }) {
      try {
        const r = await client.embeddings.create({ model, input, encoding_format: 'float' }, { signal });
        return { vectors: r.data.map((d) => d.embedding), promptTokens: r.usage?.prompt_tokens ?? 0 };
      } catch (err) {
        // Providers echo the key in some errors; what leaves here never contains it.
        throw new Error(
          `upstream: ${err instanceof Error ? err.message : String(err)}`.replaceAll(
            opts.apiKey,
            '[redacted]',
          ),
        );
      }
    },
  };
}
