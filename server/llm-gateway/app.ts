/**
 * The gateway's HTTP surface: the part of OpenAI's API that candidate code uses (`/v1/chat/completions`
 * with streaming, JSON mode and tools; `/v1/models`; `/v1/embeddings`) and nothing else. Every call is
 * authenticated by the attempt's gateway key, checked against the task's policy and budgets, and
 * recorded with the attempt. The upstream provider key never appears here.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import { z } from 'zod';
import type { ServiceContext } from '../platform/index.ts';
import type { LlmUpstream } from '../llm/index.ts';
import { checkKey, type KeyCheck } from './keys.ts';
import { checkBudgets, policyLoader, type LlmPolicy } from './policy.ts';
import { openAiError } from './errors.ts';
import { CallRecorder } from './record.ts';
import { respondChat } from './chat.ts';

export const MAX_BODY_BYTES = 1024 * 1024;

type Live = Extract<KeyCheck, { ok: true }>;
type Env = { Variables: { requestId: string; live: Live; policy: LlmPolicy } };

const chatSchema = z.looseObject({
  model: z.string().min(1).max(200),
  messages: z
    .array(z.looseObject({ role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']) }))
    .min(1)
    .max(2000),
  stream: z.boolean().optional(),
  tools: z.array(z.unknown()).max(128).optional(),
  response_format: z.looseObject({ type: z.enum(['text', 'json_object', 'json_schema']) }).optional(),
});

const embedSchema = z.looseObject({
  model: z.string().min(1).max(200),
  input: z.union([z.string().max(100_000), z.array(z.string().max(100_000)).min(1).max(256)]),
  encoding_format: z.enum(['float', 'base64']).optional(),
});

export interface GatewayDeps {
  ctx: ServiceContext;
  upstream: LlmUpstream;
  /**
   * Whether a Run (purpose 'attempt') or grading ('grade') of the attempt is live. When given, calls
   * outside that window are refused (409 outside_run) and recorded: a process that outlived its run
   * must not keep using the candidate's model budget. Unset: keys alone decide (unit tests of the API).
   */
  isLive?: (attemptId: string, purpose: 'attempt' | 'grade') => boolean;
}

const endpointOf = (path: string): 'chat' | 'embeddings' | 'models' =>
  path.startsWith('/v1/chat') ? 'chat' : path.startsWith('/v1/embeddings') ? 'embeddings' : 'models';

export function createGatewayApp({ ctx, upstream, isLive }: GatewayDeps) {
  const app = new Hono<Env>();
  const policyOf = policyLoader(ctx);
  const recorder = new CallRecorder(ctx);
  const inFlight = new Map<string, number>();

  app.use('*', requestId());
  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) =>
        openAiError(c, {
          status: 413,
          type: 'invalid_request_error',
          code: 'request_too_large',
          message: `Request body is larger than ${MAX_BODY_BYTES} bytes.`,
        }),
    }),
  );
  app.use('/v1/*', async (c, next) => {
    const auth = c.req.header('authorization') ?? '';
    const token = /^Bearer\s+(\S+)$/i.exec(auth)?.[1];
    const live = await checkKey(ctx, token);
    if (!live.ok) {
      const message = {
        missing:
          "You didn't provide an API key. Send it as 'Authorization: Bearer <key>' (the sandbox sets OPENAI_API_KEY).",
        unknown: 'Incorrect API key provided. Use the key in OPENAI_API_KEY inside your workspace.',
        revoked: 'This API key was revoked: the attempt it belonged to has ended.',
        closed: 'This API key no longer works: the attempt was submitted or its time ran out.',
      }[live.reason];
      return openAiError(c, { status: 401, type: 'invalid_request_error', code: 'invalid_api_key', message });
    }
    const policy = await policyOf(live.attempt.task_version_id);
    if (!policy.enabled) {
      return openAiError(c, {
        status: 403,
        type: 'invalid_request_error',
        code: 'llm_not_allowed',
        message: 'This task does not allow calls to a language model.',
      });
    }
    if (isLive && !isLive(live.attempt.id, live.key.purpose)) {
      // Recorded (uncounted) so reviewers see that something called the model between runs.
      const body = c.req.method === 'POST' ? await c.req.json().catch(() => null) : null;
      const model = typeof body?.model === 'string' ? body.model.slice(0, 200) : '';
      const message =
        live.key.purpose === 'grade'
          ? 'This API key works only while grading runs.'
          : 'This API key works only while one of your Runs is running; this call came from outside a Run.';
      const call = recorder.begin({
        attemptId: live.attempt.id,
        keyId: live.key.id,
        purpose: live.key.purpose,
        endpoint: endpointOf(c.req.path),
        model,
        stream: body?.stream === true,
        body: body ?? { method: c.req.method, path: c.req.path },
        counted: false,
      });
      await recorder.finish(call, { status: 409, errorCode: 'outside_run', response: { error: message } });
      return openAiError(c, {
        status: 409,
        type: 'invalid_request_error',
        code: 'outside_run',
        message,
        retryable: false,
      });
    }
    c.set('live', live);
    c.set('policy', policy);
    await next();
  });

  const badJson = (c: Context) =>
    openAiError(c, {
      status: 400,
      type: 'invalid_request_error',
      code: 'invalid_json',
      message: 'We could not parse the JSON body of your request.',
    });
  const invalid = (c: Context, error: z.ZodError) => {
    const i = error.issues[0]!;
    return openAiError(c, {
      status: 400,
      type: 'invalid_request_error',
      code: 'invalid_request',
      param: i.path.join('.') || null,
      message: `Invalid request: ${i.path.join('.') || 'body'}: ${i.message}`,
    });
  };
  const unknownModel = (c: Context, model: string, policy: LlmPolicy) =>
    openAiError(c, {
      status: 404,
      type: 'invalid_request_error',
      code: 'model_not_found',
      param: 'model',
      message: `The model \`${model}\` does not exist or you do not have access to it. This task allows: ${[...policy.models.keys()].join(', ') || 'none'}.`,
    });

  /** Runs fn for one counted call: budgets checked, concurrency tracked, the call recorded. */
  async function admit(
    c: Context<Env>,
    endpoint: 'chat' | 'embeddings',
    model: string,
    body: unknown,
    stream: boolean,
  ) {
    const { key, attempt } = c.get('live');
    const who = { attemptId: attempt.id, purpose: key.purpose };
    const slot = `${attempt.id}/${key.purpose}`;
    // Claimed before the (async) check, so concurrent calls see each other.
    const others = inFlight.get(slot) ?? 0;
    inFlight.set(slot, others + 1);
    const release = () => inFlight.set(slot, Math.max(0, (inFlight.get(slot) ?? 1) - 1));
    const refusal = await checkBudgets(ctx, who, c.get('policy').budget, others);
    const call = recorder.begin({
      attemptId: attempt.id,
      keyId: key.id,
      purpose: key.purpose,
      endpoint,
      model,
      stream,
      body,
      counted: !refusal,
    });
    if (refusal) {
      release();
      await recorder.finish(call, {
        status: 429,
        errorCode: refusal.code,
        response: { error: refusal.message },
      });
      return { refused: openAiError(c, { status: 429, ...refusal }) };
    }
    return { call, release };
  }

  app.get('/v1/models', (c) => {
    const data = [...c.get('policy').models.keys()].map((id) => ({
      id,
      object: 'model',
      created: 0,
      owned_by: 'worksample',
    }));
    return c.json({ object: 'list', data });
  });

  app.get('/v1/models/:model', (c) => {
    const id = c.req.param('model');
    if (!c.get('policy').models.has(id)) return unknownModel(c, id, c.get('policy'));
    return c.json({ id, object: 'model', created: 0, owned_by: 'worksample' });
  });

  app.post('/v1/chat/completions', async (c) => {
    const raw = await c.req.json().catch(() => undefined);
    if (raw === undefined) return badJson(c);
    const parsed = chatSchema.safeParse(raw);
    if (!parsed.success) return invalid(c, parsed.error);
    const body = parsed.data;
    const policy = c.get('policy');
    const upstreamModel = policy.models.get(body.model);
    if (!upstreamModel) return unknownModel(c, body.model, policy);
    const stream = body.stream === true;
    const admitted = await admit(c, 'chat', body.model, body, stream);
    if ('refused' in admitted) return admitted.refused;
    const { call, release } = admitted;
    try {
      return await respondChat(c, {
        upstream,
        recorder,
        call,
        release,
        attemptId: c.get('live').attempt.id,
        alias: body.model,
        model: upstreamModel,
        body: body as never,
        stream,
        script: upstream.name === 'mock' ? policy.script : undefined,
        ruleCounts: await recorder.ruleCounts(c.get('live').attempt.id, c.get('live').key.purpose),
      });
    } catch (err) {
      release();
      await recorder.finish(call, {
        status: 500,
        errorCode: 'gateway_error',
        response: { error: String(err) },
      });
      ctx.logger.error({ err, callId: call.id }, 'gateway call failed');
      return openAiError(c, {
        status: 500,
        type: 'server_error',
        code: 'gateway_error',
        message: 'The gateway failed while handling this request.',
      });
    }
  });

  app.post('/v1/embeddings', async (c) => {
    const raw = await c.req.json().catch(() => undefined);
    if (raw === undefined) return badJson(c);
    const parsed = embedSchema.safeParse(raw);
    if (!parsed.success) return invalid(c, parsed.error);
    const policy = c.get('policy');
    const upstreamModel = policy.models.get(parsed.data.model);
    if (!upstreamModel) return unknownModel(c, parsed.data.model, policy);
    const input = typeof parsed.data.input === 'string' ? [parsed.data.input] : parsed.data.input;
    const admitted = await admit(c, 'embeddings', parsed.data.model, parsed.data, false);
    if ('refused' in admitted) return admitted.refused;
    const { call, release } = admitted;
    const started = performance.now();
    try {
      const r = await upstream.embed({ model: upstreamModel, input, signal: c.req.raw.signal });
      // The openai SDK asks for base64 by default: little-endian float32, as OpenAI sends it.
      const base64 = parsed.data.encoding_format === 'base64';
      const encode = (v: number[]) =>
        base64 ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v;
      const response = {
        object: 'list',
        data: r.vectors.map((embedding, index) => ({
          object: 'embedding',
          index,
          embedding: encode(embedding),
        })),
        model: parsed.data.model,
        usage: { prompt_tokens: r.promptTokens, total_tokens: r.promptTokens },
      };
      await recorder.finish(call, {
        status: 200,
        response: { ...response, data: `[${r.vectors.length} vectors]` },
        promptTokens: r.promptTokens,
        latencyMs: performance.now() - started,
        upstreamModel,
      });
      return c.json(response);
    } catch (err) {
      await recorder.finish(call, {
        status: 502,
        errorCode: 'upstream_error',
        response: { error: err instanceof Error ? err.message : 'upstream failed' },
      });
      return openAiError(c, {
        status: 502,
        type: 'upstream_error',
        code: 'upstream_error',
        message: 'The upstream model provider failed.',
      });
    } finally {
      release();
    }
  });

  app.notFound((c) =>
    openAiError(c, {
      status: 404,
      type: 'invalid_request_error',
      code: 'unknown_url',
      message: `Unknown request URL: ${c.req.method} ${c.req.path}. This gateway serves /v1/chat/completions, /v1/models and /v1/embeddings.`,
    }),
  );
  app.onError((err, c) => {
    ctx.logger.error({ err }, 'gateway error');
    return openAiError(c, {
      status: 500,
      type: 'server_error',
      code: 'gateway_error',
      message: 'The gateway failed while handling this request.',
    });
  });
  /** Calls of an attempt still running (admitted, not yet recorded). */
  const inFlightOf = (attemptId: string, purpose: 'attempt' | 'grade' = 'attempt') =>
    inFlight.get(`${attemptId}/${purpose}`) ?? 0;
  return Object.assign(app, { inFlightOf });
}
