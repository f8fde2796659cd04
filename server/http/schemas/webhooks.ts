/**
 * Schemas of the webhook admin API (server/http/routes/webhooks.ts). The web page's types are these
 * schemas' outputs (web/src/staff/admin/webhooks.tsx), so the two cannot drift.
 */
import { z } from '@hono/zod-openapi';
import { WEBHOOK_EVENTS } from '../../webhooks/index.ts';

export const webhookEventTypeSchema = z.enum(WEBHOOK_EVENTS);

export const webhookEndpointSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    description: z.string(),
    events: z.array(z.string()),
    enabled: z.boolean(),
    disabledReason: z.string().nullable().openapi({ description: 'why it was disabled automatically' }),
    secretHint: z
      .string()
      .openapi({ description: 'the last characters of the secret; the secret is shown once' }),
    consecutiveFailures: z.number().int(),
    createdAt: z.number(),
    updatedAt: z.number(),
  })
  .openapi('WebhookEndpoint');

export const webhookTrySchema = z.object({
  try: z.number().int(),
  startedAt: z.number(),
  durationMs: z.number(),
  statusCode: z.number().int().nullable(),
  responseExcerpt: z.string(),
  error: z.string().nullable(),
});

export const webhookDeliverySchema = z
  .object({
    id: z.string().openapi({ description: 'sent as X-Worksample-Delivery; the same on every try' }),
    eventId: z.string(),
    eventType: z.string(),
    occurredAt: z.number(),
    status: z.enum(['pending', 'delivering', 'succeeded', 'failed']),
    tries: z
      .number()
      .int()
      .openapi({ description: 'tries in the current round (a redelivery starts a new one)' }),
    nextAttemptAt: z.number().nullable(),
    lastStatus: z.number().int().nullable(),
    lastError: z.string().nullable(),
    createdAt: z.number(),
    finishedAt: z.number().nullable(),
    log: z.array(webhookTrySchema),
  })
  .openapi('WebhookDelivery');

export const webhookWithSecretSchema = z.object({
  endpoint: webhookEndpointSchema,
  secret: z.string().openapi({ description: 'the signing secret: shown only in this response' }),
});
