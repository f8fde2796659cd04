/**
 * Webhook endpoints as admins manage them: URL, description, subscribed events, enabled; a signing
 * secret made here and shown once (at creation and at each rotation; the old one keeps signing for
 * a day after a rotation so receivers can switch); the delivery log; test events and redeliveries.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../errors/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import type { WebhookEndpointsTable } from '../db/index.ts';
import { WEBHOOK_EVENTS, testEventBody } from './events.ts';
import { urlProblem } from './ssrf.ts';

/** How long a rotated-out secret still signs (beside the new one). */
export const ROTATION_OVERLAP_MS = 24 * 3600_000;

const url = z
  .string()
  .trim()
  .max(2000, { message: 'the URL is too long' })
  .superRefine((v, c) => {
    const problem = urlProblem(v);
    if (problem) c.addIssue({ code: 'custom', message: problem });
  });
const events = z
  .array(z.enum(WEBHOOK_EVENTS))
  .min(1, { message: 'pick at least one event' })
  .transform((e) => [...new Set(e)]);

export const newEndpointSchema = z.object({
  url,
  description: z.string().trim().max(500).optional(),
  events,
  enabled: z.boolean().optional(),
});
export const endpointPatchSchema = z.object({
  url: url.optional(),
  description: z.string().trim().max(500).optional(),
  events: events.optional(),
  enabled: z.boolean().optional(),
});

export interface EndpointView {
  id: string;
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
  disabledReason: string | null;
  /** The secret's last characters, to tell secrets apart (the secret itself is shown once). */
  secretHint: string;
  consecutiveFailures: number;
  createdAt: number;
  updatedAt: number;
}

export interface TryView {
  try: number;
  startedAt: number;
  durationMs: number;
  statusCode: number | null;
  responseExcerpt: string;
  error: string | null;
}

export interface DeliveryView {
  id: string;
  eventId: string;
  eventType: string;
  occurredAt: number;
  status: 'pending' | 'delivering' | 'succeeded' | 'failed';
  tries: number;
  nextAttemptAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: number;
  finishedAt: number | null;
  log: TryView[];
}

const newSecret = () => `whsec_${randomBytes(32).toString('base64url')}`;

function view(e: WebhookEndpointsTable): EndpointView {
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    events: JSON.parse(e.events_json) as string[],
    enabled: e.enabled === 1,
    disabledReason: e.disabled_reason,
    secretHint: `whsec_…${e.secret.slice(-4)}`,
    consecutiveFailures: e.consecutive_failures,
    createdAt: e.created_at,
    updatedAt: e.updated_at,
  };
}

async function row(ctx: ServiceContext, id: string) {
  const e = await ctx.db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('id', '=', id)
    .where('kind', '=', 'webhook')
    .executeTakeFirst();
  if (!e) throw new AppError('not_found', 'webhook endpoint not found');
  return e;
}

function parse<T>(schema: z.ZodType<T>, raw: unknown): T {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const i = r.error.issues[0]!;
  throw new AppError('validation_failed', `${i.path.join('.') || 'body'}: ${i.message}`);
}

export async function listEndpoints(ctx: ServiceContext): Promise<EndpointView[]> {
  const rows = await ctx.db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('kind', '=', 'webhook')
    .orderBy('created_at')
    .execute();
  return rows.map(view);
}

export async function getEndpoint(ctx: ServiceContext, id: string): Promise<EndpointView> {
  return view(await row(ctx, id));
}

/** A new endpoint and its secret (returned only here). */
export async function createEndpoint(
  ctx: ServiceContext,
  raw: z.input<typeof newEndpointSchema>,
  createdBy: string | null,
): Promise<{ endpoint: EndpointView; secret: string }> {
  const input = parse(newEndpointSchema, raw);
  const now = ctx.clock.now();
  const e: WebhookEndpointsTable = {
    id: ctx.ids.id('whe'),
    url: input.url,
    description: input.description ?? '',
    events_json: JSON.stringify(input.events),
    enabled: input.enabled === false ? 0 : 1,
    secret: newSecret(),
    previous_secret: null,
    previous_secret_until: null,
    consecutive_failures: 0,
    disabled_reason: null,
    created_by: createdBy,
    created_at: now,
    updated_at: now,
  };
  await ctx.db.insertInto('webhook_endpoints').values(e).execute();
  return { endpoint: view(e), secret: e.secret };
}

/** Changes an endpoint; enabling it again clears its failure count and the reason it was disabled. */
export async function updateEndpoint(
  ctx: ServiceContext,
  id: string,
  raw: z.input<typeof endpointPatchSchema>,
): Promise<EndpointView> {
  const input = parse(endpointPatchSchema, raw);
  await row(ctx, id);
  await ctx.db
    .updateTable('webhook_endpoints')
    .set({
      ...(input.url !== undefined ? { url: input.url } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.events ? { events_json: JSON.stringify(input.events) } : {}),
      ...(input.enabled === true ? { enabled: 1, consecutive_failures: 0, disabled_reason: null } : {}),
      ...(input.enabled === false ? { enabled: 0 } : {}),
      updated_at: ctx.clock.now(),
    })
    .where('id', '=', id)
    .execute();
  return getEndpoint(ctx, id);
}

/** A new secret (returned only here); the old one also signs for ROTATION_OVERLAP_MS. */
export async function rotateSecret(
  ctx: ServiceContext,
  id: string,
): Promise<{ endpoint: EndpointView; secret: string }> {
  const e = await row(ctx, id);
  const now = ctx.clock.now();
  const secret = newSecret();
  await ctx.db
    .updateTable('webhook_endpoints')
    .set({
      secret,
      previous_secret: e.secret,
      previous_secret_until: now + ROTATION_OVERLAP_MS,
      updated_at: now,
    })
    .where('id', '=', id)
    .execute();
  return { endpoint: await getEndpoint(ctx, id), secret };
}

/** Deletes an endpoint with its deliveries and their log. */
export async function deleteEndpoint(ctx: ServiceContext, id: string): Promise<void> {
  await row(ctx, id);
  await ctx.db.transaction().execute(async (trx) => {
    const deliveries = trx.selectFrom('webhook_deliveries').select('id').where('endpoint_id', '=', id);
    await trx.deleteFrom('webhook_tries').where('delivery_id', 'in', deliveries).execute();
    await trx.deleteFrom('webhook_deliveries').where('endpoint_id', '=', id).execute();
    await trx.deleteFrom('webhook_endpoints').where('id', '=', id).execute();
  });
}

/** Queues a `webhook.test` event for this endpoint alone. The worker must be kicked to send it now. */
export async function sendTestEvent(ctx: ServiceContext, id: string): Promise<DeliveryView> {
  const e = await row(ctx, id);
  if (e.enabled !== 1) throw new AppError('conflict', 'enable the endpoint before sending it a test event');
  const now = ctx.clock.now();
  const eventId = ctx.ids.id('evt');
  const body = testEventBody(ctx.config.publicUrl, eventId, now, id);
  const deliveryId = ctx.ids.id('whd');
  await ctx.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('webhook_events')
      .values({
        id: eventId,
        type: body.type,
        source: null,
        occurred_at: now,
        body: JSON.stringify(body),
        created_at: now,
      })
      .execute();
    await trx
      .insertInto('webhook_deliveries')
      .values({
        id: deliveryId,
        endpoint_id: id,
        event_id: eventId,
        status: 'pending',
        tries: 0,
        next_attempt_at: now,
        last_status: null,
        last_error: null,
        created_at: now,
        finished_at: null,
      })
      .execute();
  });
  return getDelivery(ctx, deliveryId);
}

/** A delivery that ended (succeeded or failed) goes again with a fresh set of tries. */
export async function redeliver(ctx: ServiceContext, deliveryId: string): Promise<DeliveryView> {
  const d = await getDelivery(ctx, deliveryId);
  if (d.status === 'pending' || d.status === 'delivering')
    throw new AppError('conflict', 'this delivery is still in progress');
  await ctx.db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', tries: 0, next_attempt_at: ctx.clock.now(), finished_at: null })
    .where('id', '=', deliveryId)
    .where('status', 'in', ['succeeded', 'failed'])
    .execute();
  return getDelivery(ctx, deliveryId);
}

/** The latest deliveries of an endpoint, newest first, each with its tries. */
export async function listDeliveries(
  ctx: ServiceContext,
  endpointId: string,
  limit = 50,
): Promise<DeliveryView[]> {
  await row(ctx, endpointId);
  return deliveries(ctx, { endpointId, limit });
}

export async function getDelivery(ctx: ServiceContext, id: string): Promise<DeliveryView> {
  const [d] = await deliveries(ctx, { id, limit: 1 });
  if (!d) throw new AppError('not_found', 'webhook delivery not found');
  return d;
}

async function deliveries(
  ctx: ServiceContext,
  by: { endpointId?: string; id?: string; limit: number },
): Promise<DeliveryView[]> {
  let q = ctx.db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_events as v', 'v.id', 'd.event_id')
    .selectAll('d')
    .select(['v.type', 'v.occurred_at'])
    .orderBy('d.created_at', 'desc')
    .orderBy('d.id', 'desc')
    .limit(Math.min(200, Math.max(1, by.limit)));
  if (by.endpointId) q = q.where('d.endpoint_id', '=', by.endpointId);
  if (by.id) q = q.where('d.id', '=', by.id);
  const rows = await q.execute();
  if (!rows.length) return [];
  const tries = await ctx.db
    .selectFrom('webhook_tries')
    .selectAll()
    .where(
      'delivery_id',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    eventId: r.event_id,
    eventType: r.type,
    occurredAt: r.occurred_at,
    status: r.status,
    tries: r.tries,
    nextAttemptAt: r.status === 'pending' ? r.next_attempt_at : null,
    lastStatus: r.last_status,
    lastError: r.last_error,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
    log: tries
      .filter((t) => t.delivery_id === r.id)
      .map((t) => ({
        try: t.try,
        startedAt: t.started_at,
        durationMs: t.duration_ms,
        statusCode: t.status_code,
        responseExcerpt: t.response_excerpt,
        error: t.error,
      })),
  }));
}
