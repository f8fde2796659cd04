/**
 * Answers one model call in the API the candidate used (the `wire`: chat, responses or messages): plain
 * JSON or server-sent events, including the mock's scripted behaviour (slowness, broken streams,
 * errors). The call is settled (recorded, then its reservation released) whatever happens, with the
 * streamed content joined. Upstream failures reach the candidate only as the gateway's own messages
 * (server/llm/upstream-errors.ts), also when a stream breaks off.
 */
import { setTimeout as wait } from 'node:timers/promises';
import type { Context } from 'hono';
import { stream as honoStream } from 'hono/streaming';
import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import { UpstreamError, type LlmUpstream, type ChatCall } from '../llm/index.ts';
import type { MockScript } from '../llm/index.ts';
import type { Finish, StartedCall } from './record.ts';
import { chatWire, type Wire } from './wire.ts';

export interface ChatJob {
  upstream: LlmUpstream;
  call: StartedCall;
  /** Records the call, then releases its budget reservation (once). */
  settle: (f: Finish) => Promise<void>;
  /** Logs an upstream failure's scrubbed original text for the operator. */
  logUpstream: (callId: string, f: { upstreamStatus?: number; code: string; detail?: string }) => void;
  /**
   * The call's reserved worst case, charged when the upstream may have billed the call but its usage
   * never arrived (the client left mid-stream, a timeout): otherwise aborting before the final usage
   * chunk would make any call free.
   */
  worstCase: { promptTokens: number; completionTokens: number };
  attemptId: string;
  alias: string;
  model: string;
  body: ChatCall['body'];
  stream: boolean;
  script?: MockScript;
  ruleCounts: Record<string, number>;
  /** The API the answer goes out in (default: Chat Completions). */
  wire?: Wire;
}

/** Waits ms, or less when the client goes away (an aborted wait is not an error here). */
const sleep = (ms: number, signal: AbortSignal) => wait(ms, undefined, { signal }).catch(() => {});

/** Splits a finished completion into the chunks a streaming client expects (choice by choice). */
export function* chunksOf(c: ChatCompletion, includeUsage: boolean): Generator<ChatCompletionChunk> {
  const base = { id: c.id, object: 'chat.completion.chunk' as const, created: c.created, model: c.model };
  for (const choice of c.choices) {
    const index = choice.index;
    yield {
      ...base,
      choices: [{ index, delta: { role: 'assistant', content: '' }, finish_reason: null, logprobs: null }],
    };
    const content = choice.message.content ?? '';
    for (const piece of content.match(/[\s\S]{1,24}/g) ?? []) {
      yield { ...base, choices: [{ index, delta: { content: piece }, finish_reason: null, logprobs: null }] };
    }
    const calls = choice.message.tool_calls ?? [];
    if (calls.length) {
      yield {
        ...base,
        choices: [
          {
            index,
            delta: {
              tool_calls: calls.map((t, i) => ({
                index: i,
                id: t.id,
                type: 'function' as const,
                function:
                  'function' in t ? { name: t.function.name, arguments: t.function.arguments } : undefined,
              })),
            },
            finish_reason: null,
            logprobs: null,
          },
        ],
      };
    }
    yield { ...base, choices: [{ index, delta: {}, finish_reason: choice.finish_reason, logprobs: null }] };
  }
  if (includeUsage && c.usage) yield { ...base, choices: [], usage: c.usage };
}

export async function respondChat(c: Context, job: ChatJob): Promise<Response> {
  const wire = job.wire ?? chatWire;
  const started = performance.now();
  const signal = c.req.raw.signal;
  const outcome = await job.upstream.chat({
    attemptId: job.attemptId,
    callId: job.call.id,
    alias: job.alias,
    model: job.model,
    body: job.body,
    stream: job.stream,
    script: job.script,
    ruleCounts: job.ruleCounts,
    signal,
  });

  if (outcome.kind === 'error') {
    if (outcome.detail !== undefined) job.logUpstream(job.call.id, outcome);
    await job.settle({
      status: outcome.status,
      errorCode: outcome.code,
      response: { error: outcome.message },
      ...(outcome.mayHaveBilled ? job.worstCase : {}),
      rule: outcome.rule,
      ruleHits: outcome.ruleHits,
      latencyMs: performance.now() - started,
      upstreamModel: job.model,
    });
    return wire.error(c, {
      status: outcome.status as 429,
      type: outcome.type,
      code: outcome.code,
      param: outcome.param,
      message: outcome.message,
      retryAfter: outcome.retryAfter,
      retryable: outcome.retryable,
    });
  }

  if (outcome.kind === 'completion' && outcome.delayMs) {
    await sleep(outcome.delayMs, signal);
    if (signal.aborted) {
      // The client gave up while the scripted delay ran: nothing was delivered, nothing is spent.
      await job.settle({
        status: 499,
        errorCode: 'client_closed',
        response: { error: 'the client closed the connection before the answer was ready' },
        rule: outcome.rule,
        ruleHits: outcome.ruleHits,
        latencyMs: performance.now() - started,
        upstreamModel: job.model,
      });
      return new Response(null, { status: 499 });
    }
  }

  const includeUsage =
    wire.alwaysUsage ||
    Boolean((job.body.stream_options as { include_usage?: boolean } | undefined)?.include_usage);
  const finish = async (
    content: string | null,
    usage: ChatCompletion['usage'] | undefined,
    response: unknown,
    status = 200,
    errorCode?: string,
  ) => {
    await job.settle({
      status,
      errorCode,
      response,
      content,
      rule: outcome.kind === 'completion' ? outcome.rule : null,
      ruleHits: outcome.kind === 'completion' ? outcome.ruleHits : undefined,
      promptTokens: usage?.prompt_tokens ?? 0,
      completionTokens: usage?.completion_tokens ?? 0,
      latencyMs: performance.now() - started,
      upstreamModel: job.model,
    });
  };

  if (outcome.kind === 'completion' && !job.stream) {
    const answer = wire.body(outcome.completion);
    const body = JSON.stringify(answer);
    const message = outcome.completion.choices[0]?.message;
    if (outcome.truncateAfter !== undefined) {
      // A connection that dies mid-body: the client gets broken JSON.
      const partial = body.slice(0, Math.min(body.length - 1, outcome.truncateAfter));
      await finish(
        message?.content ?? null,
        outcome.completion.usage,
        { truncatedBody: partial },
        200,
        'truncated',
      );
      return new Response(partial, { status: 200, headers: { 'content-type': 'application/json' } });
    }
    await finish(message?.content ?? null, outcome.completion.usage, answer);
    return c.body(body, 200, { 'content-type': 'application/json' });
  }

  const worstUsage = () => ({
    prompt_tokens: job.worstCase.promptTokens,
    completion_tokens: job.worstCase.completionTokens,
    total_tokens: job.worstCase.promptTokens + job.worstCase.completionTokens,
  });
  // Streaming: from the mock's finished completion, or passed through from the upstream.
  const chunks: AsyncIterable<ChatCompletionChunk> | Iterable<ChatCompletionChunk> =
    outcome.kind === 'stream' ? outcome.chunks : chunksOf(outcome.completion, includeUsage);
  const truncateAfter = outcome.kind === 'completion' ? outcome.truncateAfter : undefined;
  c.header('content-type', 'text/event-stream; charset=utf-8');
  c.header('cache-control', 'no-cache');
  const encoder = wire.stream();
  return honoStream(c, async (s) => {
    let content = '';
    let usage: ChatCompletion['usage'] | undefined;
    let truncated = false;
    let broken: string | undefined;
    try {
      for await (const chunk of chunks) {
        if (signal.aborted) break;
        // The transcript keeps the first choice's text (with n > 1 the others are the same question).
        const first = chunk.choices[0];
        const delta = first && (first.index ?? 0) === 0 ? (first.delta?.content ?? '') : '';
        if (truncateAfter !== undefined && content.length + delta.length >= truncateAfter) {
          const cut = delta.slice(0, Math.max(0, truncateAfter - content.length));
          content += cut;
          if (cut) {
            const partial = { ...chunk, choices: [{ ...chunk.choices[0]!, delta: { content: cut } }] };
            await s.write(encoder.chunk(partial));
          }
          truncated = true;
          break; // no finish_reason, no [DONE]: the stream just stops
        }
        content += delta;
        if (chunk.usage) usage = chunk.usage;
        await s.write(encoder.chunk(chunk));
      }
      if (!usage && outcome.kind === 'completion') usage = outcome.completion.usage;
      if (!truncated && !signal.aborted) await s.write(encoder.end(usage ?? worstUsage()));
    } catch (err) {
      // The upstream broke off mid-stream: end with an error event of our own (SDKs raise it).
      if (!(err instanceof UpstreamError)) throw err;
      job.logUpstream(job.call.id, err.failure);
      broken = err.failure.code;
      if (!signal.aborted) await s.write(encoder.fail(err.failure));
    } finally {
      if (!usage && outcome.kind === 'completion') usage = outcome.completion.usage;
      usage ??= worstUsage();
      await finish(
        content,
        usage,
        encoder.result?.() ?? { streamed: true },
        200,
        broken ?? (truncated ? 'truncated' : signal.aborted ? 'client_closed' : undefined),
      );
    }
  });
}
