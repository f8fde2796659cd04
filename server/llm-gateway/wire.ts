/**
 * One model, many wire formats. Every call is answered in OpenAI's chat shape inside the gateway (the
 * mock's and the upstreams' common form: a ChatCompletion, or a stream of ChatCompletionChunks); a
 * `Wire` turns that into what the API the candidate called expects — Chat Completions, the Responses
 * API or Anthropic's Messages API — for plain bodies, server-sent events and errors alike. Budgets,
 * recording and the mock's faults are decided before the wire format matters.
 */
import type { Context } from 'hono';
import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import { openAiError, type OpenAiError } from './errors.ts';

/** A failure to report in the middle of a stream (the gateway's own words). */
export interface StreamFailure {
  message: string;
  type: string;
  code: string;
}

/** Turns one chat chunk stream into the SSE text of an API; stateful, one per response. */
export interface StreamEncoder {
  /** SSE text for one chunk (may be empty). */
  chunk(chunk: ChatCompletionChunk): string;
  /** SSE text that ends a stream which finished normally. */
  end(usage: CompletionUsage): string;
  /** SSE text for a stream the upstream broke off. */
  fail(f: StreamFailure): string;
  /** What the transcript keeps for the streamed answer (the assembled body), when the API has one. */
  result?(): unknown;
}

export interface Wire {
  /** Which API: also the `endpoint` recorded with the call. */
  readonly endpoint: 'chat' | 'responses' | 'messages';
  /** An error in this API's shape and status. */
  error(c: Context, e: OpenAiError): Response;
  /** A finished answer as this API's response body. */
  body(completion: ChatCompletion): unknown;
  stream(): StreamEncoder;
  /** Whether the mock's chunks must end with a usage chunk (the API always reports usage). */
  readonly alwaysUsage: boolean;
}

export const sse = (data: unknown, event?: string) =>
  `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`;

/** OpenAI's Chat Completions: the internal form as it is. */
export const chatWire: Wire = {
  endpoint: 'chat',
  alwaysUsage: false,
  error: openAiError,
  body: (completion) => completion,
  stream: () => ({
    chunk: (chunk) => sse(chunk),
    end: () => 'data: [DONE]\n\n',
    fail: ({ message, type, code }) => sse({ error: { message, type, param: null, code } }),
  }),
};
