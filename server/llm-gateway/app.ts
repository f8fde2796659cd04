/**
 * The gateway's HTTP surface: the parts of the LLM APIs that candidate code uses — OpenAI's
 * `/v1/chat/completions` and `/v1/responses` (streaming, structured output, tools), `/v1/embeddings`,
 * `/v1/models`, and Anthropic's `/v1/messages` (with `/count_tokens`) — and nothing else. Every call is authenticated by the
 * attempt's gateway key (as a bearer token, or Anthropic's `x-api-key`), checked against the task's
 * policy and budgets, and recorded with the attempt; errors come in the called API's shape. The
 * upstream provider key never appears here.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import type { ServiceContext } from '../platform/index.ts';
import type { LlmProvider, LlmUpstream } from '../llm/index.ts';
import { checkKey, type KeyCheck } from './keys.ts';
import { policyLoader, type LlmPolicy } from './policy.ts';
import { apiError, isAnthropicPath, unknownModel } from './errors.ts';
import { CallRecorder } from './record.ts';
import { Reservations } from './reserve.ts';
import { registerCalls } from './calls.ts';

export const MAX_BODY_BYTES = 1024 * 1024;

type Live = Extract<KeyCheck, { ok: true }>;
type Env = { Variables: { requestId: string; live: Live; policy: LlmPolicy; origin: 'code' | 'assistant' } };
export type GatewayEnv = Env;

export interface GatewayDeps {
  ctx: ServiceContext;
  /** Serves aliases that name no provider. */
  upstream: LlmUpstream;
  /** Serve aliases that name their provider (`mock` is always available). */
  providers?: Partial<Record<LlmProvider, LlmUpstream>>;
  /**
   * Whether a Run (purpose 'attempt') or grading ('grade') of the attempt is live. When given, calls
   * outside that window are refused (409 outside_run) and recorded: a process that outlived its run
   * must not keep using the candidate's model budget. Unset: keys alone decide (unit tests of the API).
   */
  isLive?: (attemptId: string, purpose: 'attempt' | 'grade') => boolean | Promise<boolean>;
  /**
   * Who calls through this app. 'code' (default): the listeners sandboxes reach. 'assistant': the
   * in-process app the IDE assistant uses (never served on a port) — the attempt's key and budget, no
   * Run window (the candidate chats between Runs), calls recorded as assistant use.
   */
  origin?: 'code' | 'assistant';
  /** Shared by the apps of one gateway, so budgets and `call:` counts see every call of an attempt. */
  recorder?: CallRecorder;
  reservations?: Reservations;
}

const endpointOf = (path: string) =>
  path.startsWith('/v1/chat')
    ? 'chat'
    : path.startsWith('/v1/embeddings')
      ? 'embeddings'
      : path.startsWith('/v1/responses')
        ? 'responses'
        : isAnthropicPath(path)
          ? 'messages'
          : 'models';

export function createGatewayApp(deps: GatewayDeps) {
  const { ctx, upstream, providers, isLive, origin = 'code' } = deps;
  const app = new Hono<Env>();
  const policyOf = policyLoader(ctx);
  const recorder = deps.recorder ?? new CallRecorder(ctx);
  const reservations = deps.reservations ?? new Reservations();

  app.use('*', requestId());
  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) =>
        apiError(c, {
          status: 413,
          type: 'invalid_request_error',
          code: 'request_too_large',
          message: `Request body is larger than ${MAX_BODY_BYTES} bytes.`,
        }),
    }),
  );
  app.use('/v1/*', async (c, next) => {
    const auth = c.req.header('authorization') ?? '';
    // Anthropic's SDK sends the key as x-api-key; OpenAI's as a bearer token. Either works anywhere.
    const token = /^Bearer\s+(\S+)$/i.exec(auth)?.[1] ?? c.req.header('x-api-key')?.trim();
    const checked = await checkKey(ctx, token || undefined);
    // The assistant speaks for the candidate only: a grading key is no key here.
    const live: KeyCheck =
      checked.ok && origin === 'assistant' && checked.key.purpose !== 'attempt'
        ? { ok: false, reason: 'unknown' }
        : checked;
    if (!live.ok) {
      const message = {
        missing:
          "You didn't provide an API key. Send it as 'Authorization: Bearer <key>' or 'x-api-key: <key>' (the sandbox sets OPENAI_API_KEY and ANTHROPIC_API_KEY).",
        unknown:
          'Incorrect API key provided. Use the key in OPENAI_API_KEY (or ANTHROPIC_API_KEY) inside your workspace.',
        revoked: 'This API key was revoked: the attempt it belonged to has ended.',
        closed: 'This API key no longer works: the attempt was submitted or its time ran out.',
      }[live.reason];
      return apiError(c, { status: 401, type: 'invalid_request_error', code: 'invalid_api_key', message });
    }
    const policy = await policyOf(live.attempt.task_version_id);
    if (!policy.enabled) {
      return apiError(c, {
        status: 403,
        type: 'invalid_request_error',
        code: 'llm_not_allowed',
        message: 'This task does not allow calls to a language model.',
      });
    }
    if (origin === 'code' && isLive && !(await isLive(live.attempt.id, live.key.purpose))) {
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
      return apiError(c, {
        status: 409,
        type: 'invalid_request_error',
        code: 'outside_run',
        message,
        retryable: false,
      });
    }
    c.set('live', live);
    c.set('policy', policy);
    c.set('origin', origin);
    await next();
  });

  app.get('/v1/models', (c) => {
    if (c.req.header('anthropic-version')) {
      // Anthropic's SDK lists models in its own page shape.
      const data = [...c.get('policy').models.keys()].map((id) => ({
        type: 'model',
        id,
        display_name: id,
        created_at: '1970-01-01T00:00:00Z',
      }));
      return c.json({
        data,
        has_more: false,
        first_id: data[0]?.id ?? null,
        last_id: data.at(-1)?.id ?? null,
      });
    }
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

  registerCalls(app, { ctx, upstream, providers, recorder, reservations });

  app.notFound((c) =>
    apiError(c, {
      status: 404,
      type: 'invalid_request_error',
      code: 'unknown_url',
      message: `Unknown request URL: ${c.req.method} ${c.req.path}. This gateway serves /v1/chat/completions, /v1/responses, /v1/messages (and /v1/messages/count_tokens), /v1/models and /v1/embeddings.`,
    }),
  );
  app.onError((err, c) => {
    ctx.logger.error({ err }, 'gateway error');
    return apiError(c, {
      status: 500,
      type: 'server_error',
      code: 'gateway_error',
      message: 'The gateway failed while handling this request.',
    });
  });
  /** Calls of an attempt still running (admitted, not yet recorded). */
  const inFlightOf = (attemptId: string, purpose: 'attempt' | 'grade' = 'attempt') =>
    reservations.inFlight(`${attemptId}/${purpose}`).calls;
  return Object.assign(app, { inFlightOf });
}
