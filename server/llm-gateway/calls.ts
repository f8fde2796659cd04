/**
 * The counted endpoints — `/v1/chat/completions`, `/v1/responses`, `/v1/messages` (Anthropic) and
 * `/v1/embeddings`: validate against the allow-list (params.ts, responses.ts, messages.ts), reserve the
 * worst case against the budgets (policy.ts, reserve.ts), call the upstream with the allow-listed body
 * in the gateway's chat form, answer in the API the candidate called (wire.ts), record the call and
 * settle the reservation with the real usage. The three model APIs share every step after parsing.
 */
import type { Context, Hono } from 'hono';
import type { ServiceContext } from '../platform/index.ts';
import {
  mockUpstream,
  upstreamFor,
  UpstreamError,
  type LlmProvider,
  type LlmUpstream,
} from '../llm/index.ts';
import type { GatewayEnv } from './app.ts';
import { checkBudgets, spenderOf, spenderSlot, type TokenWant } from './policy.ts';
import { anthropicError, modelNotFound, openAiError, type OpenAiError } from './errors.ts';
import type { CallRecorder, Finish } from './record.ts';
import { Reservations } from './reserve.ts';
import { respondChat } from './chat.ts';
import { chatWire, type Wire } from './wire.ts';
import { parseResponsesRequest, responsesToChat } from './responses.ts';
import { responsesWire } from './responses-out.ts';
import { messagesToChat, parseCountTokensRequest, parseMessagesRequest } from './messages.ts';
import { messagesWire } from './messages-out.ts';
import { historyOf } from './conversation.ts';
import {
  estimateInputTokens,
  estimatePromptTokens,
  forwardChat,
  parseChatRequest,
  parseEmbeddingsRequest,
  requestedOutput,
  type ChatRequest,
} from './params.ts';

export interface CallDeps {
  ctx: ServiceContext;
  /** The deployment's upstream: serves aliases that name no provider. */
  upstream: LlmUpstream;
  /** Upstreams for aliases that name a provider (the mock is always there). */
  providers?: Partial<Record<LlmProvider, LlmUpstream>>;
  recorder: CallRecorder;
  reservations: Reservations;
}

/** An API's wire, made per call (its ids derive from the call's), with its error shape for refusals. */
interface WireSpec {
  endpoint: Wire['endpoint'];
  error: Wire['error'];
  make(callId: string, promptEstimate: number): Wire;
}

export function registerCalls(
  app: Hono<GatewayEnv>,
  { ctx, upstream, providers, recorder, reservations }: CallDeps,
) {
  const upstreams = { default: upstream, providers: { mock: mockUpstream(ctx.clock), ...providers } };
  /** The alias's route and upstream, or the error to answer (unknown alias, provider not configured). */
  function routeOf(
    c: Context<GatewayEnv>,
    model: string,
  ): { model: string; upstream: LlmUpstream } | OpenAiError {
    const policy = c.get('policy');
    const route = policy.models.get(model);
    if (!route) return modelNotFound(model, policy);
    const up = upstreamFor(upstreams, route.provider, ctx.clock);
    if (!up)
      return {
        status: 503,
        type: 'server_error',
        code: 'upstream_not_configured',
        message: `The model \`${model}\` is served by the ${route.provider} upstream, which this deployment has not configured; tell the person who invited you.`,
        retryable: false,
      };
    return { model: route.upstream, upstream: up };
  }

  const badJson = (c: Context) =>
    openAiError(c, {
      status: 400,
      type: 'invalid_request_error',
      code: 'invalid_json',
      message: 'We could not parse the JSON body of your request.',
    });

  /** Admits one counted call (budgets checked, worst case reserved) or records and answers its refusal. */
  async function admit(
    c: Context<GatewayEnv>,
    endpoint: 'chat' | 'responses' | 'messages' | 'embeddings',
    model: string,
    body: unknown,
    stream: boolean,
    want: TokenWant,
  ) {
    const { key, attempt } = c.get('live');
    const who = spenderOf(attempt.id, key);
    const admitted = await reservations.admit(spenderSlot(who), (inFlight) =>
      checkBudgets(ctx, who, c.get('policy').budget, inFlight, want),
    );
    const refusal = 'refusal' in admitted ? admitted.refusal : undefined;
    const call = recorder.begin({
      attemptId: attempt.id,
      keyId: key.id,
      purpose: key.purpose,
      endpoint,
      model,
      stream,
      body,
      counted: !refusal,
      origin: c.get('origin'),
    });
    if (refusal) {
      await recorder.finish(call, {
        status: 429,
        errorCode: refusal.code,
        response: { error: refusal.message },
      });
      const refused: OpenAiError = { status: 429, ...refusal };
      return { refused };
    }
    const { grant, hold } = admitted as Exclude<typeof admitted, { refusal: unknown }>;
    /** Records the call, then gives its reservation back (once, whatever path ends the call). */
    const settle = (f: Finish) => reservations.settle(hold, () => recorder.finish(call, f));
    return { call, grant, settle };
  }

  /** Logs an upstream failure for the operator: its original text, scrubbed of anything key-shaped. */
  const logUpstream = (callId: string, f: { upstreamStatus?: number; code: string; detail?: string }) =>
    ctx.logger.warn(
      { callId, upstreamStatus: f.upstreamStatus, code: f.code, upstreamError: f.detail },
      'upstream model provider error',
    );

  /**
   * One model call in the chat form, answered on `wire`: admitted against the budgets, sent upstream,
   * recorded as `recorded` (the request as the candidate sent it, in their API's shape).
   */
  async function answer(c: Context<GatewayEnv>, wire: WireSpec, body: ChatRequest, recorded: unknown) {
    const policy = c.get('policy');
    const route = routeOf(c, body.model);
    if ('status' in route) return wire.error(c, route);
    const stream = body.stream === true;
    const want = {
      promptTokens: estimatePromptTokens(body),
      choices: body.n ?? 1,
      maxOutput: requestedOutput(body),
    };
    const admitted = await admit(c, wire.endpoint, body.model, recorded, stream, want);
    if (admitted.refused) return wire.error(c, admitted.refused);
    const { call, grant, settle } = admitted;
    try {
      return await respondChat(c, {
        upstream: route.upstream,
        call,
        settle,
        logUpstream,
        attemptId: c.get('live').attempt.id,
        alias: body.model,
        model: route.model,
        body: forwardChat(body, grant.outputCap),
        worstCase: { promptTokens: want.promptTokens, completionTokens: want.choices * grant.outputCap },
        stream,
        script: route.upstream.name === 'mock' ? policy.script : undefined,
        ruleCounts: await recorder.ruleCounts(spenderOf(c.get('live').attempt.id, c.get('live').key)),
        wire: wire.make(call.id, want.promptTokens),
      });
    } catch (err) {
      await settle({ status: 500, errorCode: 'gateway_error', response: { error: 'the gateway failed' } });
      ctx.logger.error({ err, callId: call.id }, 'gateway call failed');
      return wire.error(c, {
        status: 500,
        type: 'server_error',
        code: 'gateway_error',
        message: 'The gateway failed while handling this request.',
      });
    }
  }

  const chatSpec: WireSpec = { endpoint: 'chat', error: openAiError, make: () => chatWire };

  app.post('/v1/chat/completions', async (c) => {
    const raw = await c.req.json().catch(() => undefined);
    if (raw === undefined) return badJson(c);
    const parsed = parseChatRequest(raw, c.get('policy').budget);
    if (!parsed.ok) return openAiError(c, parsed.error);
    return answer(c, chatSpec, parsed.value, parsed.value);
  });

  app.post('/v1/responses', async (c) => {
    const raw = await c.req.json().catch(() => undefined);
    if (raw === undefined) return badJson(c);
    const policy = c.get('policy');
    const parsed = parseResponsesRequest(raw, policy.budget);
    if (!parsed.ok) return openAiError(c, parsed.error);
    const r = parsed.value;
    const { attempt, key } = c.get('live');
    const history = r.previous_response_id
      ? await historyOf(ctx, { attemptId: attempt.id, purpose: key.purpose }, r.previous_response_id)
      : [];
    if (!Array.isArray(history)) return openAiError(c, history);
    const chat = responsesToChat(r, history, policy.budget);
    if (!chat.ok) return openAiError(c, chat.error);
    const created = Math.floor(ctx.clock.now() / 1000);
    return answer(
      c,
      { endpoint: 'responses', error: openAiError, make: (id) => responsesWire(r, `resp_${id}`, created) },
      chat.value,
      r,
    );
  });

  /** The Anthropic request's body after its required header, or the refusal in Anthropic's shape. */
  async function anthropicBody(c: Context<GatewayEnv>): Promise<{ raw: unknown } | Response> {
    const refuse = (e: OpenAiError) => anthropicError(c, e);
    if (!c.req.header('anthropic-version'))
      return refuse({
        status: 400,
        type: 'invalid_request_error',
        code: 'invalid_request',
        message: 'anthropic-version: header is required',
      });
    const raw = await c.req.json().catch(() => undefined);
    if (raw === undefined)
      return refuse({
        status: 400,
        type: 'invalid_request_error',
        code: 'invalid_json',
        message: 'There was an error parsing the body of your request as JSON.',
      });
    return { raw };
  }

  /**
   * Anthropic's token counter: free and unrecorded, like Anthropic's (it spends no budget and calls no
   * upstream). Exact for the mock; for other upstreams the gateway's own estimate.
   */
  app.post('/v1/messages/count_tokens', async (c) => {
    const body = await anthropicBody(c);
    if (body instanceof Response) return body;
    const refuse = (e: OpenAiError) => anthropicError(c, e);
    const parsed = parseCountTokensRequest(body.raw);
    if (!parsed.ok) return refuse(parsed.error);
    const policy = c.get('policy');
    const chat = messagesToChat({ ...parsed.value, max_tokens: 1 }, policy.budget);
    if (!chat.ok) return refuse(chat.error);
    const route = routeOf(c, parsed.value.model);
    if ('status' in route) return refuse(route);
    const exact = route.upstream.countPromptTokens?.(chat.value.messages);
    return c.json({ input_tokens: exact ?? estimatePromptTokens(chat.value) });
  });

  app.post('/v1/messages', async (c) => {
    const refuse = (e: OpenAiError) => anthropicError(c, e);
    const body = await anthropicBody(c);
    if (body instanceof Response) return body;
    const raw = body.raw;
    const policy = c.get('policy');
    const parsed = parseMessagesRequest(raw, policy.budget);
    if (!parsed.ok) return refuse(parsed.error);
    const chat = messagesToChat(parsed.value, policy.budget);
    if (!chat.ok) return refuse(chat.error);
    const model = parsed.value.model;
    return answer(
      c,
      {
        endpoint: 'messages',
        error: anthropicError,
        make: (id, est) => messagesWire(model, `msg_${id}`, est),
      },
      chat.value,
      parsed.value,
    );
  });

  app.post('/v1/embeddings', async (c) => {
    const raw = await c.req.json().catch(() => undefined);
    if (raw === undefined) return badJson(c);
    const parsed = parseEmbeddingsRequest(raw);
    if (!parsed.ok) return openAiError(c, parsed.error);
    const body = parsed.value;
    const route = routeOf(c, body.model);
    if ('status' in route) return openAiError(c, route);
    const upstreamModel = route.model;
    const input = typeof body.input === 'string' ? [body.input] : body.input;
    const want = { promptTokens: estimateInputTokens(body), choices: 1, noOutput: true };
    const admitted = await admit(c, 'embeddings', body.model, body, false, want);
    if (admitted.refused) return openAiError(c, admitted.refused);
    const { call, settle } = admitted;
    const started = performance.now();
    try {
      const r = await route.upstream.embed({
        model: upstreamModel,
        input,
        dimensions: body.dimensions,
        signal: c.req.raw.signal,
      });
      // The openai SDK asks for base64 by default: little-endian float32, as OpenAI sends it.
      const base64 = body.encoding_format === 'base64';
      const encode = (v: number[]) =>
        base64 ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v;
      const response = {
        object: 'list',
        data: r.vectors.map((embedding, index) => ({
          object: 'embedding',
          index,
          embedding: encode(embedding),
        })),
        model: body.model,
        usage: { prompt_tokens: r.promptTokens, total_tokens: r.promptTokens },
      };
      await settle({
        status: 200,
        response: { ...response, data: `[${r.vectors.length} vectors]` },
        promptTokens: r.promptTokens,
        latencyMs: performance.now() - started,
        upstreamModel,
      });
      return c.json(response);
    } catch (err) {
      if (!(err instanceof UpstreamError))
        ctx.logger.error({ err, callId: call.id }, 'embeddings call failed');
      const f = err instanceof UpstreamError ? err.failure : undefined;
      if (f) logUpstream(call.id, f);
      const answer = {
        status: f?.status ?? 502,
        type: f?.type ?? 'upstream_error',
        code: f?.code ?? 'upstream_error',
        param: f?.param,
        message: f?.message ?? 'The upstream model provider failed.',
        retryAfter: f?.retryAfter,
        retryable: f?.retryable,
      } as const;
      await settle({
        status: answer.status,
        errorCode: answer.code,
        response: { error: answer.message },
        latencyMs: performance.now() - started,
        upstreamModel,
      });
      return openAiError(c, answer);
    }
  });
}
